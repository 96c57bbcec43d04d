"""The per-experiment lease's name, and when it is taken (the `team` test,
tests/deploy/test_team_stack.py, holds and refuses it on a real server)."""

import httpx
from prefect.concurrency.asyncio import AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError

from flows.lease import LEASE_PREFIX, ExperimentBusy, busy, experiment_lease, lease_name, shared_server
from peakwatch.store.runlock import RunLockedError


def test_the_lease_is_named_after_the_experiment_within_prefects_name_rules():
    assert lease_name("peakwatch-monthly") == "peakwatch-experiment-peakwatch-monthly"
    slashed, dashed = lease_name("team/monthly"), lease_name("team-monthly")
    assert slashed.startswith(LEASE_PREFIX + "team-monthly-") and slashed != dashed
    assert not set("/%&<>") & set(lease_name("a/b%c&d<e>f"))


def test_no_lease_against_the_ephemeral_server():
    assert not shared_server()  # the test session sets no PREFECT_API_URL
    with experiment_lease("peakwatch-monthly", wait_seconds=0) as name:
        assert name is None


def locked(status: int) -> ConcurrencySlotAcquisitionError:
    request = httpx.Request("POST", "http://127.0.0.1:1/api/v2/concurrency_limits/increment-with-lease")
    error = ConcurrencySlotAcquisitionError("Unable to acquire concurrency slots")
    error.__cause__ = httpx.HTTPStatusError("refused", request=request, response=httpx.Response(status, request=request))
    return error


def test_busy_is_a_wait_that_timed_out_or_a_locked_slot_nothing_else():
    assert busy(AcquireConcurrencySlotTimeoutError("timed out after 5 second(s)"))
    assert busy(locked(423))
    assert not busy(locked(500)) and not busy(ConcurrencySlotAcquisitionError("must be created first"))


def test_a_busy_experiment_is_reported_like_a_busy_folder():
    assert issubclass(ExperimentBusy, RunLockedError)  # `peakwatch run` exits with code 3 and the message
