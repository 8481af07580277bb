"""The status workflow (the seeds' lifecycle), as data checked in one place."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"  # to do
    OPEN = "open"  # in progress
    PENDING = "pending"  # answer sent, waiting for the customer: the resolution clock pauses
    RESOLVED = "resolved"  # the customer was told it is solved and asked to rate
    CLOSED = "closed"  # confirmed by the customer, or automatically some days after resolution


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.PENDING})


class InvalidTransition(ValueError):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"{current.value} -> {target.value}")
        self.current, self.target = current, target


def check(current: str, target: str) -> Status:
    """The target status if the workflow allows the move; InvalidTransition otherwise."""
    now, then = Status(current), Status(target)
    if then not in TRANSITIONS[now]:
        raise InvalidTransition(now, then)
    return then
