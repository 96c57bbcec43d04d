"""Scenario YAML: parsed once into frozen specs; inheritance; clear errors."""

from pathlib import Path

import pytest
import yaml

from peakwatch.config import PROJECT_ROOT, ConfigError, load_config

REGIONS = PROJECT_ROOT / "configs" / "regions.yaml"
DATA = PROJECT_ROOT / "data" / "default_panel.csv"


def write_config(tmp_path: Path, scenarios: dict[str, dict], events: list | None = None, run=None) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, body in scenarios.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(body))
    if events is not None:
        (folder / "events.yaml").write_text(yaml.safe_dump({"events": events}))
    config = {
        "artifacts_dir": str(tmp_path / "artifacts"),
        "regions": str(REGIONS),
        "sources": [{"name": "default", "kind": "tidy_csv", "path": str(DATA)}],
        "scenarios": {"dir": "scenarios", "run": run or list(scenarios)},
    }
    path = tmp_path / "peakwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


BASE = {"name": "base", "drivers": {"population": {"source": "statistical"}}, "events": "committed"}
COAL = {
    "id": "unit", "region": "hunan.yueyang.pingjiang", "fuel": "coal", "capacity_mw": 1000,
    "year": {"min": 2026, "mode": 2027, "max": 2029}, "hours": 4000, "heat_rate_gce_per_kwh": 280,
    "emission_factor_tco2_per_tce": 2.66,
}


def test_embedded_default_names_baseline_plan_and_a_user_scenario():
    config = load_config()
    specs = {s.name: s for s in config.scenarios.specs()}
    assert {"baseline", "plan"} <= set(specs) and len(specs) >= 3
    assert specs["plan"].drivers["energy_intensity"].source == "plan"
    assert specs["plan"].drivers["population"].source == "statistical"  # inherited from baseline
    assert specs["plan"].events == "all" and specs["baseline"].events == "committed"
    events = {e.event_id: e for e in config.scenarios.plant_events()}
    assert events["pingjiang-huadian-phase1"].status == "committed"
    assert config.regions.plan_targets()["hunan.zhuzhou"].energy_intensity_cut == (2021, 2025, 15.0)


def test_a_user_scenario_overrides_one_driver_and_inherits_the_rest(tmp_path):
    child = {"name": "child", "inherits": "base",
             "drivers": {"energy_intensity": {"source": "fixed", "rates": {2024: -0.05}, "sd": 0.01}}}
    config = load_config(write_config(tmp_path, {"base": BASE, "child": child}, [COAL], run=["child"]))
    (spec,) = config.scenarios.specs()
    assert spec.drivers["energy_intensity"].rates == ((2024, -0.05),)
    assert spec.drivers["carbon_intensity"].source == "statistical"
    assert spec.events == "committed"  # inherited
    (event,) = config.scenarios.plant_events()
    assert (event.year_min, event.year_mode, event.year_max) == (2026, 2027, 2029)


def test_inheritance_loop_is_named(tmp_path):
    a = {"name": "a", "inherits": "b"}
    b = {"name": "b", "inherits": "a"}
    with pytest.raises(ConfigError, match="a -> b -> a"):
        load_config(write_config(tmp_path, {"a": a, "b": b}, run=["a"]))


def test_bad_driver_names_the_file(tmp_path):
    bad = {"name": "bad", "drivers": {"energy_intensity": {"source": "fixed"}}}
    with pytest.raises(ConfigError, match=r"(?s)bad\.yaml.*needs rates"):
        load_config(write_config(tmp_path, {"bad": bad}))


def test_event_in_an_unknown_region_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"events\.yaml.*'unit'.*'nowhere'"):
        load_config(write_config(tmp_path, {"base": BASE}, [{**COAL, "region": "nowhere"}]))


def test_event_with_an_impossible_year_law_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"(?s)events\.yaml.*'unit' is invalid.*min <= mode <= max"):
        load_config(write_config(tmp_path, {"base": BASE}, [{**COAL, "year": {"min": 2030, "mode": 2027, "max": 2029}}]))


def test_missing_scenario_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"not found: .*missing\.yaml"):
        load_config(write_config(tmp_path, {"base": BASE}, run=["missing"]))


def test_too_few_draws_are_refused(tmp_path):
    path = write_config(tmp_path, {"base": BASE})
    raw = yaml.safe_load(path.read_text())
    raw["scenarios"]["n_draws"] = 500
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="n_draws"):
        load_config(path)


def test_a_scenario_named_like_the_statistical_forecast_is_refused(tmp_path):
    statistical = {**BASE, "name": "statistical"}
    with pytest.raises(ConfigError, match=r"peakwatch\.yaml: scenarios\.run: 'statistical' is reserved"):
        load_config(write_config(tmp_path, {"base": BASE, "statistical": statistical}))


def test_a_scenario_run_twice_is_refused(tmp_path):
    plan = {"name": "plan", "inherits": "base"}
    with pytest.raises(ConfigError, match=r"peakwatch\.yaml: scenarios\.run names \['base'\] more than once"):
        load_config(write_config(tmp_path, {"base": BASE, "plan": plan}, run=["base", "plan", "base"]))


PLAN = {"name": "plan", "inherits": "base", "events": "all",
        "drivers": {"carbon_intensity": {"source": "plan", "sd": 0.003, "noise": 0.01, "base_non_fossil_share": 20}}}


def test_an_inheriting_scenario_overrides_a_driver_field_by_field(tmp_path):
    noisy = {"name": "noisy", "inherits": "plan", "drivers": {"carbon_intensity": {"noise": 0.02}}}
    config = load_config(write_config(tmp_path, {"base": BASE, "plan": PLAN, "noisy": noisy}, run=["plan", "noisy"]))
    plan, noisy = (s.drivers["carbon_intensity"] for s in config.scenarios.specs())
    assert (noisy.source, noisy.sd, noisy.noise, noisy.base_non_fossil_share) == ("plan", 0.003, 0.02, 20.0)
    assert plan.noise == 0.01


def test_a_child_naming_another_source_does_not_keep_the_parents_fields(tmp_path):
    fixed = {"name": "fixed", "inherits": "plan",
             "drivers": {"carbon_intensity": {"source": "fixed", "rates": {2024: -0.02}}}}
    config = load_config(write_config(tmp_path, {"base": BASE, "plan": PLAN, "fixed": fixed}, run=["fixed"]))
    (spec,) = config.scenarios.specs()
    ci = spec.drivers["carbon_intensity"]
    assert (ci.source, ci.rates, ci.sd, ci.noise, ci.base_non_fossil_share) == ("fixed", ((2024, -0.02),), 0.0, 0.0, 18.0)


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        ({"population": {"sd": 0.01}}, "drivers.population: sd is fitted for source 'statistical'"),
        ({"population": {"noise": 0.01}}, "drivers.population: noise is fitted for source 'statistical'"),
        ({"carbon_intensity": {"rates": {2024: -0.05}}}, "drivers.carbon_intensity: rates apply to source 'fixed' only"),
        ({"energy_intensity": {"source": "plan", "base_non_fossil_share": 20}},
         "drivers.energy_intensity: base_non_fossil_share applies to carbon_intensity"),
    ],
)
def test_a_field_the_drivers_source_would_ignore_is_refused(tmp_path, driver, message):
    child = {"name": "child", "inherits": "plan", "drivers": driver}
    with pytest.raises(ConfigError, match=rf"(?s)child\.yaml: invalid scenario.*{message}"):
        load_config(write_config(tmp_path, {"base": BASE, "plan": PLAN, "child": child}, run=["child"]))


def test_a_typo_in_the_events_key_is_refused_not_read_as_no_plants(tmp_path):
    path = write_config(tmp_path, {"base": BASE}, [COAL])
    (tmp_path / "scenarios" / "events.yaml").write_text(yaml.safe_dump({"event": [COAL]}))
    with pytest.raises(ConfigError, match=r"events\.yaml: unknown top-level key\(s\) \['event'\]"):
        load_config(path)


def test_a_rate_written_as_a_percent_is_refused_with_a_hint(tmp_path):
    fast = {"name": "fast", "drivers": {"gdp_per_capita": {"source": "fixed", "rates": {2024: 3}}}}
    with pytest.raises(ConfigError, match=r"(?s)fast\.yaml.*gdp_per_capita\.rates.*fractions, not percent"):
        load_config(write_config(tmp_path, {"fast": fast}))


def test_a_non_fossil_share_written_as_a_fraction_is_refused_with_a_hint(tmp_path):
    plan = {**PLAN, "drivers": {"carbon_intensity": {"source": "plan", "base_non_fossil_share": 0.18}}}
    with pytest.raises(ConfigError, match=r"(?s)plan\.yaml.*base_non_fossil_share is in percent.*got 0\.18"):
        load_config(write_config(tmp_path, {"base": BASE, "plan": plan}, run=["plan"]))


@pytest.mark.parametrize("year", [{"min": 2207, "mode": 2209, "max": 2212}, 2207, 1027])
def test_an_event_year_past_the_horizon_is_refused(tmp_path, year):
    with pytest.raises(ConfigError, match=r"(?s)events\.yaml.*'unit' is invalid.*years must be within 1949-2060"):
        load_config(write_config(tmp_path, {"base": BASE}, [{**COAL, "year": year}]))


def test_a_typo_in_inherits_names_the_file_that_has_it(tmp_path):
    child = {"name": "child", "inherits": "bsae"}
    with pytest.raises(ConfigError, match=r"child\.yaml: inherits 'bsae', but there is no .*bsae\.yaml"):
        load_config(write_config(tmp_path, {"base": BASE, "child": child}, run=["child"]))
