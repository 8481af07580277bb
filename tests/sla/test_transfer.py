"""`portal sla export|import`: the service levels as JSON, checked by the admin page's rules and applied
all or nothing; importing an export changes nothing."""

import asyncio
import copy
import json

import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.sla import levels
from portal.sla.tables import Holiday, HolidayCalendar, ServiceTarget, SupportPlan


@pytest.fixture
def portal_cli(settings, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    runner = CliRunner()

    async def run(*args, document=None):
        if document is not None:
            path = tmp_path / "levels.json"
            path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
            args = (*args, str(path))
        return await asyncio.to_thread(runner.invoke, main, list(args))

    return run


async def _exported(run) -> dict:
    result = await run("sla", "export")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


async def test_importing_an_export_changes_nothing(portal_cli):
    before = await _exported(portal_cli)
    assert [p["slug"] for p in before["plans"]] == ["standard", "premium"]
    assert before["calendars"][0]["slug"] == "default"
    standard = before["plans"][0]
    assert standard["triage_minutes"] == 15 and standard["week"]["0"] == [["09:00", "18:00"]]
    assert {"priority": "normal", "ticket_type": "", "first_response_minutes": 480}.items() <= next(
        t for t in standard["targets"] if (t["priority"], t["ticket_type"]) == ("normal", "")
    ).items()
    targets = await ServiceTarget.select().order_by(ServiceTarget.id)
    again = await portal_cli("sla", "import", document=before)
    assert again.exit_code == 0 and "Nothing to change." in again.output, again.output
    assert await ServiceTarget.select().order_by(ServiceTarget.id) == targets
    assert await _exported(portal_cli) == before


async def test_an_edited_document_is_applied_and_exported_back(portal_cli):
    document = await _exported(portal_cli)
    gold = copy.deepcopy(document["plans"][1])
    gold.update(slug="gold", name_en="Gold", name_ru="Золото", position=2, triage_minutes=5, holiday_calendar="acme")
    gold["week"] = {str(day): [["00:00", "24:00"]] for day in range(7)}
    gold["targets"].append(
        {"priority": "low", "ticket_type": "incident", "first_response_minutes": 30, "resolution_minutes": None,
         "around_the_clock": True, "customer_choice": False}
    )  # fmt: skip
    gold["targets"].sort(key=lambda t: (t["priority"], t["ticket_type"]))  # as the export lists them
    document["plans"].append(gold)
    document["calendars"].insert(
        0, {"slug": "acme", "name": "Acme", "holidays": [{"day": "2027-01-07", "name": "Xmas"}]}
    )
    applied = await portal_cli("sla", "import", document=document)
    assert applied.exit_code == 0 and "change(s)" in applied.output, applied.output
    assert await _exported(portal_cli) == document
    plan = await SupportPlan.objects().where(SupportPlan.slug == "gold").first()
    assert plan.triage_minutes == 5
    assert await levels.customer_priorities("gold") == ("low", "normal", "high", "urgent")
    assert (await portal_cli("sla", "import", document=document)).output.strip() == "Nothing to change."


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["plans"][0]["targets"][0].update(first_response_minutes=-5), "target_minutes_invalid"),
        (lambda d: d["plans"][0]["targets"][0].update(first_response_minutes=600, resolution_minutes=60),
         "resolution_before_first_response"),
        (lambda d: d["plans"][0].update(week={}), "week_empty"),
        (lambda d: d["plans"][0].update(week={"0": [["09:00", "13:00"], ["12:00", "18:00"]]}), "hours_overlap"),
        (lambda d: d["plans"][0].update(week={"0": [["18:00", "09:00"]]}), "hours_inverted"),
        (lambda d: d["plans"][0].update(week={"0": [["9am", "18:00"]]}), "hours_time_invalid"),
        (lambda d: d["plans"][0].update(triage_minutes=0), "triage_invalid"),
        (lambda d: d["plans"][0]["targets"].append(dict(d["plans"][0]["targets"][0])), "target_duplicate"),
        (lambda d: d["plans"][0]["targets"][0].update(priority="whenever"), "priority_invalid"),
        (lambda d: d["plans"][0]["targets"][0].update(ticket_type="nonsense"), "type_unknown"),
        (lambda d: d["calendars"][0]["holidays"].extend([{"day": "2027-01-01"}, {"day": "2027-01-01"}]),
         "holiday_duplicate"),
        (lambda d: d["plans"][0].update(holiday_calendar="nowhere"), "calendar_unknown"),
        (lambda d: [p.update(active=False) for p in d["plans"]], "plan_last_active"),
        (lambda d: d.pop("plans"), "import_malformed"),
        (lambda d: d["plans"][0].pop("targets"), "import_malformed"),
    ],
)  # fmt: skip
async def test_a_bad_document_is_refused_whole_with_the_reason(portal_cli, change, reason):
    document = await _exported(portal_cli)
    document["calendars"][0]["name"] = "Renamed along with the fault"  # valid, but must not be applied
    change(document)
    refused = await portal_cli("sla", "import", document=document)
    assert refused.exit_code != 0 and reason in refused.output and "nothing changed" in refused.output
    assert await HolidayCalendar.exists().where(HolidayCalendar.name == "Public holidays")
    assert await SupportPlan.count().where(SupportPlan.active == True) == 2  # noqa: E712
    assert await Holiday.count() == 0


async def test_a_file_that_is_not_json_is_refused(portal_cli):
    refused = await portal_cli("sla", "import", document="{plans: nope")
    assert refused.exit_code != 0 and "is not JSON" in refused.output
