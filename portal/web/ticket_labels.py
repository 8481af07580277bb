"""How a ticket's status, priority, channel and the like read to a person, in the request's language."""

from __future__ import annotations

from portal.i18n import _
from portal.web.messages import per_locale


# The ticket labels every staff list shows a few of per row.
@per_locale
def _ticket_labels() -> dict[str, str]:
    return {
        "status:new": _("New"),
        "status:open": _("Open"),
        "status:pending": _("Pending"),
        "status:resolved": _("Resolved"),
        "status:closed": _("Closed"),
        "status:active": _("Active (new, open, pending)"),
        "status:all": _("All"),
        "priority:low": _("Low"),
        "priority:normal": _("Normal"),
        "priority:high": _("High"),
        "priority:urgent": _("Urgent"),
        "assigned:anyone": _("Anyone"),
        "assigned:mine": _("Me"),
        "assigned:unassigned": _("Nobody"),
        "assigned:groups": _("My groups"),
        "channel:web": _("Web"),
        "channel:email": _("Email"),
        "channel:api": _("API"),
        "channel:phone": _("Phone"),
        "channel:chat": _("Chat"),
        "channel:staff": _("Staff"),
        "view:mine": _("Mine"),
        "view:groups": _("My groups"),
        "view:pool": _("Unassigned"),
        "view:due_soon": _("Due soon"),
        "view:overdue": _("Overdue"),
        "view:escalated": _("Escalated"),
        "view:waiting": _("Waiting for the customer"),
        "view:recent": _("Updated today"),
        "view:all": _("All"),
        "sort:deadline": _("Deadline"),
        "sort:priority": _("Priority"),
        "sort:updated": _("Last update"),
        "sort:created": _("Created"),
        "field:view": _("Queue"),
        "field:sort": _("Sort by"),
        "field:order": _("Order"),
        "field:status": _("Status"),
        "field:type": _("Type"),
        "field:priority": _("Priority"),
        "field:organization": _("Organization"),
        "field:channel": _("Channel"),
        "field:assignee": _("Assignee"),
        "field:group": _("Group"),
        "field:page": _("Page"),
        "field:tickets": _("Selected tickets"),
        "field:into": _("Surviving ticket"),
        "field:action": _("Action"),
        "breached:reaction": _("Reaction overdue"),
        "nearly:reaction": _("Reaction due soon (80 % gone)"),
        "breached:resolution": _("Resolution overdue"),
        "nearly:resolution": _("Resolution due soon (80 % gone)"),
        # as the customer reads a status
        "customer_status:new": _("Received"),
        "customer_status:open": _("In progress"),
        "customer_status:pending": _("Answered, waiting for you"),
        "customer_status:resolved": _("Resolved"),
        "customer_status:closed": _("Closed"),
    }


def ticket_label(kind: str, value: str) -> str:
    """A ticket's status, priority, channel or the queue's assignee choice in words; unknown values as they are."""
    return _ticket_labels().get(f"{kind}:{value}", value)
