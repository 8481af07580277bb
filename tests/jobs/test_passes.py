"""The background pass as a server process starts it: mail leaves in the first pass, and a task that
fails holds up none of the others."""

from __future__ import annotations

import asyncio
import contextlib

from portal import db
from portal.jobs import passes
from portal.notify.outbox import enqueue


async def test_a_starting_pass_sends_queued_mail_at_once_even_when_another_task_fails(settings, monkeypatch):
    await enqueue("ann@example.com", "password_reset", "en", name="Ann", link="http://x/y", site_name="S")

    async def broken(_engine):
        raise RuntimeError("statistics failed")

    monkeypatch.setattr(db, "refresh_statistics", broken)  # the first task of the first pass
    running = asyncio.create_task(passes.run(settings))
    try:
        for _tick in range(30):  # within the first pass: the next starts MAIL_EVERY_S later
            if settings.maildir.joinpath("new").exists() and any(settings.maildir.joinpath("new").iterdir()):
                break
            await asyncio.sleep(0.05)
        delivered = list(settings.maildir.joinpath("new").iterdir())
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert len(delivered) == 1


async def test_a_task_the_database_outage_stopped_is_tried_again_at_the_next_pass(settings, monkeypatch):
    calls = []

    async def away_then_back(_engine):
        calls.append(len(calls))
        if len(calls) == 1:
            raise db.DatabaseUnavailable("connection refused")

    monkeypatch.setattr(db, "refresh_statistics", away_then_back)  # due once a day
    running = asyncio.create_task(passes.run(settings))
    try:
        for _tick in range(100):
            if len(calls) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        db.OUTAGE.over()
    assert len(calls) == 2  # not a day later
