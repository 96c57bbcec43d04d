"""A large value passed to or returned from a Prefect task, taken out by the caller.

A task run's context holds its parameters and, once it is done, its result.
Prefect's client runs on an asyncio loop, and every timer that loop schedules
while the task runs (request timeouts, about a minute) keeps a copy of the
context until its deadline, cancelled or not. So a task's input and output stay
reachable for up to a minute after it returns. At 10 000 series that was the
fetched file's bytes (41 MB, before they went to a file) through validation,
or the panel (43 MB) well into the fit.
What the context holds is a ``Handoff``; the caller empties it when the task
returns, and the value lives as long as the caller's own references.
"""

from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    def __init__(self, value: T):
        self._value: T | None = value
        self._taken = False

    def get(self) -> T:
        """The value, left in place (for the task that receives it)."""
        if self._taken:
            raise RuntimeError("this Handoff's value was already taken")
        return self._value

    def take(self) -> T:
        """The value; the Handoff lets go of it."""
        value = self.get()
        self._value, self._taken = None, True
        return value
