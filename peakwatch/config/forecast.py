"""The forecast engine's settings."""

from pydantic import Field, field_validator

from forecasting.peaks import HORIZON_YEAR
from forecasting.pooling import Combine
from forecasting.series import ForecastSettings
from peakwatch.config.base import Frozen


class ForecastConfig(Frozen):
    # Simulated paths per series (at least 100).
    n_paths: int = Field(1000, ge=100)
    # The last simulated year (2060, the carbon-neutrality year; the only one accepted).
    horizon_year: int = HORIZON_YEAR
    # Random seed of the simulation (same seed, same numbers).
    seed: int = 20300101
    # Fewer observed years: the series is not forecast (reported as an error).
    min_observed_years: int = Field(8, ge=3)
    # Pooling across the panel (forecasting/pooling.py): how the level and
    # damped-trend components share the paths, whether the panel's backtests
    # set each horizon's band width, the horizons whose errors choose the
    # damping, and how many series estimate the shared parameters.
    # below_max: the level model's share is the panel's share of series below
    # their earlier maximum (how common "growth has stopped" is now); equal:
    # half and half; inverse_mse: each series' recent one-step errors;
    # backtest: the panel's CRPS-best share.
    combine: Combine = "below_max"
    # True: each horizon's band width from the panel's backtests.
    calibrate_intervals: bool = False
    # Horizons whose out-of-sample errors choose the damping (and calibrate, when on).
    backtest_horizon: int = Field(5, ge=1, le=10)
    # Series (chosen by name) that estimate the parameters shared across the panel.
    pooling_sample: int = Field(150, ge=10)
    # Every run scores itself on its own panel (the report's "How far to trust
    # today's P"), cut this many years before the panel's last year. An empty
    # list turns the check off.
    calibration_windows: tuple[int, ...] = (5, 7)
    # At most this many series per cut of that check.
    calibration_max_series: int = Field(300, ge=1)

    @field_validator("calibration_windows")
    @classmethod
    def positive_windows(cls, windows: tuple[int, ...]) -> tuple[int, ...]:
        if any(k < 1 for k in windows):
            raise ValueError(f"every window must be at least 1 year (got {list(windows)})")
        return windows

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
        return ForecastSettings(**self.model_dump(exclude={"calibration_windows", "calibration_max_series"}))
