"""One experiment, one runner: a lease on the Prefect server per MLflow experiment.

The run lock (peakwatch/store/runlock.py) serialises runs that share an artifacts
folder on one machine. Workers on several machines share only the Prefect
server and the tracking store: there a global concurrency limit of one slot,
named after the experiment, is the lease. A run holds it from before it reads
any state until its warnings are sent and recorded, so two runs never decide
and announce from the same state. Prefect renews the lease while the run
lives; a run killed outright frees it when the lease expires.

Against the ephemeral local server (no ``PREFECT_API_URL``) there is nothing to
share with another machine, and that server keeps leases in memory: a killed
run would leave the slot taken for good. The folder lock is the guard there.
"""

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.asyncio import AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.runtime import flow_run
from prefect.settings import get_current_settings

from peakwatch.store.runlock import RunLockedError

log = logging.getLogger(__name__)

LEASE_PREFIX = "peakwatch-experiment-"
# Renewed every 3/4 of this while the run lives; the wait of the runs queued
# behind a run that was killed outright.
LEASE_SECONDS = 300.0


class ExperimentBusy(RunLockedError):
    """Another run of the experiment holds its lease (the CLI reports it as a busy folder)."""


def lease_name(experiment: str) -> str:
    """The concurrency limit's name: Prefect names exclude / % & < >."""
    safe = re.sub(r"[/%&<>]", "-", experiment)
    if safe != experiment:  # keep experiments that differ only in those characters apart
        safe += "-" + hashlib.sha256(experiment.encode()).hexdigest()[:8]
    return LEASE_PREFIX + safe


def shared_server() -> bool:
    """Whether runs report to a configured Prefect server (not the ephemeral one)."""
    return bool(get_current_settings().api.url)


def ensure_limit(name: str) -> None:
    """Create the one-slot limit on first use (a limit that does not exist
    would be skipped, not waited for)."""
    with get_client(sync_client=True) as client:
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:
            pass


@contextmanager
def experiment_lease(experiment: str, wait_seconds: float = 0.0) -> Iterator[str | None]:
    """Hold the experiment's lease for the block; wait up to ``wait_seconds``
    for it, then raise ExperimentBusy. Yields the limit's name (None against
    the ephemeral server, where no lease is taken)."""
    if not shared_server():
        yield None
        return
    name = lease_name(experiment)
    ensure_limit(name)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=flow_run.id) if flow_run.id else None
    with ExitStack() as stack:
        try:
            stack.enter_context(
                concurrency(
                    name,
                    occupy=1,
                    # no wait: one attempt (a zero timeout would cancel even that one)
                    timeout_seconds=wait_seconds if wait_seconds > 0 else None,
                    max_retries=None if wait_seconds > 0 else 0,
                    lease_duration=LEASE_SECONDS,
                    strict=True,
                    holder=holder,
                    # a run that cannot renew its lease stops: another may take it over
                    raise_on_lease_renewal_failure=True,
                )
            )
        except (AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError) as exc:
            if not busy(exc):  # e.g. the server refused for another reason
                raise
            raise ExperimentBusy(
                f"another run of experiment {experiment!r} holds its lease (Prefect global concurrency "
                f"limit {name!r}; waited {wait_seconds:g} s). Wait for it to finish, or pass a longer wait."
            ) from None
        log.info("holding the lease of experiment %r (%s)", experiment, name)
        yield name


def busy(exc: Exception) -> bool:
    """Whether acquiring failed because the slot is taken (a timeout while
    waiting, or HTTP 423 Locked on the one attempt)."""
    if isinstance(exc, AcquireConcurrencySlotTimeoutError):
        return True
    response = getattr(exc.__cause__, "response", None)
    return getattr(response, "status_code", None) == 423
