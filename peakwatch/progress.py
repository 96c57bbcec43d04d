"""Where a run is, for whoever shows it (the CLI's progress bar).

The flow reports each stage it finishes (``peakwatch.killpoints.stage_done``)
and the series fitted so far; a listener, when one is installed, hears it.
Without a listener (a scheduled run, a test) reporting does nothing.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, int | None, int | None], None]  # (stage, done, total)
_listeners: list[Listener] = []


def report(stage: str, done: int | None = None, total: int | None = None) -> None:
    for listener in list(_listeners):
        listener(stage, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
