"""The pull and validate tasks, and how their large values are handed over.

``Handoff``: a large value passed to or returned from a Prefect task, taken out
by the caller.

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

import shutil
from pathlib import Path
from typing import Generic, TypeVar

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from forecasting.evaluation import calibration_check
from forecasting.series import ForecastSettings, SeriesInput, with_pooling
from peakwatch.config import Config
from peakwatch.redact import redacted_errors
from peakwatch.results.calibration import CalibrationCheck
from peakwatch.sources import TransientFetchError
from peakwatch.sources.fetch import Fetched, fetch_into
from peakwatch.sources.pull import PullResult, pull_all, resolve_pins
from peakwatch.store.catalog import Catalog
from validation.gate import GateSettings, ValidationReport, validate_panel

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


def _retry_transient(task, task_run, state) -> bool:
    """Retry timeouts and 5xx, not a 404 or an HTML page (retrying cannot fix those)."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except BaseException:
        return False
    return False


@task(retry_condition_fn=_retry_transient)
def fetch_source(source, catalog: Catalog, path: Path) -> Fetched:
    with redacted_errors():  # a source URL's token must not reach the task's state message
        return fetch_into(source, catalog, path)


def _fetch_with_retries(source, catalog: Catalog, path: Path) -> Fetched:
    delays = [source.retry_backoff_seconds * 2**i for i in range(source.retries)]  # exponential backoff
    return fetch_source.with_options(retries=source.retries, retry_delay_seconds=delays or 0)(source, catalog, path)


# The large values these tasks take or return go in a Handoff (above).
@task
def pull_sources(config: Config, catalog: Catalog, snapshots: tuple[str, ...] = ()) -> Handoff[PullResult]:
    """Fetch (or, with --snapshot, reuse stored bytes), parse, merge; snapshot the raw bytes."""
    for stale in catalog.stale_pull_scratch():  # a killed run's copies of its sources (the run lock is ours)
        get_run_logger().info("removing %s, left by a run that was stopped", stale)
        shutil.rmtree(stale, ignore_errors=True)
    pins = resolve_pins(catalog, config.sources, list(snapshots)) if snapshots else None
    with redacted_errors():
        return Handoff(pull_all(config.sources, config.regions, catalog, fetch=_fetch_with_retries, pins=pins))


# No cache: Prefect hashes a cached task's inputs, and the panel's hash
# (pickled whole) cost ~120 MB at its peak at 10 000 series, for a cache no
# run reads (results are not persisted).
@task(cache_policy=NO_CACHE)
def validate(
    panel: Handoff[pl.DataFrame], settings: GateSettings, parents: dict[str, str], docs_dir: Path
) -> ValidationReport:
    return validate_panel(panel.get(), settings, parents, docs_dir)


@task(cache_policy=NO_CACHE)
def pool_panel(series: list[SeriesInput], settings: ForecastSettings) -> ForecastSettings:
    """The panel's pooled parameters, once, before the fit stage: so that no
    partition's share of the panel changes them (forecasting.pooling)."""
    return with_pooling(settings, series)


@task(cache_policy=NO_CACHE)
def check_calibration(
    series: list[SeriesInput], settings: ForecastSettings, windows: tuple[int, ...], max_series: int
) -> list[CalibrationCheck]:
    """The run's own panel scored with the peak-event protocol (forecasting.evaluation):
    how far to trust today's P on this very data."""
    return [CalibrationCheck.from_scores(s) for s in calibration_check(series, settings, windows, max_series)]
