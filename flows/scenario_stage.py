"""The scenario stage: regions cut into partitions, one Prefect task per
partition, submitted inside the fit stage so they share its Dask cluster
(a second LocalCluster costs tens of seconds; a region's scenarios take
tens of milliseconds)."""

from dataclasses import dataclass

from prefect import task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner

from forecasting.scenarios import RegionInput, ScenarioResult, ScenarioSettings, ScenarioSpec, simulate_partition


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
