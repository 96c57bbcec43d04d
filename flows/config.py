"""Configuration: YAML parsed once, at the flow boundary, into frozen objects.

Lower layers receive only their slice (``ForecastSettings``, a target-year map),
never a raw dict or a path. Environment variables are read when the config is
loaded at run time, never at import.
"""

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flows.redact import redact_text, redact_url
from forecasting.peaks import HORIZON_YEAR
from forecasting.scenarios import DRIVERS, STATISTICAL_SCENARIO, DriverSpec, PlanTargets, PlantEvent, ScenarioSettings, ScenarioSpec
from forecasting.series import ForecastSettings
from validation.settings import GateSettings, Severity

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "peakwatch.yaml"


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntensityCut(Frozen):
    period: tuple[int, int]  # first and last year; the cut is against the year before
    percent: float = Field(gt=0, lt=100)

    @model_validator(mode="after")
    def _ordered(self) -> "IntensityCut":
        if self.period[0] > self.period[1]:
            raise ValueError(f"period {list(self.period)} ends before it starts")
        return self


class Plan(Frozen):
    seed: str
    title: str
    scope: Literal["energy_sector", "whole_economy"]
    peak_target_year: int
    non_fossil_share: dict[int, float] | None = None
    energy_intensity_cut: IntensityCut | None = None
    new_energy_capacity_mw: dict[int, float] | None = None


class Region(Frozen):
    id: str
    code: str | None = None
    name_zh: str
    name_en: str
    level: Literal["province", "city", "county"]
    parent: str | None = None
    # Other spellings sources use for this region (names, pinyin, old codes).
    aliases: tuple[str, ...] = ()
    plan: Plan | None = None

    @property
    def target_year(self) -> int | None:
        return self.plan.peak_target_year if self.plan else None


class Registry(Frozen):
    regions: tuple[Region, ...]

    def get(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def target_years(self) -> dict[str, int]:
        return {r.id: r.target_year for r in self.regions if r.target_year is not None}

    def names(self) -> dict[str, tuple[str, str]]:
        """region id -> (Chinese name, English name), for MLflow tags and the report."""
        return {r.id: (r.name_zh, r.name_en) for r in self.regions}

    def levels(self) -> dict[str, str]:
        """region id -> level (province, city, county): the forecast's pooling groups."""
        return {r.id: r.level for r in self.regions}

    def parents(self) -> dict[str, str]:
        """child region id -> parent region id, for the gate's hierarchy check."""
        return {r.id: r.parent for r in self.regions if r.parent}

    def plan_targets(self) -> dict[str, PlanTargets]:
        """The scenario simulation's slice of each region's plan."""
        targets = {}
        for region in self.regions:
            if region.plan is None:
                continue
            cut = region.plan.energy_intensity_cut
            targets[region.id] = PlanTargets(
                scope=region.plan.scope,
                non_fossil_share=region.plan.non_fossil_share,
                energy_intensity_cut=(cut.period[0], cut.period[1], cut.percent) if cut else None,
            )
        return targets


class RegionMatching(Frozen):
    """What to do with a source's region names the registry does not know."""

    # report: list them in the run summary and leave their rows out;
    # derive: forecast them under "<derive_prefix>.<name>" (e.g. CEADs' 290 cities).
    unmatched: Literal["report", "derive"] = "report"
    derive_prefix: str = "unlisted"


class SourceBase(Frozen):
    name: str
    path: Path | None = None
    url: str | None = None
    # Higher wins when two sources give the same region, indicator and year.
    precedence: int = 0
    format: Literal["csv", "parquet", "excel"] | None = None  # default: from the file suffix
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    sheet: str | None = None  # Excel only; default: the first sheet
    header_row: int = Field(0, ge=0)  # rows above the header to skip (a yearbook table's title)
    label: str | None = None  # value of the contract's `source` column; default: name
    missing_values: tuple[str, ...] = ()  # cell texts meaning "not available" (empty cells always do)
    regions: RegionMatching = RegionMatching()
    timeout_seconds: float = Field(30.0, gt=0)
    retries: int = Field(3, ge=0)
    retry_backoff_seconds: float = Field(2.0, ge=0)

    @model_validator(mode="after")
    def _one_location(self):
        if (self.path is None) == (self.url is None):
            raise ValueError(f"source '{self.name}': give exactly one of `path` or `url`")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"source '{self.name}': url must start with http:// or https://, got {redact_url(self.url)!r}")
        return self

    @property
    def location(self) -> str:
        """Where the source is, as shown in messages, the manifest and the summary (a URL
        without credentials); fetching uses ``url`` itself."""
        return redact_url(self.url) if self.url is not None else str(self.path)

    @property
    def suffix(self) -> str:
        tail = self.url.split("?")[0] if self.url is not None else str(self.path)
        return Path(tail).suffix.lower()

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        return {".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel", ".xls": "excel"}.get(self.suffix, "csv")


class TidySource(SourceBase):
    """One row per region, year, indicator. Missing columns may be fixed in config."""

    kind: Literal["tidy", "tidy_csv"]  # tidy_csv: the skeleton's name, kept working
    # contract column -> header in the file (default: the contract name itself)
    # (a `source` column, when present and no `label` is set, is kept row by row)
    columns: dict[Literal["region_id", "year", "indicator", "value", "unit", "source"], str] = {}
    indicator: str | None = None  # when the file has no indicator column
    unit: str | None = None  # when the file has no unit column


class WideYearsSource(SourceBase):
    """Regions as rows, years as columns (yearbook / CEADs emission matrix)."""

    kind: Literal["wide_years"]
    region_column: str
    indicator: str
    unit: str


class IndicatorColumn(Frozen):
    indicator: str
    unit: str


class WideIndicatorsSource(SourceBase):
    """Years as rows, indicators as columns; one region per table or a region column."""

    kind: Literal["wide_indicators"]
    year_column: str
    region: str | None = None
    region_column: str | None = None
    columns: dict[str, IndicatorColumn]

    @model_validator(mode="after")
    def _one_region(self):
        if (self.region is None) == (self.region_column is None):
            raise ValueError(f"source '{self.name}': give exactly one of `region` or `region_column`")
        return self


SourceConfig = Annotated[TidySource | WideYearsSource | WideIndicatorsSource, Field(discriminator="kind")]


class ForecastConfig(Frozen):
    n_paths: int = Field(1000, ge=100)
    horizon_year: int = HORIZON_YEAR
    seed: int = 20300101
    min_observed_years: int = Field(8, ge=3)
    # Pooling across the panel (forecasting/pooling.py): how the level and
    # damped-trend components share the paths, which horizons the panel's
    # backtests calibrate, and how many series estimate the shared parameters.
    combine: Literal["equal", "inverse_mse", "backtest"] = "equal"
    calibrate_intervals: bool = False
    backtest_horizon: int = Field(5, ge=1, le=10)
    pooling_sample: int = Field(150, ge=10)

    @field_validator("horizon_year")
    @classmethod
    def the_neutrality_horizon(cls, year: int) -> int:
        # A path still rising at the horizon is reported as ">2060" everywhere
        # (summaries, comparisons with earlier runs, charts, warnings): another
        # horizon would mislabel it, or count it before real later peaks.
        if year != HORIZON_YEAR:
            raise ValueError(
                f"only {HORIZON_YEAR} is supported (got {year}): paths still rising then are reported as "
                f">{HORIZON_YEAR} in every summary, comparison and chart"
            )
        return year

    def settings(self) -> ForecastSettings:
        return ForecastSettings(**self.model_dump())


class DaskConfig(Frozen):
    address: str | None = None
    n_workers: int = Field(2, ge=1)
    threads_per_worker: int = Field(1, ge=1)
    memory_limit: str = "4GiB"
    partitions_per_worker: int = Field(3, ge=1)
    # Upper bound on a partition (more partitions beyond workers x partitions_per_worker).
    max_series_per_partition: int = Field(250, ge=1)


class TrackingConfig(Frozen):
    uri: str | None = None
    log_threads: int = Field(1, ge=1, le=16)  # >1 only for a remote, high-latency server
    # Fan charts (child-run fan_chart.png and the report's charts) for at most this
    # many statistical series, the most at risk first; null: every series.
    max_fan_charts: int | None = Field(100, ge=0)


class WarningRule(Frozen):
    """When one series warns: ``late`` below the threshold, ``drift`` on a move."""

    p_peak_threshold: float = Field(0.5, ge=0, le=1)
    drift_years: float = Field(1.0, gt=0)  # median peak year later by at least this
    p_drop: float = Field(0.1, gt=0, le=1)  # or P(peak <= target) fell by more than this


class RuleOverride(Frozen):
    p_peak_threshold: float | None = Field(None, ge=0, le=1)
    drift_years: float | None = Field(None, gt=0)
    p_drop: float | None = Field(None, gt=0, le=1)


class NotifyConfig(Frozen):
    # Prefect notification blocks as "<block-type-slug>/<block-name>"; the
    # URL and any token live in the block, never here.
    blocks: tuple[str, ...] = ("custom-webhook/peakwatch-warnings",)
    retries: int = Field(2, ge=0)
    retry_delay_seconds: float = Field(5.0, ge=0)

    @field_validator("blocks")
    @classmethod
    def _slug_and_name(cls, blocks: tuple[str, ...]) -> tuple[str, ...]:
        for block in blocks:
            slug, _, name = block.partition("/")
            if not slug or not name:
                raise ValueError(f"block {block!r}: expected '<block-type-slug>/<block-name>'")
        return blocks


class ValidationConfig(Frozen):
    """Thresholds of the validation gate (see validation/settings.py for meanings)."""

    min_year: int = 1949
    max_year: int | None = None  # null: the current year at run time
    min_observed_years: int = Field(8, ge=2)
    max_years_behind_latest: int = Field(3, ge=0)
    max_missing_years: int = Field(0, ge=0)
    max_jump_ratio: float = Field(3.0, gt=1)
    min_carbon_intensity: float = Field(0.5, ge=0)
    max_carbon_intensity: float = Field(3.0, gt=0)
    max_child_parent_ratio: float = Field(1.0, gt=0)
    severities: dict[str, Severity] = {}
    max_batch_rows: int = Field(50_000, ge=1)

    @model_validator(mode="after")
    def _known_checks(self) -> "ValidationConfig":
        from validation.gate import check_names  # GX is heavy: import only when overrides are given

        unknown = sorted(set(self.severities) - set(check_names())) if self.severities else []
        if unknown:
            raise ValueError(f"validation.severities: unknown check(s) {unknown}; known: {sorted(check_names())}")
        schema = sorted(name for name in self.severities if name.startswith("schema."))
        if schema:  # without the contract's columns and types no other check can run
            raise ValueError(f"validation.severities: {schema} cannot be changed: a broken schema always makes the data unusable")
        if self.min_carbon_intensity >= self.max_carbon_intensity:
            raise ValueError("validation: min_carbon_intensity must be below max_carbon_intensity")
        return self

    def settings(self) -> GateSettings:
        return GateSettings(**self.model_dump())


class WarningConfig(Frozen):
    p_peak_threshold: float = Field(0.5, ge=0, le=1)
    drift_years: float = Field(1.0, gt=0)
    p_drop: float = Field(0.1, gt=0, le=1)
    scenario: str = "statistical"  # the series warned about (summary.DEFAULT_SCENARIO)
    regions: dict[str, RuleOverride] = {}
    notify: NotifyConfig = NotifyConfig()

    @field_validator("scenario")
    @classmethod
    def _statistical_only(cls, scenario: str) -> str:
        # Warnings are decided on the statistical forecast's rows; another name
        # would only relabel those numbers, not warn on that scenario's.
        if scenario != "statistical":
            raise ValueError(
                f"only 'statistical' is supported, not {scenario!r}: early warnings are decided on the "
                "statistical forecast (scenario results are not assessed); remove the key or set it to statistical"
            )
        return scenario

    def rule_for(self, region_id: str) -> WarningRule:
        """The defaults, with this region's overrides (if any) on top."""
        override = self.regions.get(region_id)
        base = self.model_dump(include={"p_peak_threshold", "drift_years", "p_drop"})
        if override:
            base.update(override.model_dump(exclude_none=True))
        return WarningRule(**base)

    def threshold_overrides(self) -> dict[str, float]:
        return {r: o.p_peak_threshold for r, o in self.regions.items() if o.p_peak_threshold is not None}


class ScheduleConfig(Frozen):
    """The Prefect deployment that runs the monthly flow by itself."""

    deployment: str = "monthly"  # full name: peakwatch-monthly/<deployment>
    cron: str = "0 6 1 * *"  # 06:00 on the 1st of each month
    timezone: str = "Asia/Shanghai"
    paused: bool = False

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        try:
            CronSim(cron, datetime.now(timezone.utc))
        except CronSimError as exc:
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from None
        return cron

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {timezone!r}") from None
        return timezone

    def local_time(self, moment: datetime | str) -> datetime:
        """``moment`` (a datetime or ISO timestamp with an offset) on the schedule's
        clock, which dates runs: the run fired at 06:00 on the 1st in Shanghai is
        still on the last day of the month before in UTC."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(ZoneInfo(self.timezone))

    def run_day(self, moment: datetime | str) -> str:
        """The day (YYYY-MM-DD) of ``moment`` on the schedule's clock."""
        return self.local_time(moment).date().isoformat()


MAX_YEARLY_CHANGE = 0.5  # a driver's yearly change, as a fraction


class DriverConfig(Frozen):
    """One driver as written; a file's drivers may be partial until inheritance
    is resolved, so what a source needs is checked after (``unused_fields``)."""

    source: Literal["statistical", "plan", "fixed"] = "statistical"
    rates: dict[int, float] = {}  # fixed: year -> yearly change (-0.04 = -4 %/yr) from that year on
    sd: float = Field(0.0, ge=0)
    noise: float = Field(0.0, ge=0)
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

    name: str
    description: str = ""
    inherits: str | None = None
    drivers: dict[DriverName, DriverConfig] = {}
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
    min: int
    mode: int
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
    id: str
    region: str
    fuel: Literal["coal", "gas", "oil", "wind", "solar", "hydro", "biomass", "nuclear"]
    action: Literal["commission", "retire"] = "commission"
    capacity_mw: float = Field(gt=0)
    year: YearLaw  # a single year is read as min = mode = max
    hours: float = Field(gt=0, le=8760)
    heat_rate_gce_per_kwh: float = Field(gt=0)
    emission_factor_tco2_per_tce: float = Field(ge=0)
    export_share: float = Field(0.0, ge=0, le=1)
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
    dir: Path
    run: tuple[str, ...] = ()
    n_draws: int = Field(1000, ge=1000)
    seed: int = 20300101
    probability: float = Field(0.8, gt=0, lt=1)
    cut_bounds: tuple[float, float] = (-0.10, 0.30)
    files: tuple[ScenarioFile, ...] = ()  # resolved, in `run` order
    events: tuple[EventConfig, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> "ScenariosConfig":
        lo, hi = self.cut_bounds
        if not -1 < lo < hi < 1:
            raise ValueError(f"cut_bounds must satisfy -1 < low < high < 1, got {list(self.cut_bounds)}")
        return self

    def settings(self, forecast: "ForecastConfig") -> ScenarioSettings:
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


class Config(Frozen):
    run_series: str = "peakwatch-monthly"
    artifacts_dir: Path
    regions: Registry
    sources: tuple[SourceConfig, ...]
    forecast: ForecastConfig = ForecastConfig()
    dask: DaskConfig = DaskConfig()
    tracking: TrackingConfig = TrackingConfig()
    warnings: WarningConfig = WarningConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    validation: ValidationConfig = ValidationConfig()
    scenarios: ScenariosConfig | None = None
    config_hash: str

    @model_validator(mode="after")
    def _distinct_sources(self):
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        ranks = [s.precedence for s in self.sources]
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"sources need distinct `precedence` values (higher wins), got {dict(zip(names, ranks))}")
        return self

    @model_validator(mode="after")
    def _gate_matches_forecast(self) -> "Config":
        # A series the gate lets through must have enough years for the model.
        if self.validation.min_observed_years < self.forecast.min_observed_years:
            raise ValueError(
                f"validation.min_observed_years ({self.validation.min_observed_years}) is below "
                f"forecast.min_observed_years ({self.forecast.min_observed_years})"
            )
        return self

    @property
    def tracking_uri(self) -> str:
        return self.tracking.uri or f"sqlite:///{(self.artifacts_dir / 'mlflow.db').resolve()}"

    @property
    def tracking_uri_redacted(self) -> str:
        """The tracking URI as printed and stored (summary.json): no user:password."""
        return redact_url(self.tracking_uri)


def describe_errors(exc: ValidationError) -> str:
    """Each error as 'field: message', without pydantic's echo of the input: the
    echoed value (often a whole source block, truncated) can hold a URL's token."""
    return "\n".join(
        f"{'.'.join(map(str, e['loc'])) or 'config'}: {redact_text(e['msg'])}" for e in exc.errors(include_url=False)
    )


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _resolve(base: Path, value: str | Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (base / path).resolve()


def _load_scenario_file(folder: Path, name: str, seen: tuple[str, ...] = ()) -> ScenarioFile:
    """Read <folder>/<name>.yaml and merge what it inherits (its drivers'
    fields override the parent's, field by field)."""
    if name in seen:
        raise ConfigError(f"{folder}: scenario inheritance loops: {' -> '.join(seen + (name,))}")
    path = folder / f"{name}.yaml"
    try:
        scenario = ScenarioFile(**_read_yaml(path))
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


def _load_scenarios(raw: dict, config_path: Path, registry: "Registry") -> tuple[ScenariosConfig, list[Path]]:
    """The `scenarios:` block of ``config_path``, the scenario files it names and events.yaml."""
    base = config_path.parent
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: `scenarios` must be a mapping")
    folder = _resolve(base, raw.get("dir", "scenarios"))
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
        events_file = _read_yaml(events_path)
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


def load_config(path: Path = DEFAULT_CONFIG) -> Config:
    """Parse the run config and the region registry it names; apply env overrides."""
    path = Path(path).resolve()
    raw = _read_yaml(path)
    base = path.parent
    registry_path = _resolve(base, raw.get("regions", "regions.yaml"))
    registry_raw = _read_yaml(registry_path)
    for source in raw.get("sources", []):
        if isinstance(source, dict) and "path" in source:
            source["path"] = _resolve(base, source["path"])
    raw["artifacts_dir"] = _resolve(base, raw.get("artifacts_dir", "../artifacts"))
    if os.environ.get("MLFLOW_TRACKING_URI"):
        raw.setdefault("tracking", {})["uri"] = os.environ["MLFLOW_TRACKING_URI"]
    if os.environ.get("PEAKWATCH_DASK_ADDRESS"):
        raw.setdefault("dask", {})["address"] = os.environ["PEAKWATCH_DASK_ADDRESS"]
    try:
        registry = Registry(**registry_raw)
    except ValidationError as exc:
        raise ConfigError(f"{registry_path}: invalid region registry:\n{exc}") from None
    hashed = [path, registry_path]
    if raw.get("scenarios") is not None:
        raw["scenarios"], scenario_files = _load_scenarios(raw["scenarios"], path, registry)
        hashed += scenario_files
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in hashed)).hexdigest()
    try:
        config = Config(**{**raw, "regions": registry, "config_hash": digest})
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration:\n{describe_errors(exc)}") from None
    unknown_parents = {r.parent for r in registry.regions if r.parent} - {r.id for r in registry.regions}
    if unknown_parents:
        raise ConfigError(f"{registry_path}: parent region(s) not in the registry: {sorted(unknown_parents)}")
    unknown_overrides = set(config.warnings.regions) - {r.id for r in registry.regions}
    if unknown_overrides:
        raise ConfigError(f"{path}: warnings.regions names region(s) not in the registry: {sorted(unknown_overrides)}")
    return config
