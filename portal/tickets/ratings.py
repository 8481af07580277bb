"""Satisfaction ratings: one per resolution, from the ticket page or from a signed link in the
resolution email that works without signing in, records only on submit, and expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth.tables import User
from portal.db import is_unique_violation, write_transaction
from portal.tickets.errors import NotAllowed, TicketError
from portal.tickets.row_lock import lock_current
from portal.tickets.tables import Event, Rating, Ticket
from portal.tickets.workflow import Status

LINK_LIFETIME = timedelta(days=28)


@dataclass(frozen=True, slots=True)
class RatingLink:
    ticket_id: int
    resolution: int
    expires: datetime


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), f"rating:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def make_token(secret: str, ticket_id: int, resolution: int, now: datetime | None = None) -> str:
    expires = int(((now or datetime.now(UTC)) + LINK_LIFETIME).timestamp())
    payload = f"{ticket_id}.{resolution}.{expires}"
    return f"{payload}.{_sign(secret, payload)}"


def read_token(secret: str, token: str, now: datetime | None = None) -> RatingLink:
    """The ticket and resolution a link rates; TicketError("rating_link_invalid") for a forged,
    mangled or expired one."""
    try:
        ticket_id, resolution, expires, signature = token.split(".")
        payload = f"{ticket_id}.{resolution}.{expires}"
        valid = hmac.compare_digest(signature, _sign(secret, payload))
        link = RatingLink(int(ticket_id), int(resolution), datetime.fromtimestamp(int(expires), UTC))
    except (ValueError, OverflowError):
        raise TicketError("rating_link_invalid") from None
    if not valid or link.expires <= (now or datetime.now(UTC)):
        raise TicketError("rating_link_invalid")
    return link


def clean_score(score: int, comment: str) -> tuple[int, str]:
    if score not in range(1, 6):
        raise TicketError("score_invalid", "score")
    return score, (comment or "").strip()[:2000]


async def existing(ticket_id: int, resolution: int) -> Rating | None:
    return await Rating.objects().where(Rating.key == f"{ticket_id}:{resolution}").first()


def may_rate(viewer: User, ticket: Ticket) -> bool:
    """Only the requester rates how their ticket was resolved: not staff, not their colleagues."""
    return getattr(ticket.requester, "id", ticket.requester) == viewer.id


async def rate_latest(viewer: User, ticket: Ticket, score: int, comment: str = "") -> Rating:
    """The viewer rates the ticket's latest resolution; NotAllowed for anyone but its requester."""
    if not may_rate(viewer, ticket):
        raise NotAllowed()
    return await rate(ticket, ticket.resolutions, score, comment)


async def rate(ticket: Ticket, resolution: int, score: int, comment: str = "") -> Rating:
    """Record the rating of one resolution, once; the agent who resolved it gets the credit."""
    score, comment = clean_score(score, comment)
    try:
        async with write_transaction():
            # Decided on the ticket as it is now: a resolution reopened meanwhile is open no more.
            await lock_current(ticket)
            if resolution < 1 or resolution > ticket.resolutions:
                raise TicketError("rating_not_open")
            if resolution == ticket.resolutions and Status(ticket.status) not in (Status.RESOLVED, Status.CLOSED):
                raise TicketError("rating_not_open")
            assignee = getattr(ticket.assignee, "id", ticket.assignee)
            if await existing(ticket.id, resolution):
                raise TicketError("already_rated")
            rating = Rating(
                key=f"{ticket.id}:{resolution}",
                ticket=ticket.id,
                resolution=resolution,
                score=score,
                comment=comment,
                agent=assignee,
            )
            await rating.save()
            await Event(ticket=ticket.id, kind="rated", new=str(score)).save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise TicketError("already_rated") from None
        raise
    return rating
