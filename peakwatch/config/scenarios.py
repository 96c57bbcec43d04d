"""Scenario files (configs/scenarios/<name>.yaml, inheritance resolved) and plant events."""

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from forecasting.peaks import HORIZON_YEAR
from forecasting.scenarios import DRIVERS, STATISTICAL_SCENARIO, DriverSpec, PlantEvent, ScenarioSettings, ScenarioSpec
from peakwatch.config.base import ConfigError, Frozen, read_yaml, resolve_path
from peakwatch.config.forecast import ForecastConfig
from peakwatch.config.regions import Registry


MAX_YEARLY_CHANGE = 0.5  # a driver's yearly change, as a fraction


class DriverConfig(Frozen):
    """One driver as written; a file's drivers may be partial until inheritance
    is resolved, so what a source needs is checked after (``unused_fields``)."""

    # Where the driver's yearly rate comes from: the statistical forecast, the plan, or fixed rates.
    source: Literal["statistical", "plan", "fixed"] = "statistical"
    rates: dict[int, float] = {}  # fixed: year -> yearly change (-0.04 = -4 %/yr) from that year on
    # Standard deviation of the driver's rate across draws.
    sd: float = Field(0.0, ge=0)
    # Yearly noise on the driver's rate.
    noise: float = Field(0.0, ge=0)
    # Non-fossil share (percent) in the base year, where the data has none.
    base_non_fossil_share: float = Field(18.0, ge=0, lt=100)

    @field_validator("rates")
    @classmethod
    def _rates_are_fractions(cls, rates: dict[int, float]) -> dict[int, float]:
        # No driver moves by half or more a year for decades; 3 here meant 3 %, not +300 %/yr.
        wild = {year: rate for year, rate in rates.items() if abs(rate) >= MAX_YEARLY_CHANGE}
        if wild:
            raise ValueError(
                f"yearly changes {wild} are fractions, not percent: -0.04 is -4 %/yr "
                f"(|change| must be below {MAX_YEARLY_CHANGE})"
            )
        return rates

    @field_validator("base_non_fossil_share")
    @classmethod
    def _share_in_percent(cls, share: float) -> float:
        if share <= 1:
            raise ValueError(f"base_non_fossil_share is in percent: 18 is 18 %, got {share:g}")
        return share

    def merged(self, child: "DriverConfig") -> "DriverConfig":
        """``child`` (an inheriting file's entry) on top of this driver, field by
        field; a child naming another source starts afresh: the parent's fields
        belong to its own source."""
        if "source" in child.model_fields_set and child.source != self.source:
            return child
        return DriverConfig(**{**self.model_dump(), **child.model_dump(include=child.model_fields_set)})

    def problems(self, name: str) -> list[str]:
        """Fields this driver's source would silently ignore, or lacks."""
        found = []
        if self.source == "fixed" and not self.rates:
            found.append(f"drivers.{name}: source 'fixed' needs rates: {{year: yearly change}}")
        if self.source != "fixed" and self.rates:
            found.append(f"drivers.{name}: rates apply to source 'fixed' only, this driver's source is {self.source!r}")
        if self.source == "statistical":
            for field in ("sd", "noise"):
                if getattr(self, field):
                    found.append(
                        f"drivers.{name}: {field} is fitted for source 'statistical', a value here would be ignored "
                        "(use source 'plan' or 'fixed' to set it)"
                    )
        default_share = type(self).model_fields["base_non_fossil_share"].default
        if self.base_non_fossil_share != default_share and not (self.source == "plan" and name == "carbon_intensity"):
            found.append(f"drivers.{name}: base_non_fossil_share applies to carbon_intensity with source 'plan' only")
        return found

    def spec(self) -> DriverSpec:
        return DriverSpec(
            source=self.source,
            rates=tuple(sorted(self.rates.items())),
            sd=self.sd,
            noise=self.noise,
            base_non_fossil_share=self.base_non_fossil_share,
        )


DriverName = Literal["population", "gdp_per_capita", "energy_intensity", "carbon_intensity"]


class ScenarioFile(Frozen):
    """One configs/scenarios/<name>.yaml; after loading, inheritance is resolved."""

    # The scenario's name (its file name without .yaml).
    name: str
    # One line saying what the scenario assumes.
    description: str = ""
    # Another scenario whose drivers this one starts from.
    inherits: str | None = None
    # Driver (gdp, energy_intensity, carbon_intensity, ...) -> how its path is drawn.
    drivers: dict[DriverName, DriverConfig] = {}
    # Which plant events apply: none, committed only, or all.
    events: Literal["none", "committed", "all"] | None = None

    def spec(self) -> ScenarioSpec:
        return ScenarioSpec(
            name=self.name,
            description=self.description,
            drivers={name: self.drivers.get(name, DriverConfig()).spec() for name in DRIVERS},
            events=self.events or "committed",
        )


EARLIEST_EVENT_YEAR = 1949  # the contract's first year (validation.min_year)


class YearLaw(Frozen):
    # Earliest year.
    min: int
    # Most likely year.
    mode: int
    # Latest year.
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> "YearLaw":
        if not self.min <= self.mode <= self.max:
            raise ValueError(f"need min <= mode <= max, got {self.min}, {self.mode}, {self.max}")
        # A year past the horizon is never simulated: a typo (2207 for 2027) would drop the plant unnoticed.
        if self.min < EARLIEST_EVENT_YEAR or self.max > HORIZON_YEAR:
            raise ValueError(f"years must be within {EARLIEST_EVENT_YEAR}-{HORIZON_YEAR}, got {self.min}-{self.max}")
        return self


class EventConfig(Frozen):
    # The event's id, unique.
    id: str
    # Region id of the plant.
    region: str
    # The plant's fuel.
    fuel: Literal["coal", "gas", "oil", "wind", "solar", "hydro", "biomass", "nuclear"]
    # Commissioned or retired.
    action: Literal["commission", "retire"] = "commission"
    # Capacity in MW.
    capacity_mw: float = Field(gt=0)
    year: YearLaw  # a single year is read as min = mode = max
    # Full-load hours a year.
    hours: float = Field(gt=0, le=8760)
    # Grams of coal equivalent per kWh.
    heat_rate_gce_per_kwh: float = Field(gt=0)
    # Tonnes of CO2 per tonne of coal equivalent burnt (0 for non-fossil plants).
    emission_factor_tco2_per_tce: float = Field(ge=0)
    # Share of the output used outside the region.
    export_share: float = Field(0.0, ge=0, le=1)
    # Committed or planned.
    status: Literal["committed", "planned"] = "planned"

    @field_validator("year", mode="before")
    @classmethod
    def _one_year_is_a_law(cls, year: object) -> object:
        return {"min": year, "mode": year, "max": year} if isinstance(year, int) else year

    def event(self) -> PlantEvent:
        law = self.year
        return PlantEvent(
            event_id=self.id,
            region_id=self.region,
            fuel=self.fuel,
            capacity_mw=self.capacity_mw,
            year_min=law.min,
            year_mode=law.mode,
            year_max=law.max,
            hours=self.hours,
            heat_rate_gce_per_kwh=self.heat_rate_gce_per_kwh,
            emission_factor_tco2_per_tce=self.emission_factor_tco2_per_tce,
            action=self.action,
            status=self.status,
            export_share=self.export_share,
        )


class ScenariosConfig(Frozen):
    # Folder of the scenario files (relative to the config file).
    dir: Path
    # The scenarios to run, by name, in this order.
    run: tuple[str, ...] = ()
    # Draws per scenario and series (at least 1000).
    n_draws: int = Field(1000, ge=1000)
    # Random seed of the scenario draws.
    seed: int = 20300101
    # The probability the intensity-cut column aims at (P(peak <= target) >= this).
    probability: float = Field(0.8, gt=0, lt=1)
    # Range searched for the extra yearly intensity cut.
    cut_bounds: tuple[float, float] = (-0.10, 0.30)
    files: tuple[ScenarioFile, ...] = ()  # resolved, in `run` order
    # Plant events (commissioning, retirement) the scenarios draw from.
    events: tuple[EventConfig, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> "ScenariosConfig":
        lo, hi = self.cut_bounds
        if not -1 < lo < hi < 1:
            raise ValueError(f"cut_bounds must satisfy -1 < low < high < 1, got {list(self.cut_bounds)}")
        return self

    def settings(self, forecast: ForecastConfig) -> ScenarioSettings:
        return ScenarioSettings(
            n_draws=self.n_draws,
            seed=self.seed,
            horizon_year=forecast.horizon_year,
            min_observed_years=forecast.min_observed_years,
            probability=self.probability,
            cut_bounds=self.cut_bounds,
        )

    def specs(self) -> tuple[ScenarioSpec, ...]:
        return tuple(f.spec() for f in self.files)

    def plant_events(self) -> tuple[PlantEvent, ...]:
        return tuple(e.event() for e in self.events)


def _load_scenario_file(folder: Path, name: str, seen: tuple[str, ...] = ()) -> ScenarioFile:
    """Read <folder>/<name>.yaml and merge what it inherits (its drivers'
    fields override the parent's, field by field)."""
    if name in seen:
        raise ConfigError(f"{folder}: scenario inheritance loops: {' -> '.join(seen + (name,))}")
    path = folder / f"{name}.yaml"
    try:
        scenario = ScenarioFile(**read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid scenario:\n{exc}") from None
    if scenario.name != name:
        raise ConfigError(f"{path}: name {scenario.name!r} must match the file name {name!r}")
    if scenario.inherits is not None:
        if not (folder / f"{scenario.inherits}.yaml").is_file():
            raise ConfigError(f"{path}: inherits {scenario.inherits!r}, but there is no {folder / scenario.inherits}.yaml")
        parent = _load_scenario_file(folder, scenario.inherits, seen + (name,))
        drivers = dict(parent.drivers)
        for driver, child in scenario.drivers.items():
            drivers[driver] = drivers[driver].merged(child) if driver in drivers else child
        scenario = scenario.model_copy(update={"drivers": drivers, "events": scenario.events or parent.events})
    problems = [p for driver, config in scenario.drivers.items() for p in config.problems(driver)]
    if problems:
        raise ConfigError(f"{path}: invalid scenario:\n" + "\n".join(problems))
    return scenario


def load_scenarios(raw: dict, config_path: Path, registry: Registry) -> tuple[ScenariosConfig, list[Path]]:
    """The `scenarios:` block of ``config_path``, the scenario files it names and events.yaml."""
    base = config_path.parent
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: `scenarios` must be a mapping")
    folder = resolve_path(base, raw.get("dir", "scenarios"))
    if not folder.is_dir():
        raise ConfigError(
            f"{config_path}: scenarios.dir {folder} is not a folder (copy configs/scenarios/ beside the config, "
            "point scenarios.dir at it, or drop the `scenarios:` block)"
        )
    names = raw.get("run") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{config_path}: scenarios.run must be a list of scenario names")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:  # each would be simulated, tabled and tracked twice
        raise ConfigError(f"{config_path}: scenarios.run names {repeated} more than once")
    if STATISTICAL_SCENARIO in names:  # its rows would be mixed with the plain forecast's in the comparison
        raise ConfigError(
            f"{config_path}: scenarios.run: {STATISTICAL_SCENARIO!r} is reserved for the plain statistical "
            "forecast; give the scenario another name (file and `name:`)"
        )
    files = tuple(_load_scenario_file(folder, name) for name in names)
    events_path = folder / "events.yaml"
    read = [folder / f"{n}.yaml" for n in names]
    events_raw = []
    if events_path.exists():
        events_file = read_yaml(events_path)
        unknown = sorted(set(events_file) - {"events"})
        if unknown:  # a typo (`event:`) would load no plant at all
            raise ConfigError(f"{events_path}: unknown top-level key(s) {unknown}; the plants go under `events:`")
        events_raw = events_file.get("events") or []
        read.append(events_path)
    events = []
    for index, entry in enumerate(events_raw, start=1):
        label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
        try:
            events.append(EventConfig(**entry))
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f"{events_path}: event {label!r} is invalid:\n{exc}") from None
    events = tuple(events)
    known = {r.id for r in registry.regions}
    for event in events:
        if event.region not in known:
            raise ConfigError(f"{events_path}: event {event.id!r}: region {event.region!r} is not in the registry")
    ids = [e.id for e in events]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{events_path}: duplicate event ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    try:
        block = ScenariosConfig(**{**raw, "dir": folder, "files": files, "events": events})
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: invalid `scenarios` block:\n{exc}") from None
    return block, read
