"""The fit stage: one Prefect task per partition of series on the Dask
cluster (the scenario partitions beside them), and what becomes of each
partition's forecasts as it arrives: the series' files and child run records
in the payload (``SeriesFiles``), their summary rows (``FitResults``).
"""

import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from mlflow import MlflowClient
from prefect import get_run_logger, task
from prefect.futures import PrefectFuture, as_completed
from prefect.states import State
from prefect.task_runners import TaskRunner
from prefect_dask import DaskTaskRunner
from prefect_dask.task_runners import PrefectDaskFuture

from flows.cluster import scheduler_side_config
from forecasting.intensity import check_regions
from forecasting.scenarios import RegionInput, ScenarioResult, ScenarioSettings, ScenarioSpec, simulate_partition, split_regions
from forecasting.series import ForecastSettings, SeriesForecast, SeriesInput, forecast_partition, partition
from peakwatch import progress
from peakwatch.config import Config
from peakwatch.reporting.charts import plot_fan_chart
from peakwatch.results.rows import Names, series_row
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow
from peakwatch.store import pending
from peakwatch.store.pending import RunRecord
from peakwatch.store.series import FAN_CHART_PNG, MODEL_ARTIFACT, read_series_forecast, write_series_tables
from peakwatch.tracking.layout import record_key, series_record, series_scenario
from peakwatch.tracking.models import save_chosen_model
from peakwatch.tracking.runs import log_records


@dataclass(frozen=True)
class ScenarioWork:
    """What the fit stage needs to run the scenarios."""

    partitions: list[list[RegionInput]]
    specs: tuple[ScenarioSpec, ...]
    settings: ScenarioSettings


@task(retries=2, retry_delay_seconds=1)
def simulate_scenario_partition(
    regions: list[RegionInput], specs: tuple[ScenarioSpec, ...], settings: ScenarioSettings
) -> list[ScenarioResult]:
    return simulate_partition(regions, specs, settings)


def submit_scenarios(runner: TaskRunner, work: ScenarioWork | None) -> list[PrefectFuture]:
    if work is None:
        return []
    return [
        runner.submit(simulate_scenario_partition, {"regions": p, "specs": work.specs, "settings": work.settings})
        for p in work.partitions
    ]


def collect_scenarios(futures: list[PrefectFuture], work: ScenarioWork | None) -> list[ScenarioResult]:
    """Results in region, indicator, scenario-file order (deterministic, whatever finished first)."""
    if work is None:
        return []
    results = [result for future in futures for result in future.result()]
    order = {spec.name: i for i, spec in enumerate(work.specs)}
    return sorted(results, key=lambda r: (r.region_id, r.indicator, order.get(r.scenario, len(order))))


@task(retries=2, retry_delay_seconds=1)
def fit_partition(series: list[SeriesInput], settings: ForecastSettings) -> list[SeriesForecast]:
    return forecast_partition(series, settings)


def fit_stage(
    runner: DaskTaskRunner,
    partitions: list[list[SeriesInput]],
    settings: ForecastSettings,
    on_partition: Callable[[list[SeriesForecast]], None],
    scenarios: ScenarioWork | None = None,
) -> list[ScenarioResult]:
    """One Prefect task per partition on the Dask cluster; results stream back,
    each partition's forecasts handed to ``on_partition`` as it arrives (none
    are kept here). ``partitions`` is emptied as they are submitted: Dask
    holds a partition's inputs (~2 KB a series) until its result is in, and
    no one after that.

    Tasks go straight to the runner from the calling flow rather than through a
    subflow: Prefect ships the current flow run's parameters with every task,
    and a subflow's parameters would be every series (O(series x partitions)
    bytes pickled and sent). Scenario partitions share the cluster, submitted
    first: they are cheap.
    """
    logger = get_run_logger()
    total = sum(len(p) for p in partitions)
    with scheduler_side_config(), runner:
        scenario_futures = submit_scenarios(runner, scenarios)
        futures = []
        while partitions:
            futures.append(runner.submit(fit_partition, {"series": partitions.pop(0), "settings": settings}))
        done = 0
        started = time.monotonic()
        for future in as_completed(futures):
            arrived = _partition_result(future)
            future.wrapped_future.release()  # the worker's copy is no longer needed
            on_partition(arrived)
            done += len(arrived)
            elapsed = time.monotonic() - started
            left = elapsed / done * (total - done) if done else 0.0  # a partition may be empty (no series at all)
            logger.info("fitted %d/%d series (%.1fs elapsed, ~%.1fs left)", done, total, elapsed, left)
            progress.report("fitting", done, total)
        return collect_scenarios(scenario_futures, scenarios)


def _partition_result(future: PrefectDaskFuture) -> list[SeriesForecast]:
    """A finished partition's forecasts, read from the task's final state as
    Dask returns it: ``future.result()`` would also keep that state, forecasts
    and all, on the Prefect future (and Prefect's ``as_completed`` holds every
    future until the last one is done), so a run held every partition twice."""
    outcome = future.wrapped_future.result()
    return outcome.result() if isinstance(outcome, State) else outcome


def plan_scenarios(config: Config, usable: pl.DataFrame) -> ScenarioWork | None:
    """The scenario work on the validated panel, if the config names scenarios."""
    if config.scenarios is None or not config.scenarios.files:
        return None
    regions = split_regions(
        usable,
        config.regions.target_years(),
        config.regions.plan_targets(),
        config.scenarios.plant_events(),
        config.regions.parents(),
    )
    # Scenarios are cheap: one partition per worker is enough.
    parts = partition(regions, config.dask.n_workers)
    return ScenarioWork(parts, config.scenarios.specs(), config.scenarios.settings(config.forecast))


class FitResults:
    def __init__(self, folder: Path, names: Names, series_per_region: Counter, common_tags: dict[str, str]):
        """``folder``: the payload being built; ``names``: the registry's region
        names; ``series_per_region``: how many series of each region the cluster
        will return."""
        self.folder = folder
        self.files = SeriesFiles(folder, pending.SERIES_DIR)
        self._names = names
        self._common_tags = common_tags
        self._expected = series_per_region
        self._waiting: dict[str, list[SeriesForecast]] = {}  # regions with series still to come
        self._rows: list[SeriesRow] = []
        self._histories: dict[tuple[str, str], array] = {}

    def add(self, forecasts: list[SeriesForecast]) -> None:
        """Write a partition's files and child run records; keep its rows and histories."""
        records = self.files.write(forecasts, self._names, common_tags=self._common_tags)
        pending.append_records(self.folder, records)
        for forecast in forecasts:
            self._histories[(forecast.region_id, forecast.indicator)] = pending.as_history(forecast.history)
            waiting = self._waiting.setdefault(forecast.region_id, [])
            waiting.append(forecast)
            if len(waiting) == self._expected[forecast.region_id]:
                del self._waiting[forecast.region_id]
                intensity = check_regions(waiting).get(forecast.region_id)
                self._rows.extend(series_row(f, self._names, intensity) for f in waiting)

    def _check_complete(self) -> None:
        if self._waiting:
            missing = sorted(self._waiting)
            raise RuntimeError(f"the fit stage returned only part of the series of {len(missing)} region(s): {missing[:5]}")

    def rows(self) -> list[SeriesRow]:
        """The summary row of every series, by region and indicator."""
        self._check_complete()
        self._rows.sort(key=lambda row: (row.region_id, row.indicator))
        return self._rows

    def histories(self) -> dict[tuple[str, str], array]:
        """Every series' input history (``pending.as_history``), by region and indicator."""
        self._check_complete()
        return dict(sorted(self._histories.items()))


def write_series_artifacts(forecast: SeriesForecast, folder: Path, chart: bool = True) -> Path:
    """forecast.csv, peak_years.csv (with peak statistics), (with ``chart``)
    fan_chart.png, (when the forecast has one) backtest.csv, and the chosen
    statsmodels model under model/, in ``folder``: one upload per series."""
    write_series_tables(forecast, folder)
    if forecast.model_spec is not None:
        save_chosen_model(forecast.model_spec, folder / MODEL_ARTIFACT)
    if chart:
        plot_fan_chart(forecast, folder / FAN_CHART_PNG)
    return folder


def log_series_runs(
    client: MlflowClient,
    experiment_id: str,
    parent_run_id: str,
    forecasts: list[SeriesForecast],
    names: dict[str, tuple[str, str]],
    scenario: str = DEFAULT_SCENARIO,
    common_tags: dict[str, str] | None = None,
    with_artifacts: bool = True,
    threads: int = 1,
) -> dict[tuple[str, str, str], str]:
    """One child run per series; returns (region_id, indicator, scenario) -> child run id."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-series-") as tmp:
        records = series_records(forecasts, names, Path(tmp) if with_artifacts else None, scenario, common_tags)
        run_ids = log_records(client, experiment_id, parent_run_id, records, Path(tmp), threads)
    return {record_key(r): run_id for r, run_id in zip(records, run_ids)}


def _series_name(key: tuple[str, str, str]) -> str:
    return "/".join(key if key[2] != DEFAULT_SCENARIO else key[:2])


class SeriesFiles:
    """The child runs' files under ``base/<subdir>/<n>/``, written with their
    records as partitions arrive from the cluster (so this overlaps the fitting
    instead of following it). Fan charts cost ~0.13 s each: the monthly flow
    draws them with ``draw_charts`` once every series is in, for the riskiest only."""

    def __init__(self, base: Path, subdir: str = ""):
        self.base = base
        self.subdir = subdir
        self._folders: dict[tuple[str, str, str], str] = {}

    def write(
        self,
        forecasts: list[SeriesForecast],
        names: dict[str, tuple[str, str]],
        scenario: str = DEFAULT_SCENARIO,
        common_tags: dict[str, str] | None = None,
        charted: set[tuple[str, str]] | None = frozenset(),
    ) -> list[RunRecord]:
        """The model, forecast and backtest files of each forecast, and its child
        run record; fan charts for the ``charted`` (region_id, indicator) only
        (None: every series)."""
        records = []
        for forecast in forecasts:
            key = (forecast.region_id, forecast.indicator, series_scenario(forecast, scenario))
            if key in self._folders:
                raise ValueError(f"series {_series_name(key)} written twice")
            folder = f"{self.subdir}/{len(self._folders)}".lstrip("/")
            write_series_artifacts(forecast, self.base / folder, chart=charted is None or key[:2] in charted)
            self._folders[key] = folder
            records.append(series_record(forecast, names, scenario, common_tags, folder))
        return records

    def draw_charts(self, rows: Iterable[SeriesRow], charted: set[tuple[str, str]] | None) -> None:
        """Fan charts of the ``charted`` (region_id, indicator) (None: every series)
        among ``rows`` (summary rows of series written before), each forecast
        rebuilt from its row and its tables (``read_series_forecast``)."""
        for row in rows:
            key = row.key
            if charted is not None and key[:2] not in charted:
                continue
            if key not in self._folders:
                raise ValueError(f"series {_series_name(key)} has no files: write it first")
            folder = self.base / self._folders[key]
            plot_fan_chart(read_series_forecast(row, folder), folder / FAN_CHART_PNG)


def series_records(
    forecasts: list[SeriesForecast],
    names: dict[str, tuple[str, str]],
    base: Path | None,
    scenario: str = DEFAULT_SCENARIO,
    common_tags: dict[str, str] | None = None,
    subdir: str = "",
    charted: set[tuple[str, str]] | None = None,
) -> list[RunRecord]:
    """The child run records of ``forecasts``, their files written under ``base``
    (``<subdir>/<i>/`` per series; no files without ``base``); fan charts for the
    ``charted`` (region_id, indicator) only when given."""
    if base is None:
        return [series_record(f, names, scenario, common_tags) for f in forecasts]
    return SeriesFiles(base, subdir).write(forecasts, names, scenario, common_tags, charted)
