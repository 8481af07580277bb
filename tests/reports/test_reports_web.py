"""/staff/reports, its CSV and charts, /api/reports/{name}, and the weekly summary: who may see what,
in which language, and files a spreadsheet opens safely."""

from datetime import UTC, datetime

import pytest

from auth import api_tokens
from auth.tables import User
from portal.notify.tables import OutboxMessage
from portal.reports import weekly
from portal.reports.period import ReportNotAllowed
from portal.reports.tables import SummarySent
from tests.helpers import post_form, sign_in

WEEK = "period=custom&start=2026-11-23&end=2026-11-29"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_customers_find_no_reports_anywhere(client, history):
    await sign_in(client, "ann@example.com")
    for path in ("/staff/reports", "/staff/reports/volume/csv/summary", "/staff/reports/volume/chart"):
        assert (await client.get(f"{path}?{WEEK}")).status_code == 404, path
    token = await api_tokens.create(history["ann"], "tests")
    refused = await client.get(f"/api/reports/volume?{WEEK}", headers=bearer(token))
    assert refused.status_code == 404 and refused.json()["status"] == 404


async def test_a_supervisor_sees_every_report_with_a_chart_and_its_table(client, history):
    await sign_in(client, "boss@example.com")
    page = await client.get(f"/staff/reports?report=self-service&{WEEK}")
    assert page.status_code == 200
    assert "printer offline" in page.text and "/staff/kb/new?title=printer+offline" in page.text
    assert f"/staff/insights/groups/{history['group']}" in page.text
    assert '<img src="/staff/reports/self-service/chart?' in page.text and "Content gaps" in page.text
    for name in ("service-levels", "times", "volume", "satisfaction"):
        assert (await client.get(f"/staff/reports?report={name}&{WEEK}")).status_code == 200, name
    chart = await client.get(f"/staff/reports/volume/chart?{WEEK}")
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in chart.headers["content-security-policy"]
    assert "Opened and resolved over time" in chart.text


async def test_a_bad_period_is_explained_not_a_500(client, history):
    await sign_in(client, "boss@example.com")
    page = await client.get("/staff/reports?period=custom&start=2026-11-29&end=2026-11-01")
    assert page.status_code == 400 and "must end on or after" in page.text
    token = await api_tokens.create(history["boss"], "tests")
    refused = await client.get("/api/reports/times?period=custom&start=soon", headers=bearer(token))
    assert refused.status_code == 400 and refused.json()["code"] == "report_date_invalid"
    assert (await client.get(f"/api/reports/nonsense?{WEEK}", headers=bearer(token))).status_code == 404


async def test_the_api_gives_agents_their_own_figures_only(client, history):
    boss = await api_tokens.create(history["boss"], "tests")
    olga = await api_tokens.create(history["olga"], "tests")
    everyone = (await client.get(f"/api/reports/volume?{WEEK}", headers=bearer(boss))).json()
    assert {"figure": "opened", "value": 4, "previous": 0} in everyone["tables"]["summary"]
    assert everyone["period"] == {"start": "2026-11-23", "end": "2026-11-29"}
    own = await client.get(f"/api/reports/volume?{WEEK}&agent={history['alex'].id}", headers=bearer(olga))
    assert {"figure": "opened", "value": 1, "previous": 0} in own.json()["tables"]["summary"]
    assert (await client.get(f"/api/reports/self-service?{WEEK}", headers=bearer(olga))).status_code == 404
    gaps = (await client.get(f"/api/reports/self-service?{WEEK}", headers=bearer(boss))).json()["tables"]
    assert gaps["content_gaps"][0]["query"] == "printer offline"
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/api/reports/{name}" in paths


async def test_csv_has_a_bom_russian_headers_and_no_formulas(client, history):
    await User.update({User.locale: "ru"}).where(User.id == history["boss"].id)
    await sign_in(client, "boss@example.com")
    response = await client.get(f"/staff/reports/satisfaction/csv/comments?{WEEK}")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Обращение,Оценка,Сотрудник поддержки,Комментарий"
    assert lines[1].endswith(",'=SUM(A1)")  # read as text, never run as a formula
    chart = await client.get(f"/staff/reports/volume/chart?{WEEK}")
    assert "Открыто и решено по времени" in chart.text


async def test_the_article_editor_starts_from_a_content_gaps_query(client, history):
    await sign_in(client, "boss@example.com")
    page = await client.get("/staff/kb/new?title=printer+offline")
    assert 'value="printer offline"' in page.text


async def test_the_weekly_summary_goes_once_per_person_and_week_in_their_language(client, settings, history):
    await User.update({User.locale: "ru"}).where(User.id == history["boss"].id)
    await sign_in(client, "boss@example.com")
    opted = await post_form(client, "/staff/reports/summary", {"wanted": "1"})
    assert opted.status_code in (302, 303) and await weekly.subscribed(history["boss"])
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    # Two processes running the pass at once: one mail.
    sent = [await weekly.send_due(settings, monday), await weekly.send_due(settings, monday)]
    assert sorted(sent) == [0, 1]
    (mail,) = await OutboxMessage.objects().where(OutboxMessage.to_address == "boss@example.com")
    assert mail.subject == "Сводка поддержки за 2026-W48"
    assert "printer offline (3)" in mail.body_text and "Открыто: 4 (0)" in mail.body_text
    assert await SummarySent.count() == 1
    await post_form(client, "/staff/reports/summary", {"wanted": "0"})
    assert not await weekly.subscribed(history["boss"])
    with pytest.raises(ReportNotAllowed):  # an agent's figures are their own: no summary of everyone's
        await weekly.set_subscription(history["olga"], True)


async def test_an_agents_page_offers_neither_the_agent_filter_nor_self_service(client, history):
    await sign_in(client, "olga@example.com")
    page = await client.get(f"/staff/reports?report=self-service&{WEEK}")
    assert page.status_code == 200 and "your own tickets" in page.text
    assert 'name="agent"' not in page.text and ">Self-service<" not in page.text and "Weekly summary" not in page.text
    assert (await client.get(f"/staff/reports/self-service/csv/summary?{WEEK}")).status_code == 404
