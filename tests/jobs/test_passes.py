"""The background pass as a server process starts it: mail leaves in the first pass, a task that fails
holds up none of the others, and a job of the whole site runs in one process a period."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from portal import db
from portal.jobs import leases, passes
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


async def test_two_processes_passes_run_a_job_of_the_whole_site_once(settings, monkeypatch):
    calls = []

    async def counted(_engine):
        calls.append(1)
        await asyncio.sleep(0.05)  # both passes are inside their first pass meanwhile

    monkeypatch.setattr(db, "refresh_statistics", counted)
    first, second = (asyncio.create_task(passes.run(settings)) for _ in range(2))
    try:
        for _tick in range(40):
            await asyncio.sleep(0.05)
    finally:
        for running in (first, second):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
    assert calls == [1]  # a day's statistics, once however many processes start


async def test_a_leased_job_runs_once_a_period_and_again_at_once_after_it_failed(database_url):
    runs = []
    every, running = timedelta(minutes=10), timedelta(minutes=30)

    async def job():
        runs.append(len(runs))
        await asyncio.sleep(0.01)
        return "done"

    now = datetime.now(UTC)
    results = await asyncio.gather(*(leases.once("purge", every, running, job, now) for _ in range(3)))
    assert results.count("done") == 1 and results.count(None) == 2 and runs == [0]
    assert await leases.once("purge", every, running, job, now + timedelta(minutes=9)) is None
    assert await leases.once("purge", every, running, job, now + every) == "done"

    async def failing():
        raise RuntimeError("disk full")

    later = now + 2 * every
    with pytest.raises(RuntimeError):
        await leases.once("purge", every, running, failing, later)
    assert await leases.once("purge", every, running, job, later) == "done"  # due again at once
    assert runs == [0, 1, 2]
