"""Filing: checked input, deadlines from the plan, the coordinator, the receipt, one ticket per key."""

import asyncio
from datetime import UTC, datetime

import pytest

from auth import organizations
from auth.tables import Organization, Role, SupportPlan
from portal.notify.tables import OutboxMessage
from portal.tickets import filing
from portal.tickets.errors import TicketError
from portal.tickets.filing import NewTicket, open_ticket
from portal.tickets.tables import CustomField, Event, Ticket, TicketType
from portal.tickets.visibility import number_of
from tests.helpers import create_user

DRAFT = NewTicket(type="question", subject="Invoice is missing", description="I cannot find **invoice** 42.")


async def test_a_ticket_gets_a_number_deadlines_and_a_receipt(settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await open_ticket(settings, ann, DRAFT)
    assert number_of(ticket.id) > 1000 and ticket.status == "new"
    assert ticket.first_response_due > datetime.now(UTC) and ticket.resolution_due > ticket.first_response_due
    receipt = await OutboxMessage.objects().where(OutboxMessage.to_address == "ann@example.com").first()
    assert receipt.subject == f"[#{number_of(ticket.id)}] Invoice is missing"
    assert "You will get our first answer by" in receipt.body_text
    assert f"http://portal.test/tickets/{number_of(ticket.id)}" in receipt.body_text
    assert await Event.count().where(Event.ticket == ticket.id) == 1


async def test_the_coordinator_of_the_organization_is_assigned_and_told(settings):
    boris = await create_user(settings, "boris@example.com", Role.AGENT, name="Boris")
    org = await organizations.create("Acme", SupportPlan.PREMIUM)
    await Organization.update({Organization.coordinator: boris.id, Organization.time_zone: "Europe/Moscow"}).where(
        Organization.id == org.id
    )
    ann = await create_user(settings, "ann@example.com", organization_id=org.id)
    ticket = await open_ticket(
        settings, ann, NewTicket(type="incident", subject="Router down", description="x", priority="urgent")
    )
    assert ticket.assignee == boris.id and ticket.organization == org.id
    mail = await OutboxMessage.objects().where(OutboxMessage.to_address == "boris@example.com").first()
    assert "is assigned to you" in mail.body_text
    # Premium urgent: one hour, around the clock.
    assert (ticket.first_response_due - ticket.created_at).total_seconds() == pytest.approx(3600, abs=1)


async def test_customers_may_not_choose_urgent_on_standard(settings):
    ann = await create_user(settings, "ann@example.com")
    with pytest.raises(TicketError) as refused:
        await open_ticket(settings, ann, NewTicket(type="question", subject="S", description="D", priority="urgent"))
    assert refused.value.code == "priority_not_in_plan"
    agent = await create_user(settings, "agent@example.com", Role.AGENT)
    on_phone = await open_ticket(
        settings,
        ann,
        NewTicket(type="question", subject="S", description="D", priority="urgent", channel="phone"),
        by=agent,
    )
    assert on_phone.priority == "urgent" and on_phone.channel == "phone"


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (NewTicket(type="question", subject="", description="D"), "subject_required"),
        (NewTicket(type="question", subject="x" * 201, description="D"), "subject_too_long"),
        (NewTicket(type="question", subject="S", description="  "), "description_required"),
        (NewTicket(type="nonsense", subject="S", description="D"), "type_unknown"),
        (NewTicket(type="question", subject="S", description="D", priority="whenever"), "priority_invalid"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(settings, draft, code):
    ann = await create_user(settings, "ann@example.com")
    with pytest.raises(TicketError) as refused:
        await open_ticket(settings, ann, draft)
    assert refused.value.code == code
    assert await Ticket.count() == 0 and await OutboxMessage.count() == 0


async def test_a_subject_cannot_carry_a_header(settings):
    ann = await create_user(settings, "ann@example.com")
    ticket = await open_ticket(
        settings, ann, NewTicket(type="question", subject="Hi\r\nBcc: all@evil.test", description="D")
    )
    assert ticket.subject == "Hi Bcc: all@evil.test"


async def test_custom_fields_of_the_type_are_checked(settings):
    ann = await create_user(settings, "ann@example.com")
    billing = await TicketType.objects().where(TicketType.slug == "question").first()
    await CustomField.insert(
        CustomField(
            ticket_type=billing.id,
            key="invoice",
            label_en="Invoice number",
            label_ru="Номер счёта",
            kind="number",
            required=True,
        ),
        CustomField(
            ticket_type=billing.id,
            key="product",
            label_en="Product",
            label_ru="Товар",
            kind="choice",
            choices="Router\nHub",
        ),
    )
    for answers, code in [
        ({}, "field_required"),
        ({"invoice": "abc"}, "field_number_invalid"),
        ({"invoice": "12", "product": "Toaster"}, "field_choice_invalid"),
    ]:
        with pytest.raises(TicketError) as refused:
            await open_ticket(
                settings, ann, NewTicket(type="question", subject="S", description="D", custom_fields=answers)
            )
        assert refused.value.code == code
    ticket = await open_ticket(
        settings,
        ann,
        NewTicket(
            type="question", subject="S", description="D", custom_fields={"invoice": "12", "product": "Hub", "x": "y"}
        ),
    )
    assert ticket.custom_fields in ({"invoice": "12", "product": "Hub"}, '{"invoice": "12", "product": "Hub"}')


async def test_the_same_key_makes_one_ticket_even_when_sent_at_once(settings):
    ann = await create_user(settings, "ann@example.com")
    draft = NewTicket(type="question", subject="Double click", description="D", idempotency_key="form-123")
    tickets = await asyncio.gather(*(open_ticket(settings, ann, draft) for _ in range(5)))
    assert len({t.id for t in tickets}) == 1
    assert await Ticket.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "ann@example.com") == 1
    other = await create_user(settings, "bob@example.com")
    assert (await open_ticket(settings, other, draft)).id != tickets[0].id  # keys are per requester


def test_subjects_are_one_line():
    assert filing.clean_subject("  Two\nlines\tand\x00nul ") == "Two lines and nul"


async def test_holidays_from_the_settings_do_not_count(tmp_path, database_url):
    from datetime import date, timedelta

    from tests.conftest import make_settings

    today = date.today()
    off = [today + timedelta(days=n) for n in range(15)]
    settings = make_settings(tmp_path, database_url, PORTAL_HOLIDAYS=",".join(d.isoformat() for d in off))
    ann = await create_user(settings, "ann@example.com")
    ticket = await open_ticket(settings, ann, DRAFT)
    assert ticket.first_response_due.date() > off[-1]
