"""The page templates: one Jinja environment, autoescaped, translated per request."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote_plus

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from jinja2.filters import do_urlencode
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup, _escape_inner, escape

from portal import i18n
from portal.accounts import oidc_signin
from portal.settings import Settings
from portal.sla import levels
from portal.web import messages, ticket_labels

TEMPLATES = Path(__file__).parent / "templates"


class _Context(Context):
    """Jinja's `Context.call` looks every callable over for a context or environment to pass it, on each
    call, some forty times a page; the environment's own functions take neither and are called directly
    (a tenth of the search page's rendering)."""

    def call(__self, __obj, *args, **kwargs):  # Jinja's names: a keyword argument may be called "self"
        if __self.environment.plain_functions.get(id(__obj)) is __obj:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


_new_markup = str.__new__


def _escape(value: object) -> Markup:
    """What `{{ value }}` writes: markupsafe's escape, without its Python-level checks and Markup
    constructor for the two kinds a page outputs most, text and what is already markup (translations,
    macros, snippets): some eighty values a search page, each a few hundred instructions cheaper."""
    kind = type(value)
    if kind is str:
        return _new_markup(Markup, _escape_inner(value))
    if kind is Markup:
        return value  # immutable: the same object is as good as a copy
    return escape(value)


class _Template(Template):
    """Pages write values through `_escape`, and an import that adds nothing to the imported template's
    globals takes its cached module without Jinja's key-by-key comparison of two mappings."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)

    def _get_default_module(self, ctx=None):
        if ctx is not None and not ctx.globals_keys.difference(self.globals):
            ctx = None  # the page's globals are all the imported template's own: its cached module
        return super()._get_default_module(ctx)


@lru_cache(maxsize=1024)
def _quoted(text: str) -> str:
    return quote_plus(text, safe="")


def _urlencode(value: object) -> str:
    """Jinja's `urlencode` (a query string of a mapping, "+" for spaces), each key and value quoted once
    a page: a search page's links repeat the query three or four times."""
    if not isinstance(value, dict):
        return do_urlencode(value)
    return "&".join(f"{_quoted(str(k))}={_quoted(str(v))}" for k, v in value.items())


def _takes_nothing(value: object) -> bool:
    """A callable Jinja passes no context, evaluation context or environment to."""
    # Jinja looks at the object and at its __call__ (not a test of whether it can be called).
    method = getattr(type(value), "__call__", None)  # noqa: B004
    return callable(value) and not any(hasattr(target, "jinja_pass_arg") for target in (value, method))


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
    # The i18n extension's calls in their "newstyle" form (`_("%(n)s items", n=…)`, `{% trans %}`), answered
    # by the two functions below directly instead of through the extension's wrappers: those take the
    # template's context, and a call that takes it from inside a block or a loop copies it first.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.globals.update(
        site_name=settings.site_name,
        logo_url=settings.logo_url,
        accent_colour=settings.accent_colour,
        languages=i18n.LANGUAGE_NAMES,
        current_locale=i18n.current_locale,
        describe=messages.describe,
        notice=messages.notice,
        describe_role=messages.describe_role,
        plan_name_in_language=levels.name_in_language,
        ticket_label=ticket_labels.ticket_label,
        user_of=lambda request: request.scope.get("user"),
        page_address=_page_address,
        sign_in_providers=lambda: oidc_signin.buttons(settings),
    )
    env.globals["category_name"] = _category_name
    zone = settings.default_time_zone

    def when(moment, user=None, style: str = "medium") -> str:
        """Every date and time on a page: the reader's zone (the site's for visitors), no seconds."""
        return i18n.format_when(moment, user.time_zone if user is not None else zone, style=style)

    def due(moment, user=None) -> str:
        """A deadline: how far away it is ("in 3 hours", "tomorrow 10:00", "overdue by 2 hours")."""
        return i18n.format_due(moment, datetime.now(UTC), user.time_zone if user is not None else zone)

    env.filters["urlencode"] = _urlencode
    env.filters["when"] = when
    env.filters["due"] = due
    # Litestar adds its own (csrf_token, url_for) later: those take the context and keep Jinja's way.
    env.plain_functions = {id(value): value for value in env.globals.values() if _takes_nothing(value)}  # type: ignore[attr-defined]
    env.context_class = _Context
    env.template_class = _Template
    return env


# Jinja's i18n extension marks a translation safe before filling it in, so a placeholder such as
# "Bearer <token>" in a message would reach the page as a tag: translations are text, escaped here.
# Every message is a format string, also without variables ("%%" is a percent sign), as the extension's
# newstyle gettext has it. A page asks for a few dozen messages: each is looked up, escaped and
# formatted once per language.
@lru_cache(maxsize=4096)
def _translation(locale: str, message: str, formatted: bool) -> Markup:
    text = escape(i18n.translations(locale).gettext(message))
    return text % {} if formatted else text


def _gettext(message: str, **variables: object) -> Markup:
    locale = i18n.current_locale()
    return _translation(locale, message, False) % variables if variables else _translation(locale, message, True)


def _ngettext(singular: str, plural: str, n: int, **variables: object) -> Markup:
    text = escape(i18n.translations(i18n.current_locale()).ngettext(singular, plural, n))
    return text % {"num": n, **variables}


def _page_address(request) -> str:
    """The path and query of the page being rendered (where the language form sends the reader back),
    from the scope: `request.url` would build and parse a whole URL for them."""
    scope = request.scope
    path = scope.get("root_path", "") + scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode()}" if query else path


def _category_name(category) -> str:
    """A category's name in the reader's language (categories come as rows or as objects)."""
    field = "name_ru" if i18n.current_locale() == "ru" else "name_en"
    return category[field] if isinstance(category, dict) else getattr(category, field)


def template_config(settings: Settings) -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment(settings)))
