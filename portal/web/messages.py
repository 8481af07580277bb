"""What each error or notice code says to a person, in the language of the request."""

from __future__ import annotations

from collections.abc import Callable

from portal.i18n import _, current_locale


def per_locale(build: Callable[[], dict[str, str]]) -> Callable[[], dict[str, str]]:
    """A table of translated texts built once per language: a page that shows a label per row would
    otherwise translate the whole table for every row."""
    tables: dict[str, dict[str, str]] = {}

    def table() -> dict[str, str]:
        locale = current_locale()
        if locale not in tables:
            tables[locale] = build()
        return tables[locale]

    return table


@per_locale
def _descriptions() -> dict[str, str]:
    return {
        "invalid_email": _("Enter a valid email address."),
        "name_required": _("Enter your name."),
        "name_too_long": _("The name is too long (200 characters at most)."),
        "password_too_short": _("The password must be at least 10 characters long."),
        "password_too_long": _("The password is too long."),
        "password_same_as_email": _("The password must not be your email address."),
        "passwords_differ": _("The two passwords differ."),
        "invalid_locale": _("Choose English or Russian."),
        "invalid_time_zone": _("Choose a time zone from the list."),
        "invalid_credentials": _("The email or password is wrong."),
        "email_not_verified": _("Confirm your email address first: follow the link we sent you."),
        "invalid_link": _("This link is invalid, expired, or was already used. Ask for a new one."),
        "rate_limited": _("Too many attempts. Wait a few minutes and try again."),
        "search_busy": _("Search is busy right now. Try again in a moment."),
        "search_rebuilding": _("Search is being rebuilt. Try again in a few seconds."),
        "email_taken": _("An account with this email already exists."),
        "organization_unknown": _("Choose an existing organization."),
        "organization_exists": _("An organization with this name already exists."),
        "organization_name_invalid": _("Enter the organization's name (200 characters at most)."),
        "invalid_role": _("Choose a role from the list."),
        "invalid_characters": _(
            "The request contains characters that cannot be stored (such as NUL) or is not valid UTF-8."
        ),
        "number_out_of_range": _("A number in the request is too large."),
        "invalid_json": _("The request body is not valid JSON, or it is nested too deeply."),
        "headers_too_large": _("The request headers are too large."),
        "database_unavailable": _("The service is temporarily unavailable. Please try again in a minute."),
        "storage_full": _("There is no space left to store this. Please try again later."),
        "query_too_long": _("The search is too long: use fewer words (500 characters at most)."),
        "own_role": _("You cannot change your own role or deactivate yourself."),
        "registered": _("Check your mailbox: we sent you a link to confirm your email address."),
        "verified": _("Your email address is confirmed. You can sign in now."),
        "reset_sent": _("If an account exists for this address, we sent it a link to reset the password."),
        "verification_sent": _("If this account still needs confirming, we sent a new link."),
        "password_changed": _("Your password is set."),
        "profile_saved": _("Your profile is saved."),
        "signed_out": _("You are signed out."),
        "user_created": _("The account is created."),
        "user_saved": _("The account is saved."),
        "organization_created": _("The organization is created."),
        "organization_saved": _("The organization is saved."),
        "oidc_unavailable": _(
            "The sign-in provider cannot be reached right now. "
            "Sign in with your password, or try again in a few minutes."
        ),
        "oidc_failed": _("Signing in through the provider did not work. You are not signed in; please try again."),
        "oidc_denied": _("Sign-in was cancelled at the provider. You are not signed in."),
        "oidc_expired": _("This sign-in attempt expired or was already used. Start again from the sign-in page."),
        "oidc_no_email": _("The provider did not share your email address, so we cannot sign you in with it."),
        "oidc_unverified_email": _(
            "The provider has not verified your email address. Verify it there first, or sign in with your password."
        ),
        "oidc_link_impossible": _(
            "An account with this email already exists and has no password to confirm it with. "
            "Sign in the way you usually do."
        ),
        "oidc_identity_taken": _("This provider account is already linked to another account here."),
        "oidc_account_inactive": _("This account is deactivated. Contact support."),
        "oidc_last_method": _(
            "This is your only way to sign in. Set a password first (use “Forgot your password?” on the sign-in page)."
        ),
        "identity_removed": _("The sign-in provider is removed from your account."),
        "title_required": _("Enter the article's title."),
        "title_too_long": _("The title is too long: shorten it."),
        "body_required": _("Write the article's text."),
        "body_too_long": _("The article is too long: split it into several articles."),
        "slug_taken": _("Another article already has this address. Change the slug or the title."),
        "category_unknown": _("Choose a category from the list."),
        "invalid_transition": _("The article cannot move to this status from its current one."),
        "revision_not_found": _("This revision does not exist."),
        "category_slug_required": _("Enter the category's slug (used in its address)."),
        "category_exists": _("A category with this slug already exists."),
        "category_name_required": _("Enter the category's English name."),
        "category_name_too_long": _("The category name is too long (120 characters at most)."),
        "category_name_taken": _("A category with this English name already exists."),
        "article_created": _("The article is created as a draft."),
        "article_saved": _("The article is saved as a new revision."),
        "article_status_changed": _("The article's status is changed."),
        "revision_restored": _("The revision is restored as a new revision."),
        "category_created": _("The category is created."),
        "category_saved": _("The category is renamed."),
        # staff tickets
        "reply_required": _("Write the message."),
        "reply_too_long": _("The message is too long (20,000 characters at most): split it."),
        "ticket_transition_invalid": _("The ticket cannot move to this status from its current one."),
        "assignee_invalid": _("Choose an active agent, supervisor or administrator to assign the ticket to."),
        "ticket_type_not_found": _("This ticket type does not exist."),
        "type_slug_invalid": _("The slug takes lower-case letters, digits and underscores (40 at most)."),
        "type_slug_taken": _("A ticket type with this slug already exists."),
        "type_name_required": _("Enter the type's English name."),
        "type_name_too_long": _("The name is too long (100 characters at most)."),
        "field_key_invalid": _("The key takes lower-case letters, digits and underscores (40 at most)."),
        "field_key_taken": _("This type already has a field with this key."),
        "field_label_required": _("Enter the field's English label."),
        "field_label_too_long": _("The label is too long (100 characters at most)."),
        "field_kind_invalid": _("Choose the kind of field from the list."),
        "field_choices_required": _("List the choices, one per line."),
        "field_choice_too_long": _("A choice is too long (100 characters at most)."),
        "ticket_replied": _("Your reply is sent to the requester."),
        "ticket_note_added": _("The internal note is added."),
        "ticket_status_changed": _("The ticket's status is changed."),
        "ticket_assigned": _("The ticket is assigned."),
        "ticket_priority_changed": _("The priority is changed; the deadlines follow it."),
        "escalation_acknowledged": _("The escalation is acknowledged: the ticket leaves the list."),
        "group_name_required": _("Enter the group's name."),
        "group_name_too_long": _("The name is too long (100 characters at most)."),
        "group_name_taken": _("A group with this name already exists."),
        "group_not_found": _("Choose an existing group."),
        "group_member_invalid": _("Choose an active agent, supervisor or administrator."),
        "group_supervisor_invalid": _("Only a supervisor or an administrator can be attached as a supervisor."),
        "group_created": _("The group is added."),
        "group_member_added": _("The group's members are saved."),
        "group_member_removed": _("The member is removed from the group."),
        "ticket_type_routed": _("New tickets of this type go where you chose."),
        "coordinator_invalid": _("Choose an active staff member as the coordinator."),
        "calendar_unknown": _("Choose an existing holiday calendar."),
        "member_not_customer": _("Enter the email of an existing customer account."),
        "organization_member_added": _("The customer is now a member of the organization."),
        "organization_member_removed": _("The customer is no longer a member of the organization."),
        "ticket_filed_for_customer": _("The ticket is filed; the customer was sent the confirmation by email."),
        "ticket_type_created": _("The ticket type is added."),
        "ticket_type_saved": _("The ticket type is renamed."),
        "ticket_type_retired": _("The ticket type is retired: it is no longer offered."),
        "ticket_type_restored": _("The ticket type is restored."),
        "custom_field_created": _("The field is added."),
        "custom_field_retired": _("The field is retired: it is no longer asked."),
        "custom_field_restored": _("The field is restored."),
        "token_name_required": _("Name the token after what will use it."),
        "token_name_too_long": _("The token name is too long (100 characters at most)."),
        "too_many_tokens": _("You have too many tokens: revoke the ones you no longer use first."),
        "token_revoked": _("The token is revoked: it no longer works."),
        "idempotency_key_invalid": _("The Idempotency-Key header must be printable and 120 characters at most."),
        "status_invalid": _("Choose a status: new, open, pending, resolved or closed."),
        # customer tickets
        "subject_required": _("Enter a subject: a few words that say what the request is about."),
        "subject_too_long": _("The subject is too long (200 characters at most)."),
        "description_required": _("Describe your request: what happened, and what you expected."),
        "description_too_long": _("The description is too long (20,000 characters at most): attach a file instead."),
        "type_unknown": _("Choose what the request is about from the list."),
        "priority_invalid": _("Choose a priority from the list."),
        "priority_not_in_plan": _("Your support plan does not include this priority: choose another one."),
        "field_required": _("Fill in every field marked as required."),
        "field_number_invalid": _("Enter a number (digits, with a point or a comma before decimals)."),
        "field_date_invalid": _("Enter a date as year-month-day, e.g. 2026-03-31."),
        "field_choice_invalid": _("Choose one of the listed options."),
        "channel_invalid": _("Requests cannot be filed this way."),
        "requester_unknown": _("Choose an active customer account to file the request for."),
        "ticket_closed": _("This ticket is closed. File a new ticket if you need more help."),
        "reopen_expired": _("This ticket was resolved over 14 days ago and is closed for replies: file a new ticket."),
        "rating_link_invalid": _("This rating link is invalid or has expired. You can rate on the ticket's page."),
        "score_invalid": _("Choose a score from 1 to 5."),
        "already_rated": _("This answer is already rated. Thank you!"),
        "rating_not_open": _("A ticket can be rated once it is resolved."),
        "not_allowed": _("You cannot do this."),
        "ticket_not_found": _("This ticket does not exist, or it is not yours."),
        "attachment_too_many": _("Attach at most 5 files."),
        "attachment_too_large": _("This file is larger than the limit."),
        "attachment_empty": _("This file is empty."),
        "attachment_type_refused": _(
            "This kind of file cannot be attached. Attach PNG, JPEG, GIF or WebP pictures, PDF, TXT, LOG, CSV or ZIP."
        ),
        "attachment_content_mismatch": _(
            "This file's contents do not match its name (for example, a web page named .png), so it cannot be attached."
        ),
        "ticket_filed": _("Your request is filed. We sent you a confirmation by email."),
        "reply_added": _("Your reply is added. We will let you know when we answer."),
        "ticket_closed_by_customer": _("The ticket is closed. We are glad the problem is solved."),
        # recurring questions
        "groups_rebuilt": _("The tickets are grouped anew."),
        "group_dissolved": _("The group had one ticket left, so it is no longer a recurring question."),
        "ticket_detached": _("The ticket is moved out of the group; it stays out when the groups are rebuilt."),
        "groups_merged": _("The groups are merged; they stay together when the groups are rebuilt."),
        "group_covered": _("The group is marked as answered by the article."),
        "article_drafted": _(
            "The draft is saved with links to the tickets it came from. Send it for review when ready."
        ),
        "group_ticket_unknown": _("This ticket is not in the group."),
        "group_merge_invalid": _("Enter the number of another existing group."),
        "article_not_published": _("Choose a published article."),
        "group_has_no_resolution": _("None of the group's tickets is resolved with a public reply yet."),
        "ticket_not_resolved": _("Only a resolved ticket can be turned into an article."),
        # service levels
        "level_slug_invalid": _(
            "Enter a short identifier: lowercase Latin letters, digits, hyphens and underscores "
            "(20 at most for a plan)."
        ),
        "level_slug_taken": _("This identifier is already used: choose another one."),
        "level_name_required": _("Enter a name."),
        "level_name_too_long": _("The name is too long (100 characters at most)."),
        "triage_invalid": _("Enter the triage time as a whole number of minutes, from 1 to 10080 (a week)."),
        "target_minutes_invalid": _("Enter a target as a whole number of minutes greater than zero."),
        "resolution_before_first_response": _(
            "The resolution target cannot be shorter than the first response target."
        ),
        "target_duplicate": _("A plan has one row per priority and type: this one is listed twice."),
        "target_general_missing": _("Every priority needs its targets for all types."),
        "target_general_kept": _("A priority's targets for all types cannot be removed, only changed."),
        "hours_time_invalid": _("Write business hours as 09:00-18:00, several intervals separated by commas."),
        "hours_inverted": _("An interval of business hours must start before it ends."),
        "hours_overlap": _("Intervals of business hours on one day must not overlap."),
        "hours_day_invalid": _("Weekdays are numbered from 0 (Monday) to 6 (Sunday)."),
        "week_empty": _("A week needs business hours on at least one day."),
        "plan_last_active": _("This is the last active plan: another one must stay active."),
        "holiday_day_invalid": _("Enter the day as year-month-day, e.g. 2026-12-31."),
        "holiday_duplicate": _("This day is already in the calendar."),
        "service_levels_saved": _("Saved. Tickets filed from now on get the new service levels."),
        # reports
        "report_period_invalid": _("Choose the last 7, 30 or 90 days, or a range of dates."),
        "report_date_invalid": _("Enter dates as YYYY-MM-DD."),
        "report_range_reversed": _("The range must end on or after the day it starts."),
        "report_range_too_long": _("Choose a range of a year at most."),
        "report_filter_invalid": _("Choose a filter value from the list."),
        "summary_on": _("You will get the weekly summary by email every Monday."),
        "summary_off": _("You will no longer get the weekly summary."),
        "queue_value_unknown": _("The queue does not know this value: choose one from the lists."),
        "bulk_action_unknown": _("Choose what to do with the selected tickets."),
        "bulk_nothing_selected": _("Select at least one ticket."),
        "bulk_tickets_invalid": _("Select tickets by their numbers."),
        "bulk_too_many": _("Select at most 100 tickets at once."),
        "merge_survivor_unselected": _("Enter the number of one of the selected tickets to merge the others into."),
        "merge_into_itself": _("A ticket cannot be merged into itself: enter another ticket's number."),
        "merge_into_closed": _("A ticket cannot be merged into a closed or merged ticket."),
        "merge_closed": _("A closed ticket cannot be merged."),
        "merge_chain": _("Other tickets were merged into this one: merge others into it instead."),
        "ticket_merged": _("The duplicate is merged into this ticket; both requesters were told by email."),
        # the agent's workspace: canned replies, followers, what was filed
        "canned_title_required": _("Enter the reply's title."),
        "canned_title_too_long": _("The title is too long (200 characters at most)."),
        "canned_body_required": _("Write the reply's text."),
        "canned_body_too_long": _("The text is too long (20,000 characters at most)."),
        "canned_placeholder_unknown": _(
            "The text names a placeholder that does not exist: use only those listed under the text."
        ),
        "canned_shared_admin_only": _("Only administrators add shared replies."),
        "canned_not_yours": _("Only its owner or an administrator changes this reply."),
        "canned_created": _("The canned reply is added."),
        "canned_saved": _("The canned reply is saved."),
        "canned_deleted": _("The canned reply is deleted."),
        "follower_unknown": _("Enter the email of an active account."),
        "follower_role_invalid": _("Choose co-executor or in copy."),
        "follower_not_staff": _("A co-executor is a member of staff."),
        "follower_not_customer": _("Only a customer can be in copy; add a colleague as a co-executor."),
        "follower_other_organization": _("Only a customer of the ticket's organization can be in copy."),
        "follower_already_involved": _("The requester and the assignee follow the ticket already."),
        "follower_not_allowed": _("Only the assignee, a supervisor or an administrator adds or removes followers."),
        "follower_added": _("The follower is added."),
        "follower_removed": _("The follower is removed."),
        "organization_not_requesters": _("Choose the requester's organization, or none."),
        "ticket_type_changed": _("The type is changed; the deadlines follow it."),
        "ticket_fields_changed": _("The details are saved."),
        "ticket_organization_changed": _("The organization is changed."),
        "": _("Something went wrong. Please try again."),
    }


def describe(code: str) -> str:
    texts = _descriptions()
    return texts.get(code) or texts[""]


NOTICES = frozenset(
    {
        "registered",
        "verified",
        "reset_sent",
        "verification_sent",
        "password_changed",
        "profile_saved",
        "signed_out",
        "user_created",
        "user_saved",
        "organization_created",
        "organization_saved",
        "identity_removed",
        "article_created",
        "article_saved",
        "article_status_changed",
        "revision_restored",
        "category_created",
        "category_saved",
        # staff tickets
        "ticket_replied",
        "ticket_note_added",
        "ticket_status_changed",
        "ticket_assigned",
        "ticket_priority_changed",
        "ticket_merged",
        "escalation_acknowledged",
        "group_created",
        "service_levels_saved",
        "group_member_added",
        "group_member_removed",
        "ticket_type_routed",
        "organization_member_added",
        "organization_member_removed",
        "ticket_filed_for_customer",
        "ticket_type_created",
        "ticket_type_saved",
        "ticket_type_retired",
        "ticket_type_restored",
        "custom_field_created",
        "custom_field_retired",
        "custom_field_restored",
        "token_revoked",
        # customer tickets
        "ticket_filed",
        "reply_added",
        "ticket_closed_by_customer",
        # recurring questions
        "groups_rebuilt",
        "group_dissolved",
        "ticket_detached",
        "groups_merged",
        "group_covered",
        "article_drafted",
        # reports
        "summary_on",
        "summary_off",
        # the agent's workspace
        "canned_created",
        "canned_saved",
        "canned_deleted",
        "follower_added",
        "follower_removed",
        "ticket_type_changed",
        "ticket_fields_changed",
        "ticket_organization_changed",
    }
)


def notice(code: str | None) -> str | None:
    """The text of a notice named in a redirect's query, or None for anything unknown."""
    return describe(code) if code in NOTICES else None


@per_locale
def _roles() -> dict[str, str]:
    return {"customer": _("Customer"), "agent": _("Agent"), "supervisor": _("Supervisor"), "admin": _("Administrator")}


def describe_role(role: str) -> str:
    return _roles().get(role, role)
