"""Rating a resolution from the emailed link, without signing in: the page records nothing (mail
scanners open links), the form's submit does."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from portal.settings import Settings
from portal.tickets import public_view
from portal.tickets.errors import TicketError
from portal.web.guards import PUBLIC

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class LinkRatingForm(msgspec.Struct):
    score: str = ""
    comment: str = ""


def _page(request: public_view.RatingRequest, token: str, status: int = 200, **context: object) -> Template:
    return Template(
        template_name="tickets/rate.html", status_code=status, context={"rating": request, "token": token, **context}
    )


@get("/rate/{token:str}", opt=PUBLIC)
async def rating_page(token: FromPath[str], settings: NamedDependency[Settings]) -> Template:
    return _page(await public_view.rating_request(settings, token), token)


@post("/rate/{token:str}", opt=PUBLIC)
async def rate_by_link(
    token: FromPath[str], data: Annotated[LinkRatingForm, FORM], settings: NamedDependency[Settings]
) -> Response:
    try:
        await public_view.rate_by_link(settings, token, data.score, data.comment)
    except TicketError as exc:
        if exc.code != "score_invalid":
            raise  # a bad link or a second rating: the error page says so
        return _page(await public_view.rating_request(settings, token), token, 400, error=exc.code, form=data)
    return Redirect(path=f"/rate/{token}")  # the page says the rating is recorded: one confirmation


ROUTES = [rating_page, rate_by_link]
