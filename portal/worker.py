"""Background work every portal process runs: mail delivery and expiry of old records."""

from __future__ import annotations

import asyncio
import logging
import time

from auth import ratelimit, sessions
from portal.accounts import session_lifetime
from portal.notify import sender
from portal.settings import Settings

log = logging.getLogger("portal.worker")
MAIL_EVERY_S = 2.0
PURGE_EVERY_S = 600.0


async def run(settings: Settings) -> None:
    """Until cancelled; several processes may run it at once (claims keep mail single-sent)."""
    transport = sender.transport_for(settings.smtp_url, settings.maildir)
    last_purge = 0.0
    while True:
        try:
            await sender.deliver_due(transport, settings.mail_from)
            if time.monotonic() - last_purge > PURGE_EVERY_S:
                last_purge = time.monotonic()
                await sessions.purge_expired(session_lifetime(settings))
                await ratelimit.purge_expired()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background pass failed")
        await asyncio.sleep(MAIL_EVERY_S)
