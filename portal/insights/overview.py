"""What staff read about recurring questions: the groups of a period ranked by what they cost, whether a
published article answers each, and one group's tickets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from kb.indexing import IndexSync
from kb.search import QueryTooLong
from kb.search.analysis import script_language
from kb.tables import Deflection, Status
from portal.insights.recurring import GroupNotFound, group_of, members_of
from portal.insights.tables import ArticleSource, GroupMember, TicketGroup
from portal.knowledge import searching
from portal.tickets import visibility
from portal.tickets.tables import Message, Rating, Ticket
from portal.tickets.visibility import number_of
from portal.tickets.workflow import Status as TicketStatus

PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "90"
MIN_SHOWN = 2  # tickets within the period for a group to be listed
RECENCY_HALF_LIFE_DAYS = 30.0
HANDLING_HOURS_UNIT = 8.0  # a working day of handling weighs as much as one more ticket
OPEN = {TicketStatus.NEW.value, TicketStatus.OPEN.value, TicketStatus.PENDING.value}


@dataclass(slots=True)
class Summary:
    id: int
    title: str
    tickets: int = 0  # within the period
    open: int = 0
    last_at: datetime | None = None
    handling_hours: float = 0.0
    score: float = 0.0
    article: dict | None = None  # the published article written from (or marked as covering) the group


async def answering_articles(ticket_ids: list[int]) -> dict[int, dict]:
    """Ticket id → the published article drafted from it or marked as answering it."""
    if not ticket_ids:
        return {}
    rows = await ArticleSource.select(
        ArticleSource.ticket,
        ArticleSource.article.id.as_alias("id"),
        ArticleSource.article.slug.as_alias("slug"),
        ArticleSource.article.title.as_alias("title"),
        ArticleSource.article.locale.as_alias("locale"),
    ).where(ArticleSource.ticket.is_in(ticket_ids) & (ArticleSource.article.status == Status.PUBLISHED.value))
    return {r["ticket"]: {k: r[k] for k in ("id", "slug", "title", "locale")} for r in rows}


def _score(s: Summary, now: datetime) -> float:
    age_days = (now - s.last_at).total_seconds() / 86400 if s.last_at else 365.0
    recency = 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
    return s.tickets * (0.5 + recency) * (1 + s.handling_hours / max(s.tickets, 1) / HANDLING_HOURS_UNIT)


async def groups(period: str, now: datetime) -> list[Summary]:
    """Groups with at least MIN_SHOWN tickets in the period; unanswered first, each part by score."""
    days = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    since = now - timedelta(days=days) if days else None
    summaries = {
        r["id"]: Summary(id=r["id"], title=r["title"])
        for r in await TicketGroup.select(TicketGroup.id, TicketGroup.title)
    }
    rows = await GroupMember.select(
        GroupMember.group,
        GroupMember.ticket,
        GroupMember.ticket.status.as_alias("status"),
        GroupMember.ticket.created_at.as_alias("created_at"),
        GroupMember.ticket.resolved_at.as_alias("resolved_at"),
    )
    answers = await answering_articles([r["ticket"] for r in rows])
    for r in rows:
        s = summaries.get(r["group"])
        if s is None:
            continue
        s.article = s.article or answers.get(r["ticket"])
        if since is not None and r["created_at"] < since:
            continue
        s.tickets += 1
        s.open += r["status"] in OPEN
        s.last_at = max(s.last_at or r["created_at"], r["created_at"])
        if r["resolved_at"]:
            s.handling_hours += max((r["resolved_at"] - r["created_at"]).total_seconds(), 0) / 3600
    shown = [s for s in summaries.values() if s.tickets >= MIN_SHOWN]
    for s in shown:
        s.score = _score(s, now)
    return sorted(shown, key=lambda s: (s.article is not None, -s.score, s.id))


@dataclass(frozen=True, slots=True)
class GroupDetail:
    id: int
    title: str
    representative: int | None
    tickets: list[dict]
    article: dict | None
    best: int | None  # the ticket whose resolution an article should start from


def _best(tickets: list[dict]) -> int | None:
    """The best-rated resolved ticket; unrated ones after rated, the most recent resolution first."""
    resolved = [t for t in tickets if t["resolved_at"] and t["replies"]]
    if not resolved:
        return None
    resolved.sort(key=lambda t: (t["score"] or 0, t["resolved_at"]), reverse=True)
    return resolved[0]["id"]


async def detail(group_id: int) -> GroupDetail:
    head = await TicketGroup.select().where(TicketGroup.id == group_id).first()
    if head is None:
        raise GroupNotFound(group_id)
    members = await GroupMember.select(GroupMember.ticket, GroupMember.position).where(GroupMember.group == group_id)
    ids = [m["ticket"] for m in sorted(members, key=lambda m: m["position"])]
    rows = {
        r["id"]: r
        for r in await Ticket.select(
            Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at, Ticket.resolved_at, Ticket.external_ref
        ).where(Ticket.id.is_in(ids))
    }
    scores: dict[int, int] = {}
    for r in await Rating.select(Rating.ticket, Rating.score).where(Rating.ticket.is_in(ids)).order_by(Rating.id):
        scores[r["ticket"]] = r["score"]  # the latest rating of each ticket
    replied: dict[int, int] = defaultdict(int)
    for r in await staff_answers(ids):
        replied[r["ticket"]] += 1
    tickets = [
        {**rows[i], "number": number_of(i), "score": scores.get(i), "replies": replied[i]} for i in ids if i in rows
    ]
    answers = await answering_articles(ids)
    article = next((answers[i] for i in ids if i in answers), None)
    return GroupDetail(head["id"], head["title"], head["representative"], tickets, article, _best(tickets))


async def staff_answers(ticket_ids: list[int]) -> list[dict]:
    """What staff told the customers: public messages by anyone but each ticket's requester, oldest first."""
    rows = (
        await Message.select(
            Message.id,
            Message.ticket,
            Message.body,
            Message.author,
            Message.author.name.as_alias("author_name"),
            Message.ticket.requester.as_alias("requester"),
        )
        .where(Message.ticket.is_in(ticket_ids) & visibility.PUBLIC_MESSAGE)
        .order_by(Message.id)
    )
    return [r for r in rows if r["author"] != r["requester"]]


async def article_stats(article_id: int) -> dict:
    """For the article's staff page: the tickets it came from, and filings it deflected since."""
    sources = await ArticleSource.select(ArticleSource.ticket, ArticleSource.created_at).where(
        ArticleSource.article == article_id
    )
    if not sources:
        return {"tickets": [], "deflected": 0}
    since = min(r["created_at"] for r in sources)
    deflected = await Deflection.count().where((Deflection.article == article_id) & (Deflection.created_at >= since))
    numbers = sorted(number_of(r["ticket"]) for r in sources)
    return {"tickets": numbers, "deflected": deflected}


async def for_ticket(ticket_id: int) -> dict:
    """The ticket's recurring question (its group) and the published article answering it, if any."""
    group_id = await group_of(ticket_id)
    if group_id is None:
        answers = await answering_articles([ticket_id])
        return {"group": None, "article": answers.get(ticket_id)}
    head = (
        await TicketGroup.select(TicketGroup.id, TicketGroup.title, TicketGroup.size)
        .where(TicketGroup.id == group_id)
        .first()
    )
    keys = [ticket_id, *await members_of(group_id)]
    answers = await answering_articles(keys)
    return {"group": head, "article": next((answers[k] for k in keys if k in answers), None)}


async def exists(group_id: int) -> bool:
    return await TicketGroup.exists().where(TicketGroup.id == group_id)


async def closest_article(kb: IndexSync, question: str) -> dict | None:
    """The published article that search ranks first for the group's question: staff decide whether
    it answers it."""
    try:
        page = await searching.find(kb, question, script_language(question), per_page=1)
    except QueryTooLong:
        return None
    return {"slug": page.results[0].slug, "title": page.results[0].title} if page.results else None


async def export() -> list[dict]:
    """Every group, largest first, its tickets by external reference where they have one, else number:
    what anyone needs to score the grouping from outside."""
    members: dict[int, list[tuple[int, str | int]]] = defaultdict(list)
    for r in await GroupMember.select(
        GroupMember.group, GroupMember.ticket, GroupMember.position, GroupMember.ticket.external_ref.as_alias("ref")
    ):
        members[r["group"]].append((r["position"], r["ref"] or number_of(r["ticket"])))
    heads = await TicketGroup.select(TicketGroup.id, TicketGroup.title, TicketGroup.size).order_by(
        TicketGroup.size, ascending=False
    )
    return [
        {
            "id": h["id"],
            "title": h["title"],
            "size": h["size"],
            "tickets": [ref for _p, ref in sorted(members[h["id"]])],
        }
        for h in heads
    ]
