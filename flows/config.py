"""Configuration: YAML parsed once, at the flow boundary, into frozen objects.

Lower layers receive only their slice (``ForecastSettings``, a target-year map),
never a raw dict or a path. Environment variables are read when the config is
loaded at run time, never at import.
"""

import hashlib
import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecasting.models import CANDIDATES
from forecasting.series import ForecastSettings
from validation.settings import GateSettings, Severity

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "peakwatch.yaml"


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Plan(Frozen):
    seed: str
    title: str
    scope: Literal["energy_sector", "whole_economy"]
    peak_target_year: int
    non_fossil_share: dict[int, float] | None = None
    energy_intensity_cut: dict | None = None
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

    def parents(self) -> dict[str, str]:
        """child region id -> parent region id, for the gate's hierarchy check."""
        return {r.id: r.parent for r in self.regions if r.parent}


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
            raise ValueError(f"source '{self.name}': url must start with http:// or https://, got {self.url!r}")
        return self

    @property
    def location(self) -> str:
        return self.url if self.url is not None else str(self.path)

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
    horizon_year: int = 2060
    seed: int = 20300101
    min_observed_years: int = Field(8, ge=3)
    # Model choice by rolling-origin backtests (forecasting/backtest.py).
    backtest_origins: int = Field(3, ge=0, le=10)
    backtest_horizon: int = Field(5, ge=1, le=10)
    backtest_paths: int = Field(200, ge=50)
    min_train_years: int = Field(8, ge=5)
    candidates: tuple[str, ...] | None = None

    @field_validator("candidates")
    @classmethod
    def known_candidates(cls, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        known = [cand.name for cand in CANDIDATES]
        unknown = [n for n in names or () if n not in known]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; choose from {known}")
        return names

    def settings(self) -> ForecastSettings:
        return ForecastSettings(**self.model_dump())


class DaskConfig(Frozen):
    address: str | None = None
    n_workers: int = Field(2, ge=1)
    threads_per_worker: int = Field(1, ge=1)
    memory_limit: str = "4GiB"
    partitions_per_worker: int = Field(3, ge=1)


class TrackingConfig(Frozen):
    uri: str | None = None


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

    @model_validator(mode="after")
    def _known_checks(self) -> "ValidationConfig":
        from validation.gate import check_names  # GX is heavy: import only when overrides are given

        unknown = sorted(set(self.severities) - set(check_names())) if self.severities else []
        if unknown:
            raise ValueError(f"validation.severities: unknown check(s) {unknown}; known: {sorted(check_names())}")
        if self.min_carbon_intensity >= self.max_carbon_intensity:
            raise ValueError("validation: min_carbon_intensity must be below max_carbon_intensity")
        return self

    def settings(self) -> GateSettings:
        return GateSettings(**self.model_dump())


class WarningConfig(Frozen):
    p_peak_threshold: float = Field(0.5, ge=0, le=1)


class Config(Frozen):
    run_series: str = "peakwatch-monthly"
    artifacts_dir: Path
    regions: Registry
    sources: tuple[SourceConfig, ...]
    forecast: ForecastConfig = ForecastConfig()
    dask: DaskConfig = DaskConfig()
    tracking: TrackingConfig = TrackingConfig()
    warnings: WarningConfig = WarningConfig()
    validation: ValidationConfig = ValidationConfig()
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
    digest = hashlib.sha256(path.read_bytes() + registry_path.read_bytes()).hexdigest()
    try:
        registry = Registry(**registry_raw)
        config = Config(**{**raw, "regions": registry, "config_hash": digest})
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration:\n{exc}") from None
    unknown_parents = {r.parent for r in registry.regions if r.parent} - {r.id for r in registry.regions}
    if unknown_parents:
        raise ConfigError(f"{registry_path}: parent region(s) not in the registry: {sorted(unknown_parents)}")
    return config
