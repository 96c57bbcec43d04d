"""A series' files in a payload (and in its child run): the forecast and
peak-year tables, the backtest table, the fan chart and the chosen model.
The names are the same in every run and every child run."""

from pathlib import Path

import polars as pl

from forecasting.series import SeriesForecast
from peakwatch.results import tables
from peakwatch.results.series import SeriesRow

FORECAST_CSV = "forecast.csv"
FAN_CHART_PNG = "fan_chart.png"
BACKTEST_CSV = "backtest.csv"
PEAK_YEARS_CSV = "peak_years.csv"
MODEL_ARTIFACT = "model"  # the chosen statsmodels model (mlflow.statsmodels)


def write_series_tables(forecast: SeriesForecast, folder: Path) -> None:
    """forecast.csv, peak_years.csv (with peak statistics) and (when the forecast
    has one) backtest.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tables.forecast_table(forecast).write_csv(folder / FORECAST_CSV)
    for table, name in ((tables.peak_years_table(forecast), PEAK_YEARS_CSV), (tables.backtest_table(forecast), BACKTEST_CSV)):
        if table is not None:
            table.write_csv(folder / name)


def read_series_forecast(row: SeriesRow, folder: Path) -> SeriesForecast:
    """A series' forecast rebuilt from its summary row and the tables that
    ``write_series_tables`` wrote in ``folder``: what its fan chart draws."""
    peak_years = folder / PEAK_YEARS_CSV
    return tables.forecast_from_table(
        row, pl.read_csv(folder / FORECAST_CSV), pl.read_csv(peak_years) if peak_years.exists() else None
    )


def has_forecast_table(folder: Path) -> bool:
    return (folder / FORECAST_CSV).exists()
