"""A small history with known moments, built through the services with the clock held: the week of
Monday 23 November 2026 (UTC, Standard plan: 09:00-18:00 on weekdays), reported on Monday 30 at noon.

#1 incident, normal: filed Mon 10:00, answered Mon 11:00 and left pending, the customer replied Tue 10:00,
   resolved Tue 12:00, rated 4 ("=SUM(A1)").
#2 question, normal: filed Fri 16:00, answered Mon 30 10:00 (across the weekend), resolved Mon 30 11:00.
#3 incident, high: filed Tue 09:00, answered Tue 15:00 (two hours late), still open.
#4 question, normal: filed Sat 12:00, not answered yet (due Mon 17:00: not decided at noon).
Searches on Wed: "printer offline" ×2 and "Printers offline?" with no result, "reset password" once
without a click and once clicked, one typeahead search; one deflected filing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auth.tables import Role
from kb.tables import Article, Deflection, SearchLog
from portal.insights.tables import TicketGroup
from portal.sla import levels
from portal.tickets import conversation
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import Rating, Ticket
from tests.helpers import create_user

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


class Clock:
    """What datetime.now() says inside the conversation service while the history is written."""

    def __init__(self, monkeypatch) -> None:
        self.moment = NOW
        clock = self

        class Held(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.moment

        monkeypatch.setattr(conversation, "datetime", Held)


async def _file(settings, customer, agent, filed: datetime, ticket_type: str, priority: str = "normal") -> Ticket:
    ticket = await open_ticket(settings, customer, NewTicket(ticket_type, f"{ticket_type} at {filed:%a %H:%M}", "Help"))
    due = await levels.deadlines("standard", priority, ticket_type, filed, "UTC")
    await Ticket.update(
        {
            Ticket.created_at: filed,
            Ticket.priority: priority,
            Ticket.assignee: agent.id,
            Ticket.first_response_due: due.first_response,
            Ticket.resolution_due: due.resolution,
        }
    ).where(Ticket.id == ticket.id)
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


async def _reload(ticket: Ticket) -> Ticket:
    return await Ticket.objects().where(Ticket.id == ticket.id).first()


@pytest.fixture
async def history(settings, monkeypatch):
    clock = Clock(monkeypatch)
    ann = await create_user(settings, "ann@example.com", name="Ann")
    alex = await create_user(settings, "alex@example.com", Role.AGENT, name="Alex Agent")
    boss = await create_user(settings, "boss@example.com", Role.SUPERVISOR, name="Sam Boss")
    other = await create_user(settings, "olga@example.com", Role.AGENT, name="Olga Agent")

    async def act(moment: datetime, step, *args, **kwargs):
        clock.moment = moment
        return await step(settings, *args, **kwargs)

    one = await _file(settings, ann, alex, at(23, 10), "incident")
    await act(at(23, 11), conversation.reply, alex, one, "Try a restart.", then="pending")
    await act(at(24, 10), conversation.reply, ann, await _reload(one), "Still broken.")
    await act(at(24, 12), conversation.change_status, alex, await _reload(one), "resolved")
    await Rating(
        key=f"{one.id}:1",
        ticket=one.id,
        resolution=1,
        score=4,
        comment="=SUM(A1)",
        agent=alex.id,
        created_at=at(24, 13),
    ).save()

    two = await _file(settings, ann, alex, at(27, 16), "question")
    await act(at(30, 10), conversation.reply, alex, two, "Here is how.", then="open")
    await act(at(30, 11), conversation.change_status, alex, await _reload(two), "resolved")

    three = await _file(settings, ann, alex, at(24, 9), "incident", "high")
    await act(at(24, 15), conversation.reply, alex, three, "Looking.", then="open")

    four = await _file(settings, ann, other, at(28, 12), "question")

    article = Article(
        slug="reset", title="Reset your password", status="published", views=10, helpful_yes=3, helpful_no=1
    )
    await article.save()
    searches = [
        ("printer offline", 0, None, "page"),
        ("printer offline", 0, None, "page"),
        ("Printers offline?", 0, None, "api"),
        ("reset password", 3, None, "page"),
        ("reset password", 3, article.id, "page"),
        ("vpn", 0, None, "suggest"),
    ]
    for n, (query, results, clicked, source) in enumerate(searches):
        await SearchLog(
            token=f"t{n}",
            query=query,
            locale="en",
            results=results,
            clicked=clicked,
            source=source,
            created_at=at(25, 10),
        ).save()
    await Deflection(article=article.id, query="forgot password", form_key="a" * 32, created_at=at(25, 11)).save()
    group = TicketGroup(title="Printer is offline again", size=3)
    await group.save()
    return {
        "tickets": [one, two, three, four],
        "alex": alex,
        "boss": boss,
        "olga": other,
        "ann": ann,
        "group": group.id,
    }
