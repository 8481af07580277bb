"""Keeping the groups of recurring questions: rebuilding them from the tickets (staff corrections
applied), and the corrections themselves — merging two groups, moving a ticket out of one."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio.to_thread

from portal.db import write_transaction
from portal.insights.grouping import Group, Item, group
from portal.insights.tables import Correction, GroupingRun, GroupMember, TicketGroup
from portal.tickets.tables import Ticket

HORIZON = timedelta(days=365)  # questions older than a year say little about what customers ask now
MERGE, DETACH = "merge", "detach"
MEMBER_BATCH = 1000


class GroupNotFound(LookupError):
    """No such group (any more: a rebuild may have dissolved it)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    tickets: int
    groups: int
    seconds: float


def _text(subject: str, description: str) -> str:
    # An imported or short ticket's subject is often the start of its description: count it once.
    return description if description.startswith(subject) else f"{subject}\n{description}"


async def _items(since: datetime) -> tuple[list[Item], datetime | None]:
    rows = (
        await Ticket.select(
            Ticket.id,
            Ticket.subject,
            Ticket.description,
            Ticket.updated_at,
            Ticket.requester.locale.as_alias("locale"),
        )
        .where(Ticket.created_at >= since)
        .order_by(Ticket.id)
    )
    items = [Item(key=r["id"], text=_text(r["subject"], r["description"]), locale=r["locale"] or "en") for r in rows]
    return items, max((r["updated_at"] for r in rows), default=None)


async def _constraints() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    rows = await Correction.select(Correction.kind, Correction.ticket, Correction.other).order_by(Correction.id)
    must = [(r["ticket"], r["other"]) for r in rows if r["kind"] == MERGE]
    cannot = [(r["ticket"], r["other"]) for r in rows if r["kind"] == DETACH]
    return must, cannot


def _match(groups: list[Group], old: dict[int, int]) -> list[int | None]:
    """For each new group, the old group it continues (the one sharing most of its tickets), so that a
    group's address and history survive a rebuild; each old group continues at most one new one."""
    taken: set[int] = set()
    matches: list[int | None] = []
    for g in groups:
        votes = Counter(old[key] for key in g.keys if key in old)
        best = next((gid for gid, _n in votes.most_common() if gid not in taken), None)
        if best is not None:
            taken.add(best)
        matches.append(best)
    return matches


async def _subjects(ids: list[int]) -> dict[int, str]:
    rows = await Ticket.select(Ticket.id, Ticket.subject).where(Ticket.id.is_in(ids)) if ids else []
    return {r["id"]: r["subject"] for r in rows}


async def _save(groups: list[Group]) -> None:
    old = {r["ticket"]: r["group"] for r in await GroupMember.select(GroupMember.ticket, GroupMember.group)}
    matches = _match(groups, old)
    titles = await _subjects([g.representative for g in groups])
    now = datetime.now(UTC)
    async with write_transaction():
        await GroupMember.delete(force=True)
        kept = [gid for gid in matches if gid is not None]
        stale = TicketGroup.delete().where(TicketGroup.id.not_in(kept)) if kept else TicketGroup.delete(force=True)
        await stale
        members: list[GroupMember] = []
        for g, gid in zip(groups, matches, strict=True):
            values = {
                "title": titles.get(g.representative, ""),
                "representative": g.representative,
                "size": len(g.keys),
            }
            if gid is None:
                rows = await TicketGroup.insert(TicketGroup(**values, updated_at=now)).returning(TicketGroup.id)
                gid = rows[0]["id"]
            else:
                await TicketGroup.update({**values, "updated_at": now}).where(TicketGroup.id == gid)
            members += [GroupMember(group=gid, ticket=key, position=i) for i, key in enumerate(g.keys)]
        for start in range(0, len(members), MEMBER_BATCH):
            await GroupMember.insert(*members[start : start + MEMBER_BATCH])


async def rebuild(progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Group every recent ticket anew; staff corrections hold across rebuilds."""
    started = time.monotonic()
    items, watermark = await _items(datetime.now(UTC) - HORIZON)
    must, cannot = await _constraints()
    groups = await anyio.to_thread.run_sync(lambda: group(items, must_link=must, cannot_link=cannot, progress=progress))
    await _save(groups)
    seconds = time.monotonic() - started
    await GroupingRun(tickets=len(items), groups=len(groups), seconds=round(seconds), watermark=watermark).save()
    return RunResult(tickets=len(items), groups=len(groups), seconds=seconds)


async def last_run() -> dict | None:
    return await GroupingRun.select().order_by(GroupingRun.id, ascending=False).first()


async def stale() -> bool:
    """Whether tickets changed since the last rebuild (a new or resolved ticket updates its row)."""
    run = await last_run()
    if run is None:
        return await Ticket.exists()
    newest = await Ticket.select(Ticket.updated_at).order_by(Ticket.updated_at, ascending=False).first()
    return newest is not None and (run["watermark"] is None or newest["updated_at"] > run["watermark"])


async def members_of(group_id: int) -> list[int]:
    rows = (
        await GroupMember.select(GroupMember.ticket).where(GroupMember.group == group_id).order_by(GroupMember.position)
    )
    if not rows:
        raise GroupNotFound(group_id)
    return [r["ticket"] for r in rows]


async def _resize(group_id: int) -> None:
    keys = [r["ticket"] for r in await GroupMember.select(GroupMember.ticket).where(GroupMember.group == group_id)]
    if len(keys) < 2:  # a group of one is no recurring question
        await TicketGroup.delete().where(TicketGroup.id == group_id)
    else:
        await TicketGroup.update({TicketGroup.size: len(keys)}).where(TicketGroup.id == group_id)


async def merge(group_id: int, other_id: int, actor_id: int) -> None:
    """The other group's tickets join this one, now and in every later rebuild."""
    if group_id == other_id:
        return
    async with write_transaction():
        mine, theirs = await members_of(group_id), await members_of(other_id)
        await Correction(kind=MERGE, ticket=mine[0], other=theirs[0], actor=actor_id).save()
        await GroupMember.update(
            {GroupMember.group: group_id, GroupMember.position: GroupMember.position + len(mine)}
        ).where(GroupMember.group == other_id)
        await TicketGroup.delete().where(TicketGroup.id == other_id)
        await _resize(group_id)


async def detach(group_id: int, ticket_id: int, actor_id: int) -> None:
    """The ticket leaves the group and is kept apart from its representative in later rebuilds."""
    async with write_transaction():
        keys = await members_of(group_id)
        if ticket_id not in keys:
            raise GroupNotFound(group_id)
        anchors = [key for key in keys if key != ticket_id]
        await Correction(kind=DETACH, ticket=ticket_id, other=anchors[0], actor=actor_id).save()
        await GroupMember.delete().where((GroupMember.group == group_id) & (GroupMember.ticket == ticket_id))
        await _resize(group_id)


async def group_of(ticket_id: int) -> int | None:
    row = await GroupMember.select(GroupMember.group).where(GroupMember.ticket == ticket_id).first()
    return row["group"] if row else None
