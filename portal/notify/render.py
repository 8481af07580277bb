"""Email templates rendered in the recipient's language: subject, plain text and HTML. A template that
only prints its fields is rendered once per language and set of fields, and copies are filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes, select_autoescape
from markupsafe import escape

from portal import i18n

TEMPLATES = Path(__file__).parent / "templates"
# A field's stand-in in a template rendered once to be filled in: private-use characters that no
# template, escaping or translation changes.
_STAND_IN = re.compile("\ue000([A-Za-z_][A-Za-z0-9_]*)\ue000")
_GETTEXT = frozenset({"gettext", "_"})
# What can change printed text after it is printed, or bring in templates not looked at.
_UNCHECKED = (
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Macro,
    nodes.CallBlock,
    nodes.FilterBlock,
    nodes.AssignBlock,
    nodes.EvalContextModifier,
)


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
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def render(template_name: str, locale: str, **context: object) -> RenderedEmail:
    """`<template_name>.txt` holds the subject and text blocks; `<template_name>.html` (autoescaped) the HTML body."""
    shape = _shape(template_name, locale, tuple(sorted(context)))
    if shape is None:
        raw = _parts(template_name, locale, context)
        return RenderedEmail(subject=one_line(raw.subject), text=raw.text.strip() + "\n", html=raw.html)
    plain = {name: str(value) for name, value in context.items()}
    subject = one_line(_fill(shape.subject, plain))
    escaped = {name: str(escape(value)) for name, value in context.items()}
    escaped["email_subject"] = str(escape(subject))
    return RenderedEmail(subject=subject, text=_fill(shape.text, plain).strip() + "\n", html=_fill(shape.html, escaped))


def _parts(template_name: str, locale: str, context: dict[str, object], title: str | None = None) -> RenderedEmail:
    """The subject and text as the templates give them (not yet folded and trimmed), and the HTML, whose
    title is `title` or else the folded subject."""
    env = _environment()
    text_template = env.get_template(f"{template_name}.txt")
    with i18n.use_locale(locale):
        ctx = text_template.new_context(dict(context))
        subject = "".join(text_template.blocks["subject"](ctx))
        text = "".join(text_template.blocks["body"](ctx))
        html = env.get_template(f"{template_name}.html").render(
            **{**context, "email_subject": one_line(subject) if title is None else title, "locale": locale}
        )
    return RenderedEmail(subject=subject, text=text, html=html)


def _fill(shape: str, values: dict[str, str]) -> str:
    # One pass: a value that happens to hold a stand-in is not filled in again.
    return _STAND_IN.sub(lambda found: values[found.group(1)], shape)


@cache
def _shape(template_name: str, locale: str, fields: tuple[str, ...]) -> RenderedEmail | None:
    """The parts rendered with a stand-in for each field (and for the HTML's title), or None when the
    templates do more with a field than print it. Filling the stand-ins in gives what rendering with
    the values gives, in a fraction of the time."""
    env = _environment()
    printed = {*fields, "email_subject"}
    if not all(_prints_only(env, f"{template_name}.{kind}", printed) for kind in ("txt", "html")):
        return None
    stand_ins = {name: f"\ue000{name}\ue000" for name in fields}
    try:
        return _parts(template_name, locale, stand_ins, "\ue000email_subject\ue000")
    except (TypeError, ValueError):  # a translation formats a field as a number: rendered each time
        return None


def _prints_only(env: Environment, name: str, fields: set[str]) -> bool:
    """Whether the template, and the one it extends, only print the fields (as they are or in a
    translated sentence) or ask whether they are defined: never test, filter, loop over or assign them."""
    assert env.loader is not None
    tree = env.parse(env.loader.get_source(env, name)[0])
    if any(True for _ in tree.find_all(_UNCHECKED)):
        return False
    for extends in tree.find_all(nodes.Extends):
        if not isinstance(extends.template, nodes.Const) or not _prints_only(env, extends.template.value, fields):
            return False
    return _only_printed(tree, (), fields)


def _only_printed(node: nodes.Node, parents: tuple[nodes.Node, ...], fields: set[str]) -> bool:
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Name) and child.name in fields and not _printed(node, parents):
            return False
        if not _only_printed(child, (*parents, node), fields):
            return False
    return True


def _printed(parent: nodes.Node, grandparents: tuple[nodes.Node, ...]) -> bool:
    """Whether a field under `parent` is printed: output, a translation's variable, or `is defined`."""
    if isinstance(parent, nodes.Output):
        return True
    if isinstance(parent, nodes.Test):
        return parent.name == "defined"
    call = grandparents[-1] if grandparents else None
    return (
        isinstance(parent, nodes.Keyword)
        and isinstance(call, nodes.Call)
        and isinstance(call.node, nodes.Name)
        and call.node.name in _GETTEXT
    )
