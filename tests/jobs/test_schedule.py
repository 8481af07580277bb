"""The background pass's schedule, read at explicit monotonic times: every task due at start-up
whatever the clock reads, the heavier ones a pass or a few later, then once per interval."""

from portal.jobs.passes import MAIL_EVERY_S, SCHEDULE
from portal.jobs.schedule import Every, Schedule


def run_pass(schedule: Schedule, now: float) -> list[str]:
    due = schedule.due(now)
    for name in due:
        schedule.ran(name, now)
    return due


def test_each_task_is_due_at_start_up_however_small_or_large_the_clock():
    for start in (0.0, 3.5, 1e9):  # just booted, or up for decades
        schedule = Schedule({"often": Every(10), "rarely": Every(86_400)}, start)
        assert run_pass(schedule, start) == ["often", "rarely"]
        assert run_pass(schedule, start + 9.9) == []
        assert run_pass(schedule, start + 10) == ["often"]
        assert run_pass(schedule, start + 86_400) == ["often", "rarely"]


def test_a_task_runs_again_an_interval_after_it_began():
    schedule = Schedule({"t": Every(60)}, 100.0)
    assert run_pass(schedule, 107.0) == ["t"]  # the first pass came late
    assert run_pass(schedule, 166.9) == []
    assert run_pass(schedule, 167.0) == ["t"]


def test_a_task_every_pass_is_always_due():
    schedule = Schedule({"mail": Every(0)}, 0.0)
    assert all(run_pass(schedule, t) == ["mail"] for t in (0.0, 2.0, 2.0, 4.5))


def test_a_task_not_run_stays_due():
    schedule = Schedule({"a": Every(60), "b": Every(60)}, 0.0)
    assert schedule.due(0.0) == ["a", "b"]
    schedule.ran("a", 0.0)  # then the database went away: b never ran
    assert schedule.due(2.0) == ["b"]


def test_start_up_sends_mail_at_once_and_spreads_the_heavier_tasks_over_the_first_passes():
    start = 5.0  # a machine just booted
    schedule = Schedule(SCHEDULE, start)
    passes = [run_pass(schedule, start + n * MAIL_EVERY_S) for n in range(7)]
    assert passes[0] == ["statistics", "mail", "index", "activity", "escalation"]
    heavier = [[name for name in due if name not in {"mail", "index", "activity", "escalation"}] for due in passes[1:]]
    assert heavier == [["purge"], ["sweep"], ["regroup"], ["summary"], ["inbound"], []]
    assert all(len(due) <= 5 for due in passes)
