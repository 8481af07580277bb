"""The recurring-question groups are rebuilt by one process a period, however many run the background
pass: two tasks or two processes at the same moment make one rebuild; a claimer that died holds the
rebuild back only until its lease runs out; a rebuild by hand waits for none but a running one."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.insights.tables import GroupingRun
from portal.jobs import leases, regrouping
from portal.tickets.filing import NewTicket, open_ticket
from tests.helpers import create_user, line_from, start_child
from tests.portal.insights.test_groups_web import INVOICE, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("regroup_worker.py")
WITHIN_S = 60


@pytest.fixture
async def customer(settings):
    customer = await create_user(settings, "ann@example.com")
    await file(settings, customer, PASSWORD)
    return customer


async def file(settings, customer, subjects) -> None:
    for subject in subjects:
        await open_ticket(settings, customer, NewTicket(type="question", subject=subject, description=subject))


async def test_two_tasks_at_the_same_moment_rebuild_once(customer):
    now = datetime.now(UTC)
    assert sorted(await asyncio.gather(regrouping.when_due(now), regrouping.when_due(now))) == [False, True]
    assert await GroupingRun.count() == 1


async def test_the_next_rebuild_waits_for_the_next_period(settings, customer):
    now = datetime.now(UTC)
    assert await regrouping.when_due(now)
    await file(settings, customer, INVOICE)  # the groups are stale again
    assert not await regrouping.when_due(now + timedelta(minutes=1))
    assert await regrouping.when_due(now + regrouping.EVERY)
    assert await GroupingRun.count() == 2


async def test_a_period_without_ticket_changes_rebuilds_nothing(customer):
    now = datetime.now(UTC)
    assert await regrouping.when_due(now)
    assert not await regrouping.when_due(now + regrouping.EVERY)
    assert await GroupingRun.count() == 1


async def test_a_claimer_that_died_holds_the_rebuild_back_only_until_its_lease_runs_out(customer):
    now = datetime.now(UTC)
    assert await leases.claim(regrouping.LEASE, regrouping.RUNNING, now)  # and never releases it
    assert not await regrouping.when_due(now + regrouping.EVERY)
    assert not await regrouping.when_due(now + regrouping.RUNNING - timedelta(seconds=1))
    assert await regrouping.when_due(now + regrouping.RUNNING)
    assert await GroupingRun.count() == 1


async def test_a_rebuild_by_hand_runs_at_once_unless_another_is_running(settings, customer):
    assert (await regrouping.rebuild_now()).groups == 1  # right after start-up, before the background's turn
    assert not await regrouping.when_due(datetime.now(UTC))  # it counts as this period's
    holder = await leases.claim(regrouping.LEASE, regrouping.RUNNING, datetime.now(UTC) + regrouping.EVERY)
    assert holder  # a background rebuild is under way
    with pytest.raises(regrouping.RebuildRunning):
        await regrouping.rebuild_now()
    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["insights", "rebuild"],
        env={"PORTAL_DATABASE_URL": settings.database_url, "PORTAL_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code != 0 and "another process is rebuilding" in result.output
    await leases.release(regrouping.LEASE, holder, datetime.now(UTC))
    assert (await regrouping.rebuild_now()).tickets == len(PASSWORD)
    assert await GroupingRun.count() == 2


def start_worker(database_url: str) -> subprocess.Popen:
    return start_child(WORKER, database_url)


async def answer(process: subprocess.Popen) -> str:
    return await line_from(process, WITHIN_S)


async def test_two_processes_rebuild_once_a_period(settings, database_url, customer):
    workers = [start_worker(database_url), start_worker(database_url)]
    try:
        assert [await answer(w) for w in workers] == ["ready", "ready"]

        async def both_at(moment: datetime) -> list[str]:
            for w in workers:
                w.stdin.write(moment.isoformat() + "\n")
                w.stdin.flush()
            return sorted(await asyncio.gather(*(answer(w) for w in workers)))

        now = datetime.now(UTC)
        assert await both_at(now) == ["rebuilt", "skipped"]
        await file(settings, customer, INVOICE)
        assert await both_at(now + timedelta(minutes=1)) == ["skipped", "skipped"]
        assert await both_at(now + regrouping.EVERY) == ["rebuilt", "skipped"]
    finally:
        for w in workers:  # the end of its input ends a worker
            try:
                _out, errors = await asyncio.wait_for(asyncio.to_thread(w.communicate), WITHIN_S)
            finally:
                if w.poll() is None:
                    w.kill()
            assert w.returncode == 0, errors
    assert await GroupingRun.count() == 2
