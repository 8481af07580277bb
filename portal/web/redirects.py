"""Where a redirect after a form may go: only paths on this site."""


def safe_next(target: str | None, default: str = "/") -> str:
    """Relative same-origin paths only: `//evil`, `/\\evil` and absolute URLs fall back to the default."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith(("//", "/\\")) or any(ord(ch) < 32 for ch in target) or "\\" in target:
        return default
    return target
