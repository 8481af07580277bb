"""The supervisor's reports at /staff/reports: the page with its filter form, each table as CSV, each
report's chart as SVG, and the weekly summary's opt-in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from auth.tables import User
from portal.reports import catalog, charts, export, weekly
from portal.reports.choices import filter_choices
from portal.reports.labels import report_names, table_names, word
from portal.reports.period import FILTER_NAMES, PRESETS, InvalidReport, asked, sees_everyone
from portal.reports.result import Report
from portal.web.guards import STAFF
from portal.web.routes.staff_tickets import FORM

HERE = "/staff/reports"
# An SVG drawn by pygal styles itself inline; as an <img> it runs nothing, and opened on its own it
# may use its own styles and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


class SummaryForm(msgspec.Struct):
    wanted: str = ""


def _name(viewer: User, wanted: str) -> str:
    names = catalog.available(viewer)
    return wanted if wanted in names else names[0]


@get(HERE, opt=STAFF)
async def reports_page(request: Request, viewer: NamedDependency[User]) -> Template:
    params = dict(request.query_params)
    name = _name(viewer, params.get("report", ""))
    everyone = sees_everyone(viewer)
    context: dict[str, object] = {
        "name": name,
        "names": {n: report_names()[n] for n in catalog.available(viewer)},
        "table_names": table_names(),
        "word": word,
        "params": params,
        "presets": PRESETS,
        "filter_names": [f for f in FILTER_NAMES if everyone or f != "agent"],
        "choices": await filter_choices(everyone),
        "everyone": everyone,
        "subscribed": everyone and await weekly.subscribed(viewer),
        "query": request.url.query,
        "done": params.get("done"),
        "charted": charts.CHARTED[name][0],
    }
    try:
        period, filters = asked(params, datetime.now(UTC))
    except InvalidReport as exc:
        return Template("staff/reports.html", status_code=400, context={**context, "error": exc.code, "report": None})
    report = await catalog.run(viewer, name, period, filters, datetime.now(UTC))
    return Template("staff/reports.html", context={**context, "report": report, "period": period})


async def _report(request: Request, viewer: User, name: str) -> Report:
    period, filters = asked(dict(request.query_params), datetime.now(UTC))
    return await catalog.run(viewer, name, period, filters, datetime.now(UTC))


@get(HERE + "/{name:str}/csv/{table:str}", opt=STAFF)
async def report_csv(
    request: Request, viewer: NamedDependency[User], name: FromPath[str], table: FromPath[str]
) -> Response:
    report = await _report(request, viewer, name)
    if table not in [t.key for t in report.tables]:
        raise catalog.UnknownReport(table)
    period = report.period.as_dict()
    filename = f"{name}-{table}-{period['start']}-{period['end']}.csv"
    return Response(
        export.csv_bytes(report.table(table)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@get(HERE + "/{name:str}/chart", opt=STAFF)
async def report_chart(request: Request, viewer: NamedDependency[User], name: FromPath[str]) -> Response:
    report = await _report(request, viewer, name)
    return Response(charts.svg(report), media_type="image/svg+xml", headers={"content-security-policy": SVG_POLICY})


@post(HERE + "/summary", opt=STAFF)
async def weekly_summary(data: Annotated[SummaryForm, FORM], viewer: NamedDependency[User]) -> Redirect:
    await weekly.set_subscription(viewer, data.wanted == "1")
    return Redirect(path=f"{HERE}?done={'summary_on' if data.wanted == '1' else 'summary_off'}")


ROUTES = [reports_page, report_csv, report_chart, weekly_summary]
