"""A bare Litestar "hello" app: the yardstick the portal's pages are compared with."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "hello"


app = Litestar(route_handlers=[hello])
