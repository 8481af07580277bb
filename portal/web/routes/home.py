"""The home page and the language switcher."""

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from auth.tables import User
from portal import i18n
from portal.settings import Settings
from portal.web.guards import PUBLIC
from portal.web.redirects import safe_next
from portal.web.session import language_cookie


class LanguageForm(msgspec.Struct):
    lang: str = "en"
    next: str = "/"


@get("/", opt=PUBLIC)
async def home() -> Template:
    return Template(template_name="home.html")


@post("/language", opt=PUBLIC)
async def switch_language(
    data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    settings: Settings,
    user: User | None,
) -> Response:
    locale = data.lang if data.lang in i18n.LOCALES else settings.default_locale
    if user is not None and user.locale != locale:
        user.locale = locale
        await user.save([User.locale])
    return Redirect(path=safe_next(data.next), cookies=[language_cookie(settings, locale)])


ROUTES = [home, switch_language]
