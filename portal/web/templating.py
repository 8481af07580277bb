"""The page templates: one Jinja environment, autoescaped, translated per request."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from portal import i18n
from portal.accounts import oidc_signin
from portal.settings import Settings
from portal.web import messages

TEMPLATES = Path(__file__).parent / "templates"


def environment(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Checking every template's file on each render is for editing them while developing.
        auto_reload=not settings.production,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        site_name=settings.site_name,
        languages=i18n.LANGUAGE_NAMES,
        current_locale=i18n.current_locale,
        describe=messages.describe,
        notice=messages.notice,
        describe_role=messages.describe_role,
        describe_plan=messages.describe_plan,
        ticket_label=messages.ticket_label,
        user_of=lambda request: request.scope.get("user"),
        sign_in_providers=lambda: oidc_signin.buttons(settings),
    )
    env.globals["category_name"] = _category_name
    env.filters["when"] = _when
    return env


def _category_name(category) -> str:
    """A category's name in the reader's language (categories come as rows or as objects)."""
    field = "name_ru" if i18n.current_locale() == "ru" else "name_en"
    return category[field] if isinstance(category, dict) else getattr(category, field)


def _when(moment, user=None, style: str = "medium") -> str:
    return i18n.format_when(moment, user.time_zone if user is not None else "UTC", style=style)


def template_config(settings: Settings) -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment(settings)))
