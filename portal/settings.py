"""Settings: every PORTAL_* variable, read once at start-up and passed in."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from auth.oidc.config import Provider, ProviderConfigError, providers_from_env

DEFAULT_MAIL_FROM = "Northwind Support <support@localhost>"
DEFAULT_SITE_NAME = "Northwind Support"
MB = 1024 * 1024


class SettingsError(ValueError):
    """The environment does not describe a runnable portal."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dates(value: str) -> frozenset[date]:
    """Holidays as ISO dates, comma-separated: 2027-01-01,2027-01-07."""
    try:
        return frozenset(date.fromisoformat(part.strip()) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"PORTAL_HOLIDAYS must list dates like 2027-01-01: {exc}") from exc


def _positive(value: str, name: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1")
    return int(value)


def _accent(value: str) -> str:
    """The theme's accent colour, #rgb or #rrggbb: links and buttons are drawn in it on white, so it
    must keep the 4.5:1 contrast text needs (WCAG AA) with white."""
    value = value.strip().lower()
    if not value:
        return ""
    digits = value[1:] if value.startswith("#") else ""
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if len(digits) != 6 or any(d not in "0123456789abcdef" for d in digits):
        raise SettingsError("PORTAL_ACCENT_COLOUR must be a colour like #0b57d0")
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    if 1.05 / (luminance + 0.05) < 4.5:
        raise SettingsError("PORTAL_ACCENT_COLOUR is too light: text in it on white must keep 4.5:1 contrast")
    return "#" + digits


def _logo(value: str) -> str:
    """The logo's address: a path on this site or an https URL (the page's policy then lets images in from there)."""
    value = value.strip()
    if value and not (value.startswith("https://") or (value.startswith("/") and not value.startswith("//"))):
        raise SettingsError("PORTAL_LOGO_URL must be a path on this site (/static/logo.svg) or an https:// URL")
    if any(ch in value for ch in " \"'<>"):
        raise SettingsError("PORTAL_LOGO_URL must not contain spaces, quotes or angle brackets")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> tuple[int, int]:
    """A rate limit as COUNT/SECONDS: 30/600 lets 30 requests through in any 10 minutes."""
    count, _sep, seconds = env.get(name, default).strip().partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) >= 1 and int(seconds) >= 1):
        raise SettingsError(f"{name} must look like 30/600 (requests/seconds), both at least 1")
    return int(count), int(seconds)


RATE_DEFAULTS = {
    "PORTAL_RATE_SEARCH": "120/60",
    "PORTAL_RATE_TICKET_WRITES": "30/600",
    "PORTAL_RATE_WRITES": "60/600",
    "PORTAL_RATE_ADDRESS_WRITES": "300/600",
    "PORTAL_RATE_API": "600/60",
}


def _secret_from_data_dir(data_dir: Path) -> str:
    """A development secret, generated once and kept beside the database."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _percent(value: str, name: str) -> int:
    number = _positive(value, name)
    if number >= 100:
        raise SettingsError(f"{name} must be a percentage below 100")
    return number


def _shipped_content() -> Path:
    """The knowledge base beside the code (a source checkout), else ./content (the Docker image)."""
    beside_code = Path(__file__).resolve().parents[1] / "content"
    return beside_code if beside_code.is_dir() else Path("content")


def database_url_from_env(env: Mapping[str, str] = os.environ) -> str:
    data_dir = Path(env.get("PORTAL_DATA_DIR", "var")).expanduser().resolve()
    url = env.get("PORTAL_DATABASE_URL", "") or f"sqlite:///{data_dir / 'portal.sqlite3'}"
    if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SettingsError("PORTAL_DATABASE_URL must start with sqlite:/// or postgresql://")
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_url: str = ""
    mail_from: str = DEFAULT_MAIL_FROM
    site_name: str = DEFAULT_SITE_NAME
    logo_url: str = ""  # shown before the site name in the header
    accent_colour: str = ""  # links and buttons; the stylesheet's own blue when empty
    default_locale: str = "en"
    default_time_zone: str = "UTC"
    session_idle_minutes: int = 60 * 24 * 7
    session_absolute_hours: int = 24 * 30
    trusted_proxies: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    demo_accounts: bool = True
    background_jobs: bool = True
    database_pool: bool = True
    content_dir: Path = Path("content")
    holidays: frozenset[date] = frozenset()
    auto_close_days: int = 7
    sla_warn_percent: int = 80  # the assignee is warned when this much of the time to a deadline passed
    kb_public: bool = True
    log_json: bool = False
    oidc_providers: tuple[Provider, ...] = ()
    attachment_max_bytes: int = 10 * MB
    # Rate limits (count, seconds), see portal/web/limits.py; staff get `rate_staff_factor` times as many.
    rate_search: tuple[int, int] = (120, 60)
    rate_ticket_writes: tuple[int, int] = (30, 600)
    rate_writes: tuple[int, int] = (60, 600)
    rate_address_writes: tuple[int, int] = (300, 600)
    rate_api: tuple[int, int] = (600, 60)
    rate_staff_factor: int = 5
    imap_url: str = ""
    inbound_unknown: str = "hold"
    inbound_max_bytes: int = 25 * MB

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def debug(self) -> bool:
        return not self.production

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        mode = env.get("PORTAL_ENV", "development").strip().lower()
        if mode not in {"development", "production"}:
            raise SettingsError(f"PORTAL_ENV must be 'development' or 'production', not {mode!r}")
        data_dir = Path(env.get("PORTAL_DATA_DIR", "var")).expanduser().resolve()
        production = mode == "production"
        secret = env.get("PORTAL_SECRET_KEY", "")
        base_url = env.get("PORTAL_BASE_URL", "")
        if production:
            missing = [
                name for name, value in (("PORTAL_SECRET_KEY", secret), ("PORTAL_BASE_URL", base_url)) if not value
            ]
            if missing:
                raise SettingsError("production needs " + " and ".join(missing))
            if len(secret) < 32:
                raise SettingsError("PORTAL_SECRET_KEY must be at least 32 characters")
        host = env.get("PORTAL_HOST", "127.0.0.1")
        try:
            port = int(env.get("PORTAL_PORT", "8000"))
        except ValueError as exc:
            raise SettingsError("PORTAL_PORT must be a number") from exc
        database_url = database_url_from_env(env)
        base_url = (base_url or f"http://{host}:{port}").rstrip("/")
        if urlsplit(base_url).scheme not in {"http", "https"}:
            raise SettingsError("PORTAL_BASE_URL must be an http or https URL")
        try:
            attachment_mb = int(env.get("PORTAL_ATTACHMENT_MAX_MB", "10"))
        except ValueError as exc:
            raise SettingsError("PORTAL_ATTACHMENT_MAX_MB must be a whole number of megabytes") from exc
        if not 1 <= attachment_mb <= 1024:
            raise SettingsError("PORTAL_ATTACHMENT_MAX_MB must be between 1 and 1024")
        proxies = tuple(p.strip() for p in env.get("PORTAL_TRUSTED_PROXIES", "").split(",") if p.strip())
        hosts = tuple(h.strip().lower() for h in env.get("PORTAL_ALLOWED_HOSTS", "").split(",") if h.strip())
        try:
            oidc_providers = providers_from_env(env, require_https=production)
        except ProviderConfigError as exc:
            raise SettingsError(str(exc)) from exc
        imap_url = env.get("PORTAL_IMAP_URL", "")
        if imap_url and urlsplit(imap_url).scheme not in {"imap", "imaps"}:
            raise SettingsError("PORTAL_IMAP_URL must start with imaps:// (or imap:// on a trusted network)")
        inbound_unknown = env.get("PORTAL_INBOUND_UNKNOWN", "hold").strip().lower()
        if inbound_unknown not in {"hold", "create"}:
            raise SettingsError("PORTAL_INBOUND_UNKNOWN must be 'hold' or 'create'")
        return cls(
            env=mode,
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret or _secret_from_data_dir(data_dir),
            base_url=base_url,
            host=host,
            port=port,
            smtp_url=env.get("PORTAL_SMTP_URL", ""),
            mail_from=env.get("PORTAL_MAIL_FROM", DEFAULT_MAIL_FROM),
            site_name=env.get("PORTAL_SITE_NAME", DEFAULT_SITE_NAME),
            logo_url=_logo(env.get("PORTAL_LOGO_URL", "")),
            accent_colour=_accent(env.get("PORTAL_ACCENT_COLOUR", "")),
            default_locale=env.get("PORTAL_DEFAULT_LOCALE", "en"),
            default_time_zone=env.get("PORTAL_DEFAULT_TIME_ZONE", "UTC"),
            session_idle_minutes=int(env.get("PORTAL_SESSION_IDLE_MINUTES", str(60 * 24 * 7))),
            session_absolute_hours=int(env.get("PORTAL_SESSION_ABSOLUTE_HOURS", str(24 * 30))),
            trusted_proxies=proxies,
            allowed_hosts=hosts,
            demo_accounts=_bool(env.get("PORTAL_DEMO_ACCOUNTS", "false" if production else "true")),
            background_jobs=_bool(env.get("PORTAL_BACKGROUND_JOBS", "true")),
            database_pool=_bool(env.get("PORTAL_DATABASE_POOL", "true")),
            content_dir=Path(env.get("PORTAL_CONTENT_DIR", "") or _shipped_content()).resolve(),
            kb_public=_bool(env.get("PORTAL_KB_PUBLIC", "true")),
            holidays=_dates(env.get("PORTAL_HOLIDAYS", "")),
            auto_close_days=_positive(env.get("PORTAL_AUTO_CLOSE_DAYS", "7"), "PORTAL_AUTO_CLOSE_DAYS"),
            sla_warn_percent=_percent(env.get("PORTAL_SLA_WARN_PERCENT", "80"), "PORTAL_SLA_WARN_PERCENT"),
            log_json=_bool(env.get("PORTAL_LOG_JSON", "true" if production else "false")),
            oidc_providers=oidc_providers,
            attachment_max_bytes=attachment_mb * MB,
            **{name.removeprefix("PORTAL_").lower(): _rate(env, name, v) for name, v in RATE_DEFAULTS.items()},
            rate_staff_factor=_positive(env.get("PORTAL_RATE_STAFF_FACTOR", "5"), "PORTAL_RATE_STAFF_FACTOR"),
            imap_url=imap_url,
            inbound_unknown=inbound_unknown,
            inbound_max_bytes=_positive(env.get("PORTAL_INBOUND_MAX_MB", "25"), "PORTAL_INBOUND_MAX_MB") * MB,
        )
