"""The reports as JSON for staff API tokens: the same figures, periods and filters as /staff/reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from auth.tables import User
from portal.reports import catalog
from portal.reports.period import asked
from portal.web.api_auth import SECURITY, STAFF_TOKEN_ONLY


class Period(msgspec.Struct):
    start: str
    end: str


class ReportOut(msgspec.Struct):
    name: str
    period: Period
    previous_period: Period
    tables: dict[str, list[dict[str, Any]]]


@get("/api/reports/{name:str}", opt=STAFF_TOKEN_ONLY, security=SECURITY, include_in_schema=True, tags=["reports"])
async def report_json(request: Request, viewer: NamedDependency[User], name: FromPath[str]) -> ReportOut:
    """One report (`service-levels`, `times`, `volume`, `satisfaction`, `self-service`) for a period:
    `period` = 7, 30 or 90 (the last days), or `period=custom` with `start` and `end` (YYYY-MM-DD, both
    included); filters `organization`, `plan`, `group`, `type`, `priority`, `channel`, `agent`. The
    `summary` table holds each figure with the previous period's beside it. An agent's token gets the
    agent's own figures; self-service is for supervisors and admins."""
    period, filters = asked(dict(request.query_params), datetime.now(UTC))
    report = await catalog.run(viewer, name, period, filters, datetime.now(UTC))
    return ReportOut(
        name=report.name,
        period=Period(**report.period.as_dict()),
        previous_period=Period(**report.period.previous().as_dict()),
        tables={table.key: table.records() for table in report.tables},
    )


ROUTES = [report_json]
