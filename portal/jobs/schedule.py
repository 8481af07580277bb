"""When each task of the background pass is due: each at start-up (or a few passes after it), then
once per its interval. Times are the caller's monotonic clock readings, so the schedule neither
depends on the machine's uptime nor needs the real clock in tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Every:
    """A task due every `seconds` (0: every pass), first `first` seconds after start-up."""

    seconds: float
    first: float = 0.0


class Schedule:
    def __init__(self, tasks: Mapping[str, Every], start: float) -> None:
        self._every = dict(tasks)
        self._next = {name: start + task.first for name, task in tasks.items()}

    def due(self, now: float) -> list[str]:
        """The tasks due at `now`, in the order given."""
        return [name for name, at in self._next.items() if now >= at]

    def ran(self, name: str, began: float) -> None:
        """The task ran (well or not) from `began`: it is next due an interval after that. A task not
        reported as run stays due."""
        self._next[name] = began + self._every[name].seconds
