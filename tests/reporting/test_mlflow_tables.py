"""Artifact tables and the fan chart of one series (pure flow-layer helpers)."""

import gc
import io

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure

from forecasting.series import ForecastSettings, SeriesForecast, SeriesInput, forecast_series
from peakwatch.reporting import charts as plots
from peakwatch.results import tables
from peakwatch.results.notices import SeriesWarning


@pytest.fixture(scope="module")
def forecast() -> SeriesForecast:
    years = np.arange(2005, 2024)
    values = 10 * 1.03 ** np.arange(len(years))
    values[[3, 4]] = np.nan  # 2008 and 2009 missing
    series = SeriesInput("hunan.test", "co2_emissions", "MtCO2", years, values, 2030)
    return forecast_series(series, ForecastSettings(n_paths=200))


def test_forecast_table_marks_observed_filled_and_forecast_years(forecast):
    table = tables.forecast_table(forecast)
    assert table.columns == ["year", "kind", "value", "p2.5", "p10", "median", "p90", "p97.5"]
    assert table["year"].to_list() == list(range(2005, 2061))
    kinds = dict(zip(table["year"], table["kind"]))
    assert kinds[2005] == "observed" and kinds[2008] == "filled" and kinds[2009] == "filled"
    assert kinds[2023] == "observed" and kinds[2024] == "forecast" and kinds[2060] == "forecast"
    history = table.filter(pl.col("kind") != "forecast")
    assert history["value"].null_count() == 0 and history["median"].null_count() == len(history)
    # The filled years sit between their observed neighbours; observed values are the input.
    by_year = dict(zip(table["year"], table["value"]))
    assert by_year[2007] < by_year[2008] < by_year[2009] < by_year[2010]
    assert by_year[2005] == pytest.approx(10.0)
    future = table.filter(pl.col("kind") == "forecast")
    assert future["value"].null_count() == len(future)
    assert (future["p2.5"] <= future["p10"]).all() and (future["p10"] <= future["median"]).all()
    assert (future["median"] <= future["p90"]).all() and (future["p90"] <= future["p97.5"]).all()
    assert future["median"].to_list() == list(forecast.fan.quantiles[0.5])


def test_warnings_table_has_a_header_even_when_empty():
    assert tables.warnings_table([]).columns == list(tables.WARNING_COLUMNS)
    row = {"region_id": "r", "indicator": "co2_emissions", "kind": "late", "message": "m",
           "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "target_year": 2030}
    assert tables.warnings_table([SeriesWarning(**row)]).to_dicts() == [{k: row[k] for k in tables.WARNING_COLUMNS}]


def test_fan_chart_is_a_png(forecast, tmp_path):
    path = plots.plot_fan_chart(forecast, tmp_path / "fan.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000  # two drawn panels, not an empty canvas


@pytest.fixture
def no_automatic_collection():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def figures() -> list[Figure]:
    return [o for o in gc.get_objects() if isinstance(o, Figure)]


def test_a_fan_chart_leaves_no_figure_behind(forecast, no_automatic_collection):
    """A figure is cyclic garbage: left to the collector, a 10 000-series run held
    dozens of them at its peak."""
    assert figures() == []
    plots.plot_fan_chart(forecast, io.BytesIO())
    assert figures() == []
    assert gc.get_freeze_count() == 0  # what the chart froze is back in the collector's care


def test_a_fan_chart_keeps_objects_frozen_by_someone_else_frozen(forecast, no_automatic_collection):
    gc.freeze()
    try:
        plots.plot_fan_chart(forecast, io.BytesIO())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_fan_chart_of_a_failed_series_still_renders(tmp_path):
    failed = SeriesForecast("r", "energy_consumption", "Mtce", 3, 2020, 2022, (), history=(1.0, 1.1, 1.2),
                            error="only 3 observed years, need 8")
    assert plots.plot_fan_chart(failed, tmp_path / "fan.png").read_bytes()[:4] == b"\x89PNG"
