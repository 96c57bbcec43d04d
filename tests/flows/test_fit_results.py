"""FitResults (flows/fit.py): partitions in, the payload's rows, records
and histories out, the same whatever the partitioning and arrival order."""

from collections import Counter

import numpy as np
import pytest

from flows.fit import FitResults
from forecasting.intensity import check_regions
from forecasting.series import ForecastSettings, SeriesInput, forecast_series
from peakwatch import contract as c
from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.results.rows import series_row
from peakwatch.store import pending, series as series_files
from peakwatch.tracking import layout as tracking

REGIONS = ("hunan.yueyang", "hunan.zhuzhou", "hunan.hengyang.leiyang")


@pytest.fixture(scope="module")
def registry():
    """The region names the rows carry."""
    return load_config(DEFAULT_CONFIG).regions.names()


@pytest.fixture(scope="module")
def forecasts():
    """Energy and CO2 of three regions, by region and indicator (as the fit stage sorts its input)."""
    years = np.arange(2005, 2024)
    made = []
    for i, region in enumerate(REGIONS):
        energy = 20 * 1.03 ** np.arange(len(years))
        co2 = energy * (2.2 - 0.01 * i * np.arange(len(years)) / len(years))
        for indicator, unit, values in ((c.CO2, "MtCO2", co2), (c.ENERGY, "Mtce", energy)):
            made.append(forecast_series(SeriesInput(region, indicator, unit, years, values, 2030), ForecastSettings(n_paths=100)))
    return sorted(made, key=lambda f: (f.region_id, f.indicator))


def counts(forecasts):
    return Counter(f.region_id for f in forecasts)


def test_rows_records_and_histories_do_not_depend_on_partitions_or_arrival(forecasts, registry, tmp_path):
    intensity = check_regions(forecasts)
    expected_rows = [series_row(f, registry, intensity.get(f.region_id)) for f in forecasts]
    assert sum(row.carbon_intensity_end is not None for row in expected_rows) == len(forecasts)  # every region checked

    results = FitResults(tmp_path, registry, counts(forecasts), {"run_date": "2026-11-24"})
    # three partitions, each ending between a region's two series, arriving last first
    for part in (forecasts[5:], forecasts[3:5], forecasts[:3]):
        results.add(part)
    assert results.rows() == expected_rows
    histories = results.histories()
    assert list(histories) == sorted((f.region_id, f.indicator) for f in forecasts)
    for forecast in forecasts:  # NaN where a year is missing
        np.testing.assert_array_equal(histories[forecast.region_id, forecast.indicator], forecast.history)

    records = list(pending._read_records(tmp_path / pending.CHILDREN_JSONL))
    assert sorted(tracking.record_key(r) for r in records) == [(f.region_id, f.indicator, "statistical") for f in forecasts]
    for record in records:
        assert record.tags["run_date"] == "2026-11-24"
        assert (tmp_path / record.artifacts / series_files.FORECAST_CSV).exists()


def test_a_region_still_missing_a_series_is_an_error_not_a_row_short(forecasts, registry, tmp_path):
    results = FitResults(tmp_path, registry, counts(forecasts), {})
    results.add(forecasts[:3])  # yueyang's energy is not in
    with pytest.raises(RuntimeError, match=r"1 region\(s\): \['hunan.yueyang'\]"):
        results.rows()


def test_a_row_says_how_the_panel_was_pooled_and_what_the_series_filters_gave(forecasts, registry, tmp_path):
    """The engine's reason (the panel's pooled parameters) and detail (the
    series' own states) go to its row; the per-series backtest table is gone
    with the per-series model choice."""
    results = FitResults(tmp_path, registry, counts(forecasts[:2]), {})
    results.add(forecasts[:2])
    for forecast, row in zip(forecasts[:2], results.rows()):
        assert row.model_reason == forecast.model_reason and row.model_reason.startswith("pooled over")
        assert "damped trend growth" in row.model_detail and row.backtest is None
