"""A series' files in a payload (and in its child run): the forecast and
peak-year tables, the fan chart and the damped-trend component's model.
The names are the same in every run and every child run."""

from pathlib import Path

import polars as pl

from forecasting.series import SeriesForecast
from peakwatch.results import tables
from peakwatch.results.series import SeriesRow

FORECAST_CSV = "forecast.csv"
FAN_CHART_PNG = "fan_chart.png"
PEAK_YEARS_CSV = "peak_years.csv"
MODEL_ARTIFACT = "model"  # the damped-trend component (mlflow.statsmodels)


def write_series_tables(forecast: SeriesForecast, folder: Path) -> None:
    """forecast.csv and (with peak statistics) peak_years.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tables.forecast_table(forecast).write_csv(folder / FORECAST_CSV)
    if (table := tables.peak_years_table(forecast)) is not None:
        table.write_csv(folder / PEAK_YEARS_CSV)


def read_series_forecast(row: SeriesRow, folder: Path) -> SeriesForecast:
    """A series' forecast rebuilt from its summary row and the tables that
    ``write_series_tables`` wrote in ``folder``: what its fan chart draws."""
    peak_years = folder / PEAK_YEARS_CSV
    return tables.forecast_from_table(
        row, pl.read_csv(folder / FORECAST_CSV), pl.read_csv(peak_years) if peak_years.exists() else None
    )


def has_forecast_table(folder: Path) -> bool:
    return (folder / FORECAST_CSV).exists()
