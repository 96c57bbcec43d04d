"""Configuration, one model per concern: YAML parsed once, at the flow
boundary, into frozen objects (``load_config``).

Lower layers receive only their slice (``ForecastSettings``, a target-year
map, a threshold), never a raw dict or a path. Environment overrides
(``env.EnvOverrides``) are read when the config is loaded, never at import.
"""

from peakwatch.config.base import ConfigError, Frozen
from peakwatch.config.dask import DaskConfig
from peakwatch.config.forecast import ForecastConfig
from peakwatch.config.load import DEFAULT_CONFIG, PROJECT_ROOT, Config, describe_errors, load_config
from peakwatch.config.regions import IntensityCut, Plan, Region, Registry
from peakwatch.config.scenarios import DriverConfig, EventConfig, ScenarioFile, ScenariosConfig, YearLaw
from peakwatch.config.schedule import ScheduleConfig
from peakwatch.config.sources import (
    IndicatorColumn,
    RegionMatching,
    SourceConfig,
    TidySource,
    WideIndicatorsSource,
    WideYearsSource,
)
from peakwatch.config.tracking import TrackingConfig
from peakwatch.config.validation import ValidationConfig
from peakwatch.config.warnings import NotifyConfig, RuleOverride, WarningConfig, WarningRule

__all__ = [
    "Config", "ConfigError", "DEFAULT_CONFIG", "DaskConfig", "DriverConfig", "EventConfig", "ForecastConfig",
    "Frozen", "IndicatorColumn", "IntensityCut", "NotifyConfig", "PROJECT_ROOT", "Plan", "Region", "RegionMatching",
    "Registry", "RuleOverride", "ScenarioFile", "ScenariosConfig", "ScheduleConfig", "SourceConfig", "TidySource",
    "TrackingConfig", "ValidationConfig", "WarningConfig", "WarningRule", "WideIndicatorsSource", "WideYearsSource",
    "YearLaw", "describe_errors", "load_config",
]
