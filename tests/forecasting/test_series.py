import numpy as np
import polars as pl
import pytest

from forecasting import contract as c
from forecasting.series import (
    ForecastSettings,
    fill_gaps,
    forecast_partition,
    forecast_series,
    partition,
    split_series,
)
from forecasting.synthetic import simulate_panel

SETTINGS = ForecastSettings(n_paths=1000, seed=7)


@pytest.fixture(scope="module")
def series():
    return split_series(simulate_panel(), {"hunan.zhuzhou": 2030})


def test_split_series_gives_one_series_per_region_and_forecast_indicator(series):
    assert len(series) == 5 * 2
    assert {s.indicator for s in series} == set(c.FORECAST_INDICATORS)
    assert all(len(s.years) == 19 and s.years[0] == 2005 for s in series)


def test_gaps_become_nan_and_are_reported_as_filled():
    panel = simulate_panel().filter(~((pl.col(c.YEAR) == 2012) & (pl.col(c.REGION_ID) == "hunan.yueyang")))
    yueyang = [s for s in split_series(panel, {}) if s.region_id == "hunan.yueyang"]
    assert all(np.isnan(s.values[2012 - 2005]) for s in yueyang)
    result = forecast_series(yueyang[0], SETTINGS)
    assert result.filled_years == (2012,)
    assert result.n_observed == 18


def test_fill_gaps_interpolates_log_linearly():
    filled = fill_gaps(np.array([1.0, np.nan, 4.0]))
    assert filled[1] == pytest.approx(2.0)


def test_same_seed_same_numbers_and_partitioning_does_not_matter(series):
    whole = forecast_partition(series, SETTINGS)
    split = [f for part in partition(series, 4) for f in forecast_partition(part, SETTINGS)]
    assert [f.peaks for f in whole] == [f.peaks for f in split]
    assert whole[0].peaks.p_peak_by_target == forecast_series(series[0], SETTINGS).peaks.p_peak_by_target


def test_too_short_series_is_reported_not_raised(series):
    short = series[0]
    short = type(short)(**{**short.__dict__, "years": short.years[:4], "values": short.values[:4]})
    result = forecast_partition([short], SETTINGS)[0]
    assert not result.ok
    assert "observed years" in result.error


def test_partition_covers_every_item_once():
    items = list(range(11))
    parts = partition(items, 3)
    assert len(parts) == 3 and sum(parts, []) == items
    assert partition(items[:2], 6) == [[0], [1]]
