"""What the staff ticket page offers besides the ticket itself: the canned replies filled for it, its
followers, and the choices for changing what was filed (type, custom fields, organization)."""

from __future__ import annotations

import json

from auth.tables import Organization, User
from portal.tickets import canned, followers, types
from portal.tickets.tables import Ticket


async def tools(viewer: User | None, ticket: Ticket) -> dict[str, object]:
    requester = ticket.requester
    org_id = getattr(requester, "organization", None)
    organizations = (
        await Organization.select(Organization.id, Organization.name).where(Organization.id == org_id) if org_id else []
    )
    answers = ticket.custom_fields
    return {
        "canned": await canned.filled_for(viewer, ticket) if viewer else [],
        "followers": await followers.of_ticket(ticket.id),
        "manages_followers": bool(viewer) and followers.may_manage(viewer, ticket),
        "type_choices": await types.active_types(),
        "field_defs": await types.fields_of(ticket.type),
        "answers": json.loads(answers) if isinstance(answers, str) else dict(answers or {}),
        "organization_choices": organizations,
    }
