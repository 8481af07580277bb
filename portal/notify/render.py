"""Email templates rendered in the recipient's language: subject, plain text and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal import i18n

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Mail templates ship with the package: no need to look at their files on every message.
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    return env


def one_line(text: str) -> str:
    """Headers are single lines: CR, LF and other control characters cannot smuggle a header in."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def render(template_name: str, locale: str, **context: object) -> RenderedEmail:
    """`<template_name>.txt` holds the subject and text blocks; `<template_name>.html` (autoescaped) the HTML body."""
    env = _environment()
    text_template = env.get_template(f"{template_name}.txt")
    with i18n.use_locale(locale):
        ctx = text_template.new_context(dict(context))
        subject = one_line("".join(text_template.blocks["subject"](ctx)))
        text = "".join(text_template.blocks["body"](ctx)).strip() + "\n"
        html = env.get_template(f"{template_name}.html").render(
            **{**context, "email_subject": subject, "locale": locale}
        )
    return RenderedEmail(subject=subject, text=text, html=html)
