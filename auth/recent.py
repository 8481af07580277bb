"""Database rows (or what was made of them) a process may use for a moment after reading them: bounded,
and dropped whole when full."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentRows(Generic[K, V]):
    """Values by key, each good for `seconds` after it was read (time.monotonic)."""

    def __init__(self, seconds: float, most: int) -> None:
        self.seconds = seconds
        self.most = most
        self._rows: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        entry = self._rows.get(key)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, key: K, row: V) -> None:
        if len(self._rows) >= self.most:
            self._rows.clear()  # cheaper than tracking age order, and refilled within a second
        self._rows[key] = (time.monotonic(), row)

    def drop(self, key: K | None = None, where: Callable[[V], bool] | None = None) -> None:
        """One key's value, the values `where` picks, or (with neither) every value."""
        if key is None and where is None:
            self._rows.clear()
        if key is not None:
            self._rows.pop(key, None)
        if where is not None:
            for stale in [k for k, (_at, row) in self._rows.items() if where(row)]:
                self._rows.pop(stale, None)
