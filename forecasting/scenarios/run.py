"""Three grains of scenario work: one region under one scenario, one region
under all scenarios, a partition of regions (a plain loop). Plus the contract
frame cut into regions."""

import logging

import numpy as np
import polars as pl

from peakwatch import contract as c
from forecasting.peaks import summarize_peaks
from forecasting.scenarios import drivers as d
from forecasting.scenarios.events import describe_event, event_steps
from forecasting.scenarios.kaya import apply_cut, combine_kaya, simulate_drivers
from forecasting.scenarios.solver import what_it_takes
from forecasting.scenarios.spec import (
    CARBON_INTENSITY,
    DRIVERS,
    ENERGY_INTENSITY,
    EVENTS_ALL,
    EVENTS_COMMITTED,
    FIXED,
    GDP_PER_CAPITA,
    PLAN,
    POPULATION,
    PlanTargets,
    PlantEvent,
    RegionInput,
    ScenarioResult,
    ScenarioSettings,
    ScenarioSpec,
    DriverPath,
)
from forecasting.series import fill_gaps, series_seed

log = logging.getLogger(__name__)

LEVERS = {c.CO2: "carbon_intensity_of_gdp", c.ENERGY: "energy_intensity"}
STATISTICAL_SCENARIO = "statistical"  # the tag the plain statistical forecasts carry


class ScenarioInputError(ValueError):
    """A region's history cannot drive a scenario simulation."""


def all_observed(region: RegionInput) -> np.ndarray:
    """Per year: population, gdp, energy and co2 all observed."""
    raw = (region.population, region.gdp, region.energy, region.co2)
    return np.all([~np.isnan(v) for v in raw], axis=0)


def driver_histories(region: RegionInput) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each driver's history from the first year all four indicators are
    observed to the last such year (gaps between filled log-linearly), and
    those years, one per value. Years before are left out, not filled: held at
    its first observed value, an energy series that starts later than GDP made
    a falling energy intensity that was never measured."""
    raw = {"population": region.population, "gdp": region.gdp, "energy": region.energy, "co2": region.co2}
    observed = all_observed(region)
    if not observed.any():
        raise ScenarioInputError(f"{region.region_id}: no year with population, gdp, energy and co2 all observed")
    seen = np.flatnonzero(observed)
    first, last = int(seen[0]), int(seen[-1])
    for name, values in raw.items():
        head = values[: last + 1]
        if np.any(head[~np.isnan(head)] <= 0):
            raise ScenarioInputError(f"{region.region_id}: non-positive {name} values")
    filled = {name: fill_gaps(values[first : last + 1]) for name, values in raw.items()}
    # The years must match the histories value for value: the plan looks its
    # base year up in them.
    return region.years[first : last + 1], {
        POPULATION: filled["population"],
        GDP_PER_CAPITA: filled["gdp"] / filled["population"],
        ENERGY_INTENSITY: filled["energy"] / filled["gdp"],
        CARBON_INTENSITY: filled["co2"] / filled["energy"],
    }


def fit_statistical_drivers(
    region: RegionInput, settings: ScenarioSettings
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, DriverPath]]:
    """The baseline rates: each driver's history through the statistical models."""
    years, histories = driver_histories(region)
    n_observed = int(np.sum(all_observed(region)))  # years the drivers are measured, not filled
    if n_observed < settings.min_observed_years:
        raise ScenarioInputError(
            f"{region.region_id}: only {n_observed} years with population, gdp, energy and co2 all observed, "
            f"need {settings.min_observed_years}"
        )
    horizon = settings.horizon_year - int(years[-1])
    paths = {}
    for name in DRIVERS:
        rng = np.random.default_rng(series_seed(settings.seed, region.region_id, f"driver:{name}"))
        paths[name] = d.statistical_path(histories[name], horizon, settings.n_draws, rng)
    return years, histories, paths


def resolve_drivers(
    region: RegionInput,
    spec: ScenarioSpec,
    years: np.ndarray,
    histories: dict[str, np.ndarray],
    statistical: dict[str, DriverPath],
    future_years: np.ndarray,
) -> tuple[dict[str, DriverPath], list[str]]:
    """Each driver's rates under ``spec``; a plan driver without a target in the
    region's plan falls back to the statistical rates (and says so)."""
    resolved, notes = {}, []
    for name in DRIVERS:
        driver = spec.drivers[name]
        if driver.source == FIXED:
            resolved[name] = d.fixed_path(driver, future_years)
        elif driver.source == PLAN and name == ENERGY_INTENSITY and region.plan.energy_intensity_cut:
            resolved[name] = d.plan_energy_intensity(
                driver, region.plan.energy_intensity_cut, years, histories[name], future_years
            )
        elif driver.source == PLAN and name == CARBON_INTENSITY and region.plan.non_fossil_share:
            base = region.non_fossil_share if region.non_fossil_share is not None else driver.base_non_fossil_share
            resolved[name] = d.plan_carbon_intensity(
                driver, region.plan.non_fossil_share, int(years[-1]), base, future_years
            )
        else:
            if driver.source == PLAN:
                notes.append(f"no plan target for {name}: statistical rates")
            resolved[name] = statistical[name]
    return resolved, notes


def select_events(region: RegionInput, spec: ScenarioSpec, share_from_plan: bool) -> tuple[list[PlantEvent], list[str]]:
    """Committed events in every scenario but 'none'; planned ones only with 'all'.

    When carbon intensity already follows the plan's non-fossil share, the
    plan's renewables are the means of reaching it: adding them again would
    count them twice.
    """
    wanted = {EVENTS_COMMITTED: ("committed",), EVENTS_ALL: ("committed", "planned")}.get(spec.events, ())
    chosen, notes = [], []
    for event in region.events:
        if event.status not in wanted:
            continue
        if share_from_plan and not event.fossil:
            notes.append(f"{event.event_id}: within the non-fossil share target, not added again")
            continue
        chosen.append(event)
    return chosen, notes


def simulate_scenario(
    region: RegionInput,
    spec: ScenarioSpec,
    settings: ScenarioSettings,
    fitted: tuple[np.ndarray, dict[str, np.ndarray], dict[str, DriverPath]],
) -> list[ScenarioResult]:
    """Emissions and energy of one region under one scenario: peaks and what it takes."""
    years, histories, statistical = fitted  # years: those the driver histories span
    last_year = int(years[-1])
    # Peaks are judged on every observed year of energy and CO2, also those
    # before population and GDP are observed.
    history_years = region.years[region.years <= last_year]
    future_years = np.arange(last_year + 1, settings.horizon_year + 1)
    paths_by_driver, notes = resolve_drivers(region, spec, years, histories, statistical, future_years)
    share_from_plan = spec.drivers[CARBON_INTENSITY].source == PLAN and bool(region.plan.non_fossil_share)
    events, event_notes = select_events(region, spec, share_from_plan)

    # The same draws for every scenario of a region (common random numbers), so
    # that scenarios differ by what they assume, not by Monte Carlo noise; each
    # plant draws its years from a stream of its own, for the same reason.
    rng = np.random.default_rng(series_seed(settings.seed, region.region_id, "scenario"))
    base_logs = {name: float(np.log(histories[name][-1])) for name in DRIVERS}
    kaya = combine_kaya(simulate_drivers(base_logs, paths_by_driver, settings.n_draws, rng), future_years)
    d_energy, d_co2 = event_steps(tuple(events), region.plan.scope, future_years, settings.n_draws, settings.seed)
    totals = {
        c.ENERGY: apply_cut(np.maximum(kaya.energy + d_energy, 0.0), spec.extra_cut_energy),
        c.CO2: apply_cut(np.maximum(kaya.co2 + d_co2, 0.0), spec.extra_cut_co2),
    }
    history = {c.ENERGY: region.energy[: len(history_years)], c.CO2: region.co2[: len(history_years)]}
    gdp_last = float(histories[POPULATION][-1] * histories[GDP_PER_CAPITA][-1])
    target_index = int(np.clip(region.target_year - future_years[0], 0, len(future_years) - 1))
    results = []
    for indicator, paths in totals.items():
        hist = history[indicator]
        results.append(
            ScenarioResult(
                region_id=region.region_id,
                scenario=spec.name,
                indicator=indicator,
                unit=c.UNITS[indicator],
                last_observed_year=last_year,
                peaks=summarize_peaks(history_years, hist, future_years, paths, region.target_year),
                what_it_takes=what_it_takes(
                    LEVERS[indicator],
                    history_years,
                    fill_gaps(hist),
                    future_years,
                    paths,
                    gdp_last,
                    kaya.gdp,
                    region.target_year,
                    settings.probability,
                    settings.cut_bounds,
                    settings.tolerance,
                ),
                value_at_target_median=float(np.median(paths[:, target_index])),
                drivers={name: p.origin for name, p in paths_by_driver.items()},
                events=tuple(describe_event(e, region.plan.scope) for e in events),
                notes=tuple(notes + event_notes),
            )
        )
    return results


def simulate_region(
    region: RegionInput, specs: tuple[ScenarioSpec, ...], settings: ScenarioSettings
) -> list[ScenarioResult]:
    """All scenarios of one region; the statistical driver fits are shared."""
    try:
        fitted = fit_statistical_drivers(region, settings)
    except Exception as exc:  # reported per region, never fatal for the run
        log.warning("scenarios not simulated for %s: %s", region.region_id, exc)
        return [r for spec in specs for r in failed(region, spec.name, f"{type(exc).__name__}: {exc}")]
    results = []
    for spec in specs:
        try:
            results.extend(simulate_scenario(region, spec, settings, fitted))
        except Exception as exc:
            log.exception("scenario %s failed for %s", spec.name, region.region_id)
            results.extend(failed(region, spec.name, f"{type(exc).__name__}: {exc}"))
    return results


def failed(region: RegionInput, scenario: str, error: str) -> list[ScenarioResult]:
    return [
        ScenarioResult(region_id=region.region_id, scenario=scenario, indicator=i, unit=c.UNITS[i], error=error)
        for i in (c.ENERGY, c.CO2)
    ]


def simulate_partition(
    regions: list[RegionInput], specs: tuple[ScenarioSpec, ...], settings: ScenarioSettings
) -> list[ScenarioResult]:
    """The unit of parallel work: a plain loop; only small summaries leave it."""
    return [result for region in regions for result in simulate_region(region, specs, settings)]


def ancestors(region_id: str, parents: dict[str, str | None]) -> list[str]:
    chain, current = [], parents.get(region_id)
    while current:
        chain.append(current)
        current = parents.get(current)
    return chain


def split_regions(
    panel: pl.DataFrame,
    target_years: dict[str, int],
    plans: dict[str, PlanTargets],
    events: tuple[PlantEvent, ...] = (),
    parents: dict[str, str | None] | None = None,
    default_target_year: int = 2030,
) -> list[RegionInput]:
    """Cut the contract frame into one region input each.

    A plant counts in its own region and in every region above it (a county's
    plant is part of its city's energy system too).
    """
    parents = parents or {}
    indicators = (c.POPULATION, c.GDP, c.ENERGY, c.CO2)
    rows = panel.filter(pl.col(c.VALUE).is_not_null())
    regions = []
    for (region_id,), group in rows.sort(c.YEAR).group_by([c.REGION_ID], maintain_order=True):
        kaya_rows = group.filter(pl.col(c.INDICATOR).is_in(indicators))
        if kaya_rows.is_empty():
            continue
        years = np.arange(kaya_rows[c.YEAR].min(), kaya_rows[c.YEAR].max() + 1)
        series = {}
        for indicator in indicators:
            values = np.full(len(years), np.nan)
            part = kaya_rows.filter(pl.col(c.INDICATOR) == indicator)
            values[part[c.YEAR].to_numpy() - years[0]] = part[c.VALUE].to_numpy()
            series[indicator] = values
        share_rows = group.filter(pl.col(c.INDICATOR) == c.NON_FOSSIL_SHARE)
        share = float(share_rows[c.VALUE][-1]) if not share_rows.is_empty() else None
        regions.append(
            RegionInput(
                region_id=region_id,
                target_year=target_years.get(region_id, default_target_year),
                years=years,
                population=series[c.POPULATION],
                gdp=series[c.GDP],
                energy=series[c.ENERGY],
                co2=series[c.CO2],
                plan=plans.get(region_id, PlanTargets()),
                events=tuple(e for e in events if e.region_id == region_id or region_id in ancestors(e.region_id, parents)),
                non_fossil_share=share,
            )
        )
    return sorted(regions, key=lambda r: r.region_id)
