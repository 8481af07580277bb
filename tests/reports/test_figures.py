"""Every figure of every report against the hand-computed history in conftest.py: the same numbers on
SQLite and on PostgreSQL (run with PORTAL_TEST_DATABASE_URL)."""

from dataclasses import replace

from portal.reports import catalog
from portal.reports.period import Filters, Period
from portal.reports.self_help import write_link
from portal.tickets.visibility import number_of
from tests.reports.conftest import NOW

WEEK = Period.of("custom", "2026-11-23", "2026-11-29", NOW)


async def _report(history, name, filters=Filters(), viewer="boss"):
    return await catalog.run(history[viewer], name, WEEK, filters, NOW)


async def test_working_times_are_stored_when_they_happen(history):
    from portal.tickets.tables import Ticket

    rows = {
        r["id"]: r
        for r in await Ticket.select(
            Ticket.id,
            Ticket.first_response_business_minutes,
            Ticket.paused_business_minutes,
            Ticket.resolution_business_minutes,
        )
    }
    one, two, three, four = (rows[t.id] for t in history["tickets"])
    # Mon 10:00-11:00; pending Mon 11:00-18:00 and Tue 09:00-10:00 (8 h) does not count towards resolution.
    assert (one["first_response_business_minutes"], one["paused_business_minutes"]) == (60, 480)
    assert one["resolution_business_minutes"] == 660 - 480
    # Fri 16:00-18:00 and Mon 09:00-10:00: the weekend does not count.
    assert (two["first_response_business_minutes"], two["resolution_business_minutes"]) == (180, 240)
    assert (three["first_response_business_minutes"], three["resolution_business_minutes"]) == (360, None)
    assert four["first_response_business_minutes"] is None


async def test_times_medians_and_90th_percentiles(history):
    report = await _report(history, "times")
    figures = dict((row[0], row[1]) for row in report.table("summary").rows)
    assert figures["first_response_business_median"] == 180.0  # of 60, 180, 360
    assert figures["first_response_business_p90"] == 360.0
    assert figures["first_response_calendar_median"] == 360.0  # of 60, 360, 3960 (Fri 16:00 → Mon 10:00)
    assert figures["first_response_calendar_p90"] == 3960.0
    assert figures["resolution_business_median"] == 180.0  # of 180, 240: the lower of two
    assert figures["resolution_business_p90"] == 240.0
    assert figures["resolution_calendar_median"] == 1560.0  # Mon 10:00 → Tue 12:00
    assert figures["resolution_calendar_p90"] == 4020.0
    assert (figures["answered"], figures["resolved"]) == (3, 2)
    # Working time by dimension: answered, first response median and p90, resolved, resolution median and p90.
    assert report.table("by_priority").rows == [
        ("normal", 2, 60.0, 180.0, 2, 180.0, 240.0),  # #1, #2 and #4 (not answered yet)
        ("high", 1, 360.0, 360.0, 0, None, None),
    ]
    assert report.table("by_agent").rows == [
        ("Alex Agent", 3, 180.0, 360.0, 2, 180.0, 240.0),
        ("Olga Agent", 0, None, None, 0, None, None),
    ]
    assert [row[0] for row in report.table("by_plan").rows] == ["Standard"]
    in_status = {(r[0], r[1]): (r[2], r[3]) for r in report.table("time_in_status").rows}
    assert in_status[("incident", "new")] == (2, 210.0)  # 60 and 360 minutes
    assert in_status[("incident", "pending")] == (1, 1380.0)
    assert in_status[("incident", "open")] == (2, (120 + 8460) / 2)  # #3 is still open at noon on Monday
    assert in_status[("question", "new")] == (2, (3960 + 2880) / 2)
    assert in_status[("question", "open")] == (1, 60.0)


async def test_service_levels(history):
    report = await _report(history, "service-levels")
    assert report.figure("first_response_met_pct") == 66.7  # #1 and #2 in time, #3 late, #4 not due yet
    assert report.figure("first_response_due") == 3
    assert report.figure("resolution_met_pct") == 66.7  # #3 is past its resolution deadline too
    by_priority = {r[0]: r[1:] for r in report.table("by_priority").rows}
    assert by_priority == {"normal": (100.0, 2, 100.0, 2), "high": (0.0, 1, 0.0, 1)}
    breached = report.table("breached").rows
    assert breached == [(number_of(history["tickets"][2].id), "incident at Tue 09:00", True, True)]


async def test_volume_and_backlog(history):
    report = await _report(history, "volume")
    assert report.table("over_time").rows == [
        ("2026-11-23", 1, 0),
        ("2026-11-24", 1, 1),
        ("2026-11-27", 1, 0),
        ("2026-11-28", 1, 0),
    ]
    assert (report.figure("opened"), report.figure("resolved"), report.figure("backlog")) == (4, 1, 2)
    assert dict(report.table("by_type").rows) == {"incident": 2, "question": 2}
    assert dict(report.table("by_channel").rows) == {"web": 4}
    ages = dict(report.table("backlog_age").rows)
    assert (ages["1_3_days"], ages["3_7_days"], ages["under_1_day"]) == (1, 1, 0)


async def test_satisfaction(history):
    report = await _report(history, "satisfaction")
    assert (report.figure("ratings"), report.figure("average_score")) == (1, 4.0)
    assert (report.figure("rating_requests"), report.figure("response_rate_pct")) == (1, 100.0)
    assert dict(report.table("distribution").rows) == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    assert report.table("by_agent").rows == [("Alex Agent", 1, 4.0, 0, 0, 0, 1, 0)]
    assert report.table("comments").rows == [(number_of(history["tickets"][0].id), 4, "Alex Agent", "=SUM(A1)")]


async def test_self_service_and_content_gaps(history):
    report = await _report(history, "self-service")
    figures = dict((row[0], row[1]) for row in report.table("summary").rows)
    assert figures["searches"] == 5  # the typeahead search is not a search of its own
    assert (figures["searches_no_result"], figures["searches_no_click"]) == (3, 1)
    assert (figures["deflected_filings"], figures["web_filings"], figures["deflection_rate_pct"]) == (1, 4, 20.0)
    gaps = report.table("content_gaps").rows
    # "Printers offline?" has the stems of "printer offline": one gap, named by its most frequent wording.
    assert gaps == [
        ("printer offline", 3, 3, 0, write_link("printer offline"), history["group"]),
        ("reset password", 1, 0, 1, write_link("reset password"), None),
    ]
    assert report.table("articles").rows == [("Reset your password", "reset", 10, 75.0, 4, 1)]


async def test_the_previous_period_is_beside_each_figure(history):
    report = await _report(history, "volume")
    assert [row for row in report.table("summary").rows if row[0] == "opened"] == [("opened", 4, 0)]


async def test_filters_narrow_every_figure(history):
    report = await _report(history, "service-levels", replace(Filters(), type="question"))
    assert (report.figure("first_response_met_pct"), report.figure("first_response_due")) == (100.0, 1)
    report = await _report(history, "volume", Filters.of(priority="high"))
    assert report.figure("opened") == 1
    # Tickets without an organization are served under Standard.
    assert (await _report(history, "volume", Filters.of(plan="standard"))).figure("opened") == 4
    assert (await _report(history, "times", Filters.of(plan="premium"))).figure("answered") == 0


async def test_an_agent_sees_only_their_own_figures(history):
    report = await _report(history, "volume", viewer="olga")
    assert report.figure("opened") == 1  # #4 only, whatever the filters say
    report = await _report(history, "volume", Filters.of(agent=str(history["alex"].id)), viewer="olga")
    assert report.figure("opened") == 1
    assert "self-service" not in catalog.available(history["olga"])


async def test_the_backfill_gives_older_tickets_the_same_working_times(history):
    from portal.sla.worktime import backfill
    from portal.tickets.tables import Ticket

    columns = (
        Ticket.first_response_business_minutes,
        Ticket.paused_business_minutes,
        Ticket.resolution_business_minutes,
    )
    recorded = await Ticket.select(Ticket.id, *columns).order_by(Ticket.id)
    await Ticket.update({Ticket.first_response_business_minutes: None, Ticket.resolution_business_minutes: None,
                         Ticket.paused_business_minutes: 0}, force=True)  # fmt: skip
    assert await backfill() == 3  # answered or resolved: #1, #2 and #3
    assert await Ticket.select(Ticket.id, *columns).order_by(Ticket.id) == recorded
