"""Languages: the gettext catalogs, the language of the current request, and how it is chosen."""

from __future__ import annotations

import contextlib
import contextvars
import gettext
import io
from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
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
    return _formatted(moment, time_zone, locale or current_locale(), style)


# Lists show the same few hundred deadlines on every render, and Babel takes ~50 µs a date: bounded memo.
@lru_cache(maxsize=8192)
def _formatted(moment: datetime, time_zone: str, locale: str, style: str) -> str:
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(moment, format=style, tzinfo=zone, locale=_babel_locale(locale))


@cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)
