"""A task's large input or output, passed in a Handoff, is freed as soon as the
caller lets go of it, although Prefect's task run context outlives the task."""

import asyncio
import gc
import threading
import weakref

import pytest
from prefect import flow, task

from flows.tasks import Handoff


class Big:
    """Stands for a panel or a file's bytes; weakly referenceable."""


@pytest.fixture
def client_loop():
    """An asyncio loop in a thread, like the one Prefect's client runs on."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def schedule_request_timeout(loop) -> None:
    """What Prefect's client does while a task runs: a timer on its loop (a
    request timeout, about a minute), which keeps a copy of the task run's
    context until its deadline."""
    done = threading.Event()
    loop.call_soon_threadsafe(lambda: (loop.call_later(60, lambda: None), done.set()))
    done.wait(10)


def test_take_hands_the_value_over_and_lets_go_of_it():
    value = Big()
    given = Handoff(value)
    assert given.get() is value and given.get() is value
    assert given.take() is value
    with pytest.raises(RuntimeError, match="already taken"):
        given.get()


def test_a_tasks_result_and_input_are_freed_once_taken_though_its_context_lives_on(client_loop):
    @task
    def make_raw() -> Big:
        schedule_request_timeout(client_loop)
        return Big()

    @task
    def make_handed() -> Handoff[Big]:
        schedule_request_timeout(client_loop)
        return Handoff(Big())

    @task
    def read(given: Handoff[Big]) -> bool:
        schedule_request_timeout(client_loop)
        return isinstance(given.get(), Big)

    @flow
    def run() -> dict[str, bool]:
        raw = weakref.ref(make_raw())  # the control: the context holds a plain result
        handed = weakref.ref(make_handed().take())
        value = Big()
        given = Handoff(value)
        assert read(given)
        given.take()
        passed = weakref.ref(value)
        del value
        gc.collect()
        return {"raw": raw() is not None, "result": handed() is not None, "input": passed() is not None}

    alive = run()
    assert alive == {"raw": True, "result": False, "input": False}
