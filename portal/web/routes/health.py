"""Liveness and readiness probes for operators and load balancers."""

from litestar import Response, get

from portal import db
from portal.web.guards import NO_FORM, PUBLIC


@get("/health", opt={**PUBLIC, **NO_FORM}, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", opt={**PUBLIC, **NO_FORM})
async def ready() -> Response:
    try:
        await db.ping()
    except Exception as exc:
        return Response({"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, status_code=503)
    pending = await db.pending_migrations()
    if pending:
        return Response({"status": "unavailable", "database": "ok", "pending_migrations": pending}, status_code=503)
    return Response({"status": "ready", "database": "ok", "pending_migrations": []}, status_code=200)


ROUTES = [health, ready]
