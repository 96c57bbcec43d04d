"""The whole run config: YAML parsed once, at the flow boundary, into frozen objects."""

import hashlib
from pathlib import Path

from pydantic import ValidationError, model_validator

from peakwatch.config.base import ConfigError, Frozen, read_yaml, resolve_path
from peakwatch.config.dask import DaskConfig
from peakwatch.config.env import EnvOverrides
from peakwatch.config.forecast import ForecastConfig
from peakwatch.config.regions import Registry
from peakwatch.config.scenarios import ScenariosConfig, load_scenarios
from peakwatch.config.schedule import ScheduleConfig
from peakwatch.config.sources import SourceConfig
from peakwatch.config.tracking import TrackingConfig
from peakwatch.config.validation import ValidationConfig
from peakwatch.config.warnings import WarningConfig
from peakwatch.redact import redact_text, redact_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "peakwatch.yaml"


class Config(Frozen):
    # MLflow experiment name (one per run series; runs compare within it).
    run_series: str = "peakwatch-monthly"
    # Where runs write (MLflow store, run folders, pending payloads); relative to the config file.
    artifacts_dir: Path
    # The region registry: a YAML file (path relative to the config) listing regions and their plans.
    regions: Registry
    # Where the yearly data comes from: a list of sources (tidy, wide_years, wide_indicators), merged by precedence.
    sources: tuple[SourceConfig, ...]
    # The forecast engine's settings (docs/engine.md).
    forecast: ForecastConfig = ForecastConfig()
    # The Dask cluster that fits the series: local processes, or an existing scheduler.
    dask: DaskConfig = DaskConfig()
    # The MLflow store and what a run logs to it.
    tracking: TrackingConfig = TrackingConfig()
    # Early-warning rules and their delivery.
    warnings: WarningConfig = WarningConfig()
    # The monthly Prefect deployment (`peakwatch serve`).
    schedule: ScheduleConfig = ScheduleConfig()
    # The Great Expectations gate before the fit.
    validation: ValidationConfig = ValidationConfig()
    # Policy scenarios run beside the statistical forecast; null: none.
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

    def watched_regions(self) -> tuple[str, ...]:
        """The regions whose series the parent run shows as metrics (``tracking.watch``,
        default: the registry's regions with a plan target, in registry order)."""
        if self.tracking.watch is not None:
            return self.tracking.watch
        return tuple(r.id for r in self.regions.regions if r.target_year is not None)

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


def load_config(path: Path = DEFAULT_CONFIG) -> Config:
    """Parse the run config and the region registry it names; apply env overrides."""
    path = Path(path).resolve()
    raw = read_yaml(path)
    base = path.parent
    registry_path = resolve_path(base, raw.get("regions", "regions.yaml"))
    registry_raw = read_yaml(registry_path)
    for source in raw.get("sources", []):
        if isinstance(source, dict) and "path" in source:
            source["path"] = resolve_path(base, source["path"])
    raw["artifacts_dir"] = resolve_path(base, raw.get("artifacts_dir", "../artifacts"))
    EnvOverrides().apply(raw)
    try:
        registry = Registry(**registry_raw)
    except ValidationError as exc:
        raise ConfigError(f"{registry_path}: invalid region registry:\n{exc}") from None
    hashed = [path, registry_path]
    if raw.get("scenarios") is not None:
        raw["scenarios"], scenario_files = load_scenarios(raw["scenarios"], path, registry)
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
