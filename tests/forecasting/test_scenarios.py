"""Scenario simulation against hand-computed cases."""

import dataclasses

import numpy as np
import polars as pl
import pytest

from peakwatch import contract as c
from forecasting.scenarios import (
    DRIVERS,
    DriverSpec,
    PlanTargets,
    PlantEvent,
    RegionInput,
    ScenarioSettings,
    ScenarioSpec,
    simulate_partition,
    simulate_region,
    split_regions,
)
from forecasting.scenarios.drivers import fixed_path, plan_carbon_intensity, plan_energy_intensity
from forecasting.scenarios.events import event_rng, event_steps
from forecasting.scenarios.kaya import combine_kaya, simulate_drivers
from forecasting.scenarios.run import ScenarioInputError, fit_statistical_drivers, resolve_drivers
from forecasting.scenarios.spec import DriverPath

YEARS = np.arange(2005, 2024)
SETTINGS = ScenarioSettings(n_draws=1000, seed=7, horizon_year=2060)


def make_region(region_id="test.region", events=(), plan=PlanTargets(), co2_growth=0.03) -> RegionInput:
    t = YEARS - YEARS[0]
    population = 100.0 * 1.002**t
    gdp = 500.0 * 1.07**t
    energy = 5.0 * 1.04**t
    co2 = 10.0 * (1 + co2_growth) ** t
    return RegionInput(
        region_id=region_id,
        target_year=2030,
        years=YEARS,
        population=population,
        gdp=gdp,
        energy=energy,
        co2=co2,
        plan=plan,
        events=tuple(events),
    )


def fixed_spec(name="fixed", rates=None, sd=0.0, noise=0.0, events="all", **cuts) -> ScenarioSpec:
    rates = rates or {}
    return ScenarioSpec(
        name=name,
        description="",
        drivers={d: DriverSpec(source="fixed", rates=((2024, rates.get(d, 0.0)),), sd=sd, noise=noise) for d in DRIVERS},
        events=events,
        **cuts,
    )


def result_for(results, indicator=c.CO2):
    (match,) = [r for r in results if r.indicator == indicator]
    assert match.ok, match.error
    return match


def test_constant_rates_give_the_closed_form_path():
    base = {"population": np.log(100.0), "gdp_per_capita": np.log(5.0), "energy_intensity": np.log(0.01),
            "carbon_intensity": np.log(2.0)}
    rates = {"population": 0.01, "gdp_per_capita": 0.05, "energy_intensity": -0.03, "carbon_intensity": -0.02}
    paths = {d: DriverPath(rates=(np.log1p(rates[d]),) * 10, sd=0.0, noise=0.0, origin="test") for d in DRIVERS}
    logs = simulate_drivers(base, paths, 1000, np.random.default_rng(1))
    kaya = combine_kaya(logs, np.arange(2024, 2034))
    k = np.arange(1, 11)
    energy0 = 100.0 * 5.0 * 0.01  # population x GDP per capita x energy intensity
    expected_energy = energy0 * (1.01 * 1.05 * 0.97) ** k
    expected_co2 = energy0 * 2.0 * (1.01 * 1.05 * 0.97 * 0.98) ** k
    np.testing.assert_allclose(kaya.energy, np.broadcast_to(expected_energy, (1000, 10)), rtol=1e-12)
    np.testing.assert_allclose(kaya.co2, np.broadcast_to(expected_co2, (1000, 10)), rtol=1e-12)
    np.testing.assert_allclose(kaya.gdp[0], 100.0 * 5.0 * (1.01 * 1.05) ** k, rtol=1e-12)


def test_constant_rates_through_the_whole_scenario_give_closed_form_values_and_peaks():
    region = make_region()
    rates = {"population": 0.0, "gdp_per_capita": 0.04, "energy_intensity": -0.03, "carbon_intensity": -0.03}
    results = simulate_region(region, (fixed_spec(rates=rates),), SETTINGS)
    co2, energy = result_for(results, c.CO2), result_for(results, c.ENERGY)
    co2_factor = 1.04 * 0.97 * 0.97  # < 1: emissions fall from 2024, so they peaked in 2023
    energy_factor = 1.04 * 0.97  # > 1: energy rises to the horizon, censored
    assert co2.value_at_target_median == pytest.approx(region.co2[-1] * co2_factor**7, rel=1e-12)
    assert energy.value_at_target_median == pytest.approx(region.energy[-1] * energy_factor**7, rel=1e-12)
    # Every path agrees, yet P stays a share of finitely many paths: (n + 1/2) / (n + 1), never exactly 1 or 0.
    assert co2.peaks.peak_year_median == 2023 and co2.peaks.p_peak_by_target == pytest.approx(1 - 0.5 / 1001)
    assert energy.peaks.p_censored == 1.0 and energy.peaks.p_peak_by_target == pytest.approx(0.5 / 1001)


def test_event_step_is_capacity_times_hours_times_heat_rate_times_emission_factor():
    plant = PlantEvent("unit", "r", "coal", capacity_mw=1000, year_min=2026, year_mode=2026, year_max=2026,
                       hours=5000, heat_rate_gce_per_kwh=300, emission_factor_tco2_per_tce=2.66, export_share=0.5)
    # 1000 MW x 5000 h = 5e6 MWh = 5e9 kWh; x 300 gce/kWh = 1.5e12 gce = 1.5 Mtce; x 2.66 = 3.99 MtCO2
    assert plant.steps("energy_sector") == pytest.approx((1.5, 3.99))
    assert plant.steps("whole_economy") == pytest.approx((0.75, 1.995))  # exported half netted out
    retire = PlantEvent(**{**plant.__dict__, "action": "retire"})
    assert retire.steps("energy_sector") == pytest.approx((-1.5, -3.99))
    solar = PlantEvent(**{**plant.__dict__, "fuel": "solar"})
    assert solar.steps("energy_sector") == pytest.approx((0.0, -3.99))  # displaces coal power, no fossil energy


def test_an_event_adds_exactly_its_step_from_its_year():
    plant = PlantEvent("unit", "test.region", "coal", capacity_mw=1000, year_min=2026, year_mode=2026,
                       year_max=2026, hours=5000, heat_rate_gce_per_kwh=300, emission_factor_tco2_per_tce=2.66)
    spec = fixed_spec(rates={"gdp_per_capita": 0.03}, sd=0.01, noise=0.01)
    plan = PlanTargets(scope="energy_sector")
    without = simulate_region(make_region(plan=plan), (spec,), SETTINGS)
    with_plant = simulate_region(make_region(plan=plan, events=[plant]), (spec,), SETTINGS)
    # Same scenario seed, so the same Kaya draws: the medians differ by the step exactly.
    for indicator, step in ((c.CO2, 3.99), (c.ENERGY, 1.5)):
        diff = result_for(with_plant, indicator).value_at_target_median - result_for(without, indicator).value_at_target_median
        assert diff == pytest.approx(step, rel=1e-9)
    assert result_for(with_plant).events and "+3.990 MtCO2" in result_for(with_plant).events[0]


def test_event_years_follow_the_triangular_law():
    plant = PlantEvent("u", "r", "coal", 100, 2027, 2029, 2032, 4000, 300, 2.66)
    energy, _ = event_steps((plant,), "energy_sector", np.arange(2024, 2061), 20000, 3)
    on_by_2030 = np.mean(energy[:, 2030 - 2024] > 0)
    # P(rint(T) <= 2030) = P(T < 2030.5) for T ~ triangular(2026.5, 2029, 2032.5)
    a, m, b = 2026.5, 2029, 2032.5
    expected = 1 - (b - 2030.5) ** 2 / ((b - a) * (b - m))
    assert on_by_2030 == pytest.approx(expected, abs=0.01)
    assert np.all(energy[:, 2032 - 2024] > 0) and np.all(energy[:, 2026 - 2024] == 0)


def test_a_plant_drawn_into_the_observed_years_is_not_added_again():
    """History to 2023: a plant on line by then is in the data already."""
    plant = PlantEvent("u", "r", "coal", 100, 2022, 2024, 2026, 4000, 300, 2.66)
    start = np.rint(event_rng(plant, 3).triangular(2021.5, 2024, 2026.5, 20000)).astype(int)
    energy, co2 = event_steps((plant,), "energy_sector", np.arange(2024, 2061), 20000, 3)
    assert np.mean(energy[:, -1] > 0) == pytest.approx(np.mean(start >= 2024))  # the same draws
    assert np.all((energy[:, -1] > 0) == (start >= 2024)) and np.all((co2[:, -1] > 0) == (start >= 2024))
    already, _ = event_steps((PlantEvent("v", "r", "coal", 100, 2020, 2020, 2020, 4000, 300, 2.66),), "energy_sector",
                             np.arange(2024, 2061), 10, 3)
    assert not already.any()


def test_a_plants_years_do_not_depend_on_the_other_plants():
    """Common random numbers for plants: a committed plant comes on line in the
    same year, draw by draw, whether a scenario adds planned plants or not."""
    committed = PlantEvent("c", "r", "coal", 1000, 2025, 2026, 2028, 4000, 300, 2.66, status="committed")
    planned = PlantEvent("p", "r", "coal", 500, 2027, 2030, 2034, 4000, 300, 2.66)
    future = np.arange(2024, 2061)
    alone = [event_steps((e,), "energy_sector", future, 1000, 7) for e in (committed, planned)]
    together = event_steps((planned, committed), "energy_sector", future, 1000, 7)
    for summed, part_one, part_two in zip(together, *alone):
        np.testing.assert_array_equal(summed, part_one + part_two)


def test_the_order_of_the_events_file_does_not_change_results():
    plants = [
        PlantEvent("c", "test.region", "coal", 1000, 2025, 2026, 2028, 4000, 300, 2.66, status="committed"),
        PlantEvent("p", "test.region", "coal", 500, 2027, 2030, 2034, 4000, 300, 2.66),
        PlantEvent("s", "test.region", "solar", 800, 2024, 2026, 2031, 1200, 300, 2.66),
    ]
    specs = (fixed_spec("committed", {"gdp_per_capita": 0.03}, 0.01, 0.01, events="committed"),
             fixed_spec("all", {"gdp_per_capita": 0.03}, 0.01, 0.01, events="all"))
    plan = PlanTargets(scope="energy_sector")
    forward = simulate_region(make_region(events=plants, plan=plan), specs, SETTINGS)
    backward = simulate_region(make_region(events=plants[::-1], plan=plan), specs, SETTINGS)
    key = lambda r: (r.scenario, r.indicator)  # noqa: E731
    for one, other in zip(sorted(forward, key=key), sorted(backward, key=key)):
        assert (one.peaks, one.what_it_takes, one.value_at_target_median) == (
            other.peaks, other.what_it_takes, other.value_at_target_median)


def test_scenarios_that_assume_the_same_share_their_draws():
    """Common random numbers: two specs alike but for their names give the same answer."""
    region = make_region()
    rates = {"gdp_per_capita": 0.05, "energy_intensity": -0.02, "carbon_intensity": -0.01}
    one, other = (fixed_spec(name=name, rates=rates, sd=0.01, noise=0.02) for name in ("one", "other"))
    first, second = (result_for(simulate_region(region, (spec,), SETTINGS)) for spec in (one, other))
    assert first.peaks == second.peaks


def test_years_before_every_driver_is_observed_are_left_out_of_the_driver_fits():
    """GDP and population from 1995, energy and CO2 from 2005: the ten years
    before had been filled flat, a falling energy intensity never measured."""
    region = make_region()
    lead = 10
    padded = dataclasses.replace(
        region,
        years=np.arange(YEARS[0] - lead, YEARS[-1] + 1),
        population=np.r_[region.population[0] / 1.002 ** np.arange(lead, 0, -1), region.population],
        gdp=np.r_[region.gdp[0] / 1.07 ** np.arange(lead, 0, -1), region.gdp],
        energy=np.r_[np.full(lead, np.nan), region.energy],
        co2=np.r_[np.full(lead, np.nan), region.co2],
    )
    years, histories, paths = fit_statistical_drivers(padded, SETTINGS)
    _, expected_histories, expected_paths = fit_statistical_drivers(region, SETTINGS)
    assert years[-1] == YEARS[-1]
    for name in DRIVERS:
        np.testing.assert_allclose(histories[name], expected_histories[name])
        assert paths[name].rates == pytest.approx(expected_paths[name].rates)
        assert (paths[name].sd, paths[name].noise) == pytest.approx((expected_paths[name].sd, expected_paths[name].noise))
    short = dataclasses.replace(padded, energy=np.r_[np.full(lead + 13, np.nan), region.energy[13:]])
    with pytest.raises(ScenarioInputError, match="only 6 years with population, gdp, energy and co2 all observed"):
        fit_statistical_drivers(short, dataclasses.replace(SETTINGS, min_observed_years=8))


def test_solver_answer_applied_meets_the_promised_probability():
    region = make_region()
    rates = {"gdp_per_capita": 0.05, "energy_intensity": -0.02, "carbon_intensity": -0.01}
    spec = fixed_spec(name="rising", rates=rates, sd=0.01, noise=0.02)
    result = result_for(simulate_region(region, (spec,), SETTINGS))
    answer = result.what_it_takes
    assert answer.reachable and 0 < answer.extra_cut < 0.3
    assert result.peaks.p_peak_by_target < 0.8
    applied = result_for(simulate_region(region, (fixed_spec(name="rising", rates=rates, sd=0.01, noise=0.02,
                                                                extra_cut_co2=answer.extra_cut),), SETTINGS))
    assert applied.peaks.p_peak_by_target >= 0.8
    assert applied.peaks.p_peak_by_target == pytest.approx(answer.achieved_probability)
    less = result_for(simulate_region(region, (fixed_spec(name="rising", rates=rates, sd=0.01, noise=0.02,
                                                             extra_cut_co2=answer.extra_cut - 2 * SETTINGS.tolerance),),
                                      SETTINGS))
    assert less.peaks.p_peak_by_target < 0.8  # smallest: a little less is not enough


def test_solver_reports_an_unreachable_target():
    rates = {"gdp_per_capita": 0.5}  # +50 %/yr: no cut within the bounds stops that
    result = result_for(simulate_region(make_region(), (fixed_spec(rates=rates),), SETTINGS))
    assert not result.what_it_takes.reachable and result.what_it_takes.extra_cut is None


def test_plan_energy_intensity_meets_the_cut_on_schedule():
    years = np.arange(2015, 2024)
    intensity = np.linspace(1.0, 0.9, len(years))  # 2020 value at index 5
    future = np.arange(2024, 2061)
    path = plan_energy_intensity(DriverSpec(source="plan"), (2021, 2025, 15.0), years, intensity, future)
    level_2025 = intensity[-1] * np.exp(sum(path.rates[:2]))
    assert level_2025 == pytest.approx(intensity[years == 2020][0] * 0.85)
    assert path.rates[5] == pytest.approx(np.log(0.85) / 5)  # the plan's pace continues


def test_plan_energy_intensity_never_rises_when_the_cut_is_already_made():
    years = np.arange(2015, 2024)
    intensity = 0.94 ** (years - 2015)  # -6 %/yr: 2023 already 16.9 % below 2020, the plan asks 15 %
    future = np.arange(2024, 2061)
    path = plan_energy_intensity(DriverSpec(source="plan"), (2021, 2025, 15.0), years, intensity, future)
    assert intensity[-1] < intensity[years == 2020][0] * 0.85
    assert path.rates[:2] == (0.0, 0.0)  # held to 2025, not raised back up to the goal
    assert path.rates[2] == pytest.approx(np.log(0.85) / 5)  # then the plan's pace
    assert "met by 2023" in path.origin


@pytest.mark.parametrize("late", [2, 6])
def test_plan_energy_intensity_reads_its_base_year_when_energy_starts_late(late):
    """Population and GDP from 2005, energy and CO2 ``late`` years later: the
    plan's 2020 base must be 2020's intensity, not one ``late`` years off."""
    region = make_region(plan=PlanTargets(energy_intensity_cut=(2021, 2025, 15.0)))
    region = dataclasses.replace(
        region,
        energy=np.r_[np.full(late, np.nan), region.energy[late:]],
        co2=np.r_[np.full(late, np.nan), region.co2[late:]],
    )
    spec = ScenarioSpec("plan", "", {d: DriverSpec(source="plan") for d in DRIVERS})
    years, histories, statistical = fit_statistical_drivers(region, SETTINGS)
    future = np.arange(2024, 2061)
    paths, _ = resolve_drivers(region, spec, years, histories, statistical, future)
    intensity = region.energy / region.gdp
    level_2025 = intensity[YEARS == 2023][0] * np.exp(sum(paths["energy_intensity"].rates[:2]))
    assert level_2025 == pytest.approx(intensity[YEARS == 2020][0] * 0.85)
    assert result_for(simulate_region(region, (spec,), SETTINGS), c.ENERGY).ok


def test_fixed_rates_are_labelled_from_the_year_they_are_simulated():
    """A first step written for 2030 also applies 2024-2029; steps overtaken
    before the first simulated year are not shown."""
    future = np.arange(2024, 2041)
    late = fixed_path(DriverSpec(source="fixed", rates=((2030, -0.04),)), future)
    assert late.rates == pytest.approx((np.log(0.96),) * len(future))
    assert late.origin == "fixed: -4.0%/yr from 2024"
    steps = fixed_path(DriverSpec(source="fixed", rates=((2020, -0.01), (2022, -0.03), (2030, -0.05))), future)
    assert steps.rates == pytest.approx([np.log(0.97)] * 6 + [np.log(0.95)] * 11)
    assert steps.origin == "fixed: -3.0%/yr from 2024, -5.0%/yr from 2030"


def test_plan_carbon_intensity_follows_the_fossil_share():
    future = np.arange(2024, 2061)
    path = plan_carbon_intensity(DriverSpec(source="plan"), {2025: 20.0, 2030: 25.0}, 2023, 18.0, future)
    ratio_2030 = np.exp(sum(path.rates[: 2030 - 2023]))
    assert ratio_2030 == pytest.approx((1 - 0.25) / (1 - 0.18))
    assert np.all(np.asarray(path.rates) <= 0)


def test_plan_without_a_target_falls_back_to_statistical_rates_and_says_so():
    spec = ScenarioSpec("plan", "", {d: DriverSpec(source="plan") for d in DRIVERS}, events="all")
    result = result_for(simulate_region(make_region(), (spec,), SETTINGS))
    assert result.drivers["energy_intensity"].startswith("statistical")
    assert any("no plan target for energy_intensity" in n for n in result.notes)


def test_results_do_not_depend_on_partitioning():
    regions = [make_region("a.one", co2_growth=0.02), make_region("b.two", co2_growth=0.04)]
    spec = fixed_spec(rates={"gdp_per_capita": 0.03}, sd=0.02, noise=0.02)
    together = simulate_partition(regions, (spec,), SETTINGS)
    apart = simulate_partition(regions[1:], (spec,), SETTINGS) + simulate_partition(regions[:1], (spec,), SETTINGS)
    key = lambda r: (r.region_id, r.indicator)  # noqa: E731
    assert sorted(together, key=key) == sorted(apart, key=key)


def test_short_history_is_reported_not_raised():
    region = make_region()
    short = RegionInput(**{**region.__dict__, "years": YEARS[-3:], "population": region.population[-3:],
                           "gdp": region.gdp[-3:], "energy": region.energy[-3:], "co2": region.co2[-3:]})
    results = simulate_region(short, (fixed_spec(),), SETTINGS)
    assert len(results) == 2 and all("need 8" in r.error for r in results)


def test_split_regions_counts_a_plant_in_its_region_and_the_ones_above():
    rows = [
        (region, year, indicator, 1.0 + year - 2005, c.UNITS[indicator], "test")
        for region in ("city", "city.county")
        for year in range(2005, 2024)
        for indicator in (c.POPULATION, c.GDP, c.ENERGY, c.CO2)
    ]
    panel = pl.DataFrame(rows, schema=list(c.SCHEMA), orient="row")
    plant = PlantEvent("p", "city.county", "coal", 100, 2025, 2025, 2025, 4000, 300, 2.66)
    regions = split_regions(panel, {}, {}, (plant,), {"city": None, "city.county": "city"})
    assert [r.region_id for r in regions] == ["city", "city.county"]
    assert all(r.events == (plant,) for r in regions)


def test_events_by_status_and_no_double_counting_of_renewables():
    coal = PlantEvent("coal", "test.region", "coal", 1000, 2026, 2026, 2026, 5000, 300, 2.66, status="committed")
    solar = PlantEvent("solar", "test.region", "solar", 500, 2026, 2026, 2026, 1000, 300, 2.66)
    shares = PlanTargets(scope="energy_sector", non_fossil_share={2025: 20.0, 2030: 25.0})
    region = make_region(events=[coal, solar], plan=shares)
    committed = result_for(simulate_region(region, (fixed_spec(events="committed"),), SETTINGS))
    assert [e.split(":")[0] for e in committed.events] == ["coal"]
    everything = result_for(simulate_region(region, (fixed_spec(events="all"),), SETTINGS))
    assert [e.split(":")[0] for e in everything.events] == ["coal", "solar"]  # CI not from the share target
    plan_ci = fixed_spec(events="all")
    plan_ci = ScenarioSpec(plan_ci.name, "", {**plan_ci.drivers, "carbon_intensity": DriverSpec(source="plan")}, "all")
    planned = result_for(simulate_region(region, (plan_ci,), SETTINGS))
    assert [e.split(":")[0] for e in planned.events] == ["coal"]
    assert any("solar: within the non-fossil share target" in n for n in planned.notes)


@pytest.mark.parametrize(("n_on_time", "close"), [(801, True), (851, False)])
def test_a_cut_on_a_plateau_at_the_target_probability_is_flagged_a_close_call(n_on_time, close):
    """Draws growing 5 %/yr peak on time once the cut exceeds 1 - 1/1.05; the
    others jump a millionfold in 2040, which no cut offsets. With 801 of 1000
    on time P sits on 0.8 (801.5 / 1001, as reported) from that cut to the
    bound: any cut there is as good (a close call); with 851, P clears 0.8 by
    far more than two standard errors."""
    from forecasting.scenarios.solver import what_it_takes

    history_years, future = np.arange(2015, 2024), np.arange(2024, 2061)
    history = np.linspace(0.5, 1.0, len(history_years))
    growth = 1.05 ** np.arange(1, len(future) + 1)
    paths = np.vstack([np.broadcast_to(growth, (n_on_time, len(future))),
                       np.broadcast_to(np.where(future >= 2040, 1e6, 1.0) * growth, (1000 - n_on_time, len(future)))])
    answer = what_it_takes("energy_intensity", history_years, history, future, paths, 1.0, np.ones_like(paths),
                           2030, 0.8, (-0.10, 0.30), 1e-4)
    threshold = 1 - 1 / 1.05
    assert answer.extra_cut == pytest.approx(threshold, abs=2e-4)
    assert answer.close_call is close
    assert answer.noise_range[0] == pytest.approx(threshold, abs=2e-4)
    assert answer.noise_range[1] == (0.30 if close else pytest.approx(threshold, abs=2e-4))
