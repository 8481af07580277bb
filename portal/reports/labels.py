"""What the reports' names, tables, columns and figures are called, in the current language: the page,
the charts, the CSV headers and the summary mail read the same words."""

from __future__ import annotations

from portal.i18n import _


def report_names() -> dict[str, str]:
    return {
        "service-levels": _("Service levels"),
        "times": _("Response and resolution times"),
        "volume": _("Volume and backlog"),
        "satisfaction": _("Satisfaction"),
        "self-service": _("Self-service"),
    }


def table_names() -> dict[str, str]:
    return {
        "summary": _("Summary, compared with the previous period"),
        "by_plan": _("By plan"),
        "by_priority": _("By priority"),
        "by_type": _("By type"),
        "by_group": _("By group"),
        "by_agent": _("By agent"),
        "by_channel": _("By channel"),
        "by_organization": _("By organization"),
        "breached": _("Tickets that missed a deadline"),
        "time_in_status": _("Time in each status, per type"),
        "over_time": _("Opened and resolved over time"),
        "backlog_age": _("Age of the open backlog"),
        "distribution": _("Scores"),
        "comments": _("Comments"),
        "content_gaps": _("Content gaps: frequent searches without an answer"),
        "articles": _("Articles by views"),
    }


def words() -> dict[str, str]:
    """Columns, figures and values (statuses, age bands) by key; a key without a word is shown as it is."""
    return {
        "figure": _("Figure"),
        "value": _("This period"),
        "previous": _("Previous period"),
        "plan": _("Plan"),
        "priority": _("Priority"),
        "type": _("Type"),
        "group": _("Group"),
        "agent": _("Agent"),
        "channel": _("Channel"),
        "organization": _("Organization"),
        "ticket": _("Ticket"),
        "subject": _("Subject"),
        "status": _("Status"),
        "tickets": _("Tickets"),
        "day": _("Day"),
        "week": _("Week"),
        "opened": _("Opened"),
        "resolved": _("Resolved"),
        "age": _("Age"),
        "score": _("Score"),
        "comment": _("Comment"),
        "ratings": _("Ratings"),
        "query": _("Query"),
        "searches": _("Searches"),
        "no_result": _("No result"),
        "no_click": _("No click"),
        "write_article": _("Write an article"),
        "recurring_group": _("Recurring question"),
        "article": _("Article"),
        "slug": _("Address"),
        "views": _("Views"),
        "helpful_pct": _("Helpful, %"),
        "votes": _("Votes"),
        "deflections": _("Deflections"),
        "average_minutes": _("Average minutes"),
        "average_score": _("Average score"),
        "first_response_breached": _("First response late"),
        "resolution_breached": _("Resolution late"),
        "first_response_met_pct": _("First responses in time, %"),
        "first_response_due": _("First responses due"),
        "resolution_met_pct": _("Resolutions in time, %"),
        "resolution_due": _("Resolutions due"),
        "first_response_business_median": _("First response, working minutes, median"),
        "first_response_business_p90": _("First response, working minutes, 90th percentile"),
        "first_response_calendar_median": _("First response, calendar minutes, median"),
        "first_response_calendar_p90": _("First response, calendar minutes, 90th percentile"),
        "resolution_business_median": _("Resolution, working minutes, median"),
        "resolution_business_p90": _("Resolution, working minutes, 90th percentile"),
        "resolution_calendar_median": _("Resolution, calendar minutes, median"),
        "resolution_calendar_p90": _("Resolution, calendar minutes, 90th percentile"),
        "answered": _("Answered"),
        "backlog": _("Open backlog now"),
        "rating_requests": _("Rating requests"),
        "response_rate_pct": _("Rating requests answered, %"),
        "searches_no_result": _("Searches with no result"),
        "searches_no_click": _("Searches with results but no click"),
        "deflected_filings": _("Filings an article answered"),
        "web_filings": _("Tickets filed on the web"),
        "deflection_rate_pct": _("Deflection rate, %"),
        "under_1_day": _("under a day"),
        "1_3_days": _("1–3 days"),
        "3_7_days": _("3–7 days"),
        "7_30_days": _("7–30 days"),
        "over_30_days": _("over 30 days"),
        "new": _("New"),
        "open": _("Open"),
        "pending": _("Pending"),
        "no_data": _("No data for this period"),
    }


def word(key: object) -> str:
    text = str(key)
    return words().get(text, text)
