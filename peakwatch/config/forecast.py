"""The forecast engine's settings."""

from pydantic import Field, field_validator

from forecasting.models import CANDIDATES
from forecasting.peaks import HORIZON_YEAR
from forecasting.series import ForecastSettings
from peakwatch.config.base import Frozen


class ForecastConfig(Frozen):
    n_paths: int = Field(1000, ge=100)
    horizon_year: int = HORIZON_YEAR
    seed: int = 20300101
    min_observed_years: int = Field(8, ge=3)
    # Model choice by rolling-origin backtests (forecasting/backtest.py).
    backtest_origins: int = Field(3, ge=0, le=10)
    backtest_horizon: int = Field(5, ge=1, le=10)
    backtest_paths: int = Field(200, ge=50)
    min_train_years: int = Field(8, ge=5)
    candidates: tuple[str, ...] | None = None

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
