"""Languages: the gettext catalogs, the language of the current request, and how it is chosen."""

from __future__ import annotations

import contextlib
import contextvars
import gettext
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kb.languages import LOCALES

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
CATALOGS = Path(__file__).parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("portal_locale", default="en")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of a language, compiled from its .po file once per process (no binaries kept)."""
    po = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token:
    return _current.set(locale if locale in LOCALES else "en")


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = set_locale(locale)
    try:
        yield
    finally:
        _current.reset(token)


def gettext_(message: str, **params: object) -> str:
    text = translations(current_locale()).gettext(message)
    return text % params if params else text


def ngettext_(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext_


def negotiate(accept_language: str | None, default: str = "en") -> str:
    """The best of our languages for an Accept-Language header."""
    if not accept_language:
        return default
    choices: list[tuple[float, str]] = []
    for part in accept_language.split(",")[:20]:
        lang, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((quality, lang.strip().lower().split("-")[0]))
    for _quality, lang in sorted(choices, key=lambda c: -c[0]):
        if lang in LOCALES:
            return lang
    return default


def format_when(moment: datetime | None, time_zone: str, locale: str | None = None, style: str = "medium") -> str:
    if moment is None:
        return ""
    # Shown to the minute: every moment of a minute is one entry of the memo (each new ticket's
    # deadline would otherwise be formatted afresh).
    return _formatted(moment.replace(second=0, microsecond=0), time_zone, locale or current_locale(), style)


# Lists show the same few hundred deadlines on every render, and Babel takes ~50 µs a date: bounded memo.
@lru_cache(maxsize=8192)
def _formatted(moment: datetime, time_zone: str, locale: str, style: str) -> str:
    # The locale's date of the given style with its short time: minutes, no seconds, no zone name.
    babel_locale = _babel_locale(locale)
    pattern = babel_locale.datetime_formats[style].format(
        babel_locale.time_formats["short"].pattern, babel_locale.date_formats[style].pattern
    )
    return format_datetime(moment, format=pattern, tzinfo=_zone(time_zone), locale=babel_locale)


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def format_due(moment: datetime | None, now: datetime, time_zone: str, locale: str | None = None) -> str:
    """A deadline as a reader counts it: "in 3 hours (Dec 3, 2026, 1:28 PM)", "tomorrow 10:00",
    "overdue by 2 hours (…)"; further away, the date itself."""
    if moment is None:
        return ""
    locale = locale or current_locale()
    with use_locale(locale):
        left = moment - now
        if left < timedelta(0):
            return gettext_("overdue by %(span)s", span=_span(-left)) + f" ({format_when(moment, time_zone)})"
        if left < timedelta(hours=6):
            return gettext_("in %(span)s", span=_span(left)) + f" ({format_when(moment, time_zone)})"
        zone = _zone(time_zone)
        days = (moment.astimezone(zone).date() - now.astimezone(zone).date()).days
        at = format_time(moment, "short", tzinfo=zone, locale=_babel_locale(locale))
        if days == 0:
            return gettext_("today %(time)s", time=at)
        if days == 1:
            return gettext_("tomorrow %(time)s", time=at)
        return format_when(moment, time_zone, locale)


def _span(length: timedelta) -> str:
    minutes = max(1, round(length.total_seconds() / 60))
    if minutes < 60:
        return ngettext_("%(num)s minute", "%(num)s minutes", minutes)
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext_("%(num)s hour", "%(num)s hours", hours)
    return ngettext_("%(num)s day", "%(num)s days", round(hours / 24))


@cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)
