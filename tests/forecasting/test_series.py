import numpy as np
import polars as pl
import pytest

from peakwatch import contract as c
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


def test_split_series_places_values_and_drivers_on_the_series_years():
    def rows(region, indicator, values):
        return [(region, year, indicator, value, c.UNITS[indicator], "test") for year, value in values.items()]

    table = [
        *rows("b", c.CO2, {2003: 3.0, 2001: 1.0}),  # unsorted, 2002 missing
        *rows("b", c.GDP, {1999: 9.0, 2002: 2.0, 2004: 4.0}),  # one year before, one after the series
        *rows("a", c.ENERGY, {2010: 5.0, 2011: 6.0}),
        *rows("a", c.POPULATION, {2011: 7.0}),
        *rows("a", c.CO2, {2010: None}),  # no value: no series
    ]
    panel = pl.DataFrame(table, schema=[c.REGION_ID, c.YEAR, c.INDICATOR, c.VALUE, c.UNIT, c.SOURCE], orient="row")
    found = split_series(panel, {"b": 2035})
    assert [(s.region_id, s.indicator, s.unit, s.target_year) for s in found] == [
        ("a", c.ENERGY, c.UNITS[c.ENERGY], 2030),
        ("b", c.CO2, c.UNITS[c.CO2], 2035),
    ]
    energy, co2 = found
    assert energy.years.tolist() == [2010, 2011] and energy.values.tolist() == [5.0, 6.0]
    assert set(energy.drivers) == {c.POPULATION}
    np.testing.assert_array_equal(energy.drivers[c.POPULATION], [np.nan, 7.0])
    assert co2.years.tolist() == [2001, 2002, 2003]
    np.testing.assert_array_equal(co2.values, [1.0, np.nan, 3.0])
    assert set(co2.drivers) == {c.GDP}
    np.testing.assert_array_equal(co2.drivers[c.GDP], [np.nan, 2.0, np.nan])


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
