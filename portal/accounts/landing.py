"""Where a redirect may go (only paths on this site) and where a sign-in leads, by password or by an
OpenID Connect provider alike."""

from auth.tables import Role

STAFF_HOME = "/staff/tickets"
_STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def safe_next(target: str | None, default: str = "/") -> str:
    """Relative same-origin paths only: `//evil`, `/\\evil` and absolute URLs fall back to the default."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith(("//", "/\\")) or any(ord(ch) < 32 for ch in target) or "\\" in target:
        return default
    return target


def after_sign_in(role: str, target: str | None) -> str:
    """Where a sign-in leads: the page it was asked from, else staff to their queue and customers home."""
    wanted = safe_next(target)
    return STAFF_HOME if wanted == "/" and role in _STAFF else wanted
