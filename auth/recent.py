"""Database rows a process may use for a moment after reading them: bounded, and dropped whole when full."""

from __future__ import annotations

import time
from collections.abc import Callable


class RecentRows:
    """Rows by key, each good for `seconds` after it was read (time.monotonic)."""

    def __init__(self, seconds: float, most: int) -> None:
        self.seconds = seconds
        self.most = most
        self._rows: dict[str, tuple[float, dict]] = {}

    def get(self, key: str) -> dict | None:
        entry = self._rows.get(key)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, key: str, row: dict) -> None:
        if len(self._rows) >= self.most:
            self._rows.clear()  # cheaper than tracking age order, and refilled within a second
        self._rows[key] = (time.monotonic(), row)

    def drop(self, key: str | None = None, where: Callable[[dict], bool] | None = None) -> None:
        """One key's row, the rows `where` picks, or (with neither) every row."""
        if key is None and where is None:
            self._rows.clear()
        if key is not None:
            self._rows.pop(key, None)
        if where is not None:
            for stale in [k for k, (_at, row) in self._rows.items() if where(row)]:
                self._rows.pop(stale, None)
