"""The home page and the language switcher."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from auth.tables import User
from kb.indexing import IndexSync
from portal import i18n
from portal.accounts import personal
from portal.accounts.landing import safe_next
from portal.knowledge import reading
from portal.settings import Settings
from portal.web.guards import PUBLIC
from portal.web.session import language_cookie


class LanguageForm(msgspec.Struct):
    lang: str = "en"
    next: FromQuery[str] = "/"


@get("/", opt=PUBLIC)
async def home(
    kb: NamedDependency[IndexSync], settings: NamedDependency[Settings], viewer: NamedDependency[User | None]
) -> Template:
    """The help center's front: search, the categories and the most read articles (when the reader may see them)."""
    readable = settings.kb_public or viewer is not None
    context = await reading.front_page(kb, i18n.current_locale()) if readable else {}
    return Template(template_name="home.html", context=context)


@get("/theme.css", opt=PUBLIC, cache_control=CacheControlHeader(max_age=3600, public=True))
async def theme(settings: NamedDependency[Settings]) -> Response:
    """PORTAL_ACCENT_COLOUR (validated at start-up) as a stylesheet: the policy allows no inline styles."""
    accent = settings.accent_colour or "#0b57d0"
    return Response(f":root {{ --accent: {accent}; }}\n", media_type="text/css")


@post("/language", opt=PUBLIC)
async def switch_language(
    data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    settings: NamedDependency[Settings],
    viewer: NamedDependency[User | None],
) -> Response:
    locale = data.lang if data.lang in i18n.LOCALES else settings.default_locale
    if viewer is not None:
        await personal.choose_language(viewer, locale)
    # On an article with a translation into the new language, the translation opens.
    target = await reading.in_language(safe_next(data.next), locale)
    return Redirect(path=target, cookies=[language_cookie(settings, locale)])


ROUTES = [home, theme, switch_language]
