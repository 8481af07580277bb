"""What each error or notice code says to a person, in the language of the request."""

from __future__ import annotations

from portal.i18n import _


def describe(code: str) -> str:
    texts = {
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
        "email_taken": _("An account with this email already exists."),
        "organization_unknown": _("Choose an existing organization."),
        "organization_exists": _("An organization with this name already exists."),
        "organization_name_invalid": _("Enter the organization's name (200 characters at most)."),
        "invalid_role": _("Choose a role from the list."),
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
    }
    return texts.get(code, _("Something went wrong. Please try again."))


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
    }
)


def notice(code: str | None) -> str | None:
    """The text of a notice named in a redirect's query, or None for anything unknown."""
    return describe(code) if code in NOTICES else None


def describe_role(role: str) -> str:
    return {
        "customer": _("Customer"),
        "agent": _("Agent"),
        "supervisor": _("Supervisor"),
        "admin": _("Administrator"),
    }.get(role, role)


def describe_plan(plan: str) -> str:
    return {"standard": _("Standard"), "premium": _("Premium")}.get(plan, plan)
