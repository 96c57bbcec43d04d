"""Tables logged as MLflow artifacts: a series' forecast and peak years, a run's
warnings and every series' peak numbers.

Each is a Polars frame; the caller decides where it is written. Text cells that
a spreadsheet would run as a formula are escaped here (``escape_formulas``).
"""

from collections.abc import Iterable

import numpy as np
import polars as pl

from forecasting.peaks import PeakStatistics, format_peak_year
from forecasting.series import FAN_QUANTILES, ForecastFan, SeriesForecast, fill_gaps
from peakwatch.results.notices import SeriesWarning
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow

OBSERVED, FILLED, FORECAST = "observed", "filled", "forecast"
# Excel / LibreOffice treat a cell starting with one of these as a formula
# (=HYPERLINK, =cmd|..., @SUM): OWASP's CSV-injection advice is a leading apostrophe.
FORMULA_START = r"^[=+\-@\t\r]"


def escape_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that starts like a formula gets a leading ``'`` so an analyst's
    spreadsheet shows it as text; numbers and other text are left as they are."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text
    )


def quantile_column(q: float) -> str:
    """0.5 -> median, 0.1 -> p10, 0.025 -> p2.5 (p10-p90 = 80 % band, p2.5-p97.5 = 95 %)."""
    return "median" if q == 0.5 else f"p{q * 100:g}"


def forecast_table(forecast: SeriesForecast) -> pl.DataFrame:
    """One row per year: history (observed or gap-filled) then the forecast quantiles.

    Columns: year, kind (observed / filled / forecast), value (history only),
    one column per fan quantile (forecast years only).
    """
    values = np.asarray(forecast.history, dtype=float)
    years = list(range(forecast.first_year, forecast.first_year + len(values)))
    observed = ~np.isnan(values)
    # Observed years keep their input values exactly (fill_gaps round-trips through logs).
    filled = np.where(observed, values, fill_gaps(values)) if observed.sum() > 1 else values
    quantiles = sorted(forecast.fan.quantiles) if forecast.fan else []
    future = list(forecast.fan.years) if forecast.fan else []
    columns: dict[str, list] = {
        "year": years + future,
        "kind": [OBSERVED if o else FILLED for o in observed] + [FORECAST] * len(future),
        "value": [float(v) if not np.isnan(v) else None for v in filled] + [None] * len(future),
    }
    for q in quantiles:
        columns[quantile_column(q)] = [None] * len(years) + list(forecast.fan.quantiles[q])
    schema = {"year": pl.Int64, "kind": pl.String, "value": pl.Float64} | {quantile_column(q): pl.Float64 for q in quantiles}
    return pl.DataFrame(columns, schema=schema)


def peak_years_table(forecast: SeriesForecast) -> pl.DataFrame | None:
    """The share of simulated paths that peak in each year (None without peak
    statistics); ``label`` reads the censoring year as ">2060"."""
    if forecast.peaks is None:
        return None
    years = sorted(forecast.peaks.peak_year_distribution)
    return pl.DataFrame(
        {
            "peak_year": years,
            "label": [format_peak_year(y) for y in years],
            "share": [forecast.peaks.peak_year_distribution[y] for y in years],
        },
        schema={"peak_year": pl.Int64, "label": pl.String, "share": pl.Float64},
    )


def _peaks_from_row(row: SeriesRow, peak_years: pl.DataFrame | None) -> PeakStatistics | None:
    if row.peak_year_median is None:
        return None
    if peak_years is not None:
        distribution = dict(zip(peak_years["peak_year"].to_list(), peak_years["share"].to_list()))
    else:  # runs before peak_years.csv kept the distribution in the row
        distribution = {int(k): v for k, v in (row.peak_year_distribution or {}).items()}
    return PeakStatistics(
        peak_year_median=row.peak_year_median,
        peak_year_p10=row.peak_year_p10,
        peak_year_p90=row.peak_year_p90,
        p_peak_by_target=row.p_peak_by_target,
        p_censored=row.p_censored,
        peak_value_median=row.peak_value,
        peak_value_p10=row.peak_value_p10,
        peak_value_p90=row.peak_value_p90,
        target_year=row.target_year,
        peak_year_distribution=distribution,
    )


def fan_from_table(table: pl.DataFrame) -> ForecastFan | None:
    """The forecast years' quantiles of a ``forecast_table`` (None without forecast years)."""
    future = table.filter(pl.col("kind") == FORECAST).sort("year")
    quantiles = {q: tuple(future[quantile_column(q)]) for q in FAN_QUANTILES if quantile_column(q) in future.columns}
    return ForecastFan(years=tuple(future["year"]), quantiles=quantiles) if len(future) else None


def forecast_from_table(
    row: SeriesRow, table: pl.DataFrame | None, peak_years: pl.DataFrame | None = None
) -> SeriesForecast:
    """The inverse of ``forecast_table`` and ``peak_years_table`` joined with the
    series' summary row: what a past run's report needs, rebuilt from its MLflow
    artifacts (no table: no chart data; no ``peak_years``: the row's distribution,
    where a run from before peak_years.csv kept it)."""
    history, fan = (), None
    if table is not None:
        past = table.filter(pl.col("kind") != FORECAST).sort("year")
        history = tuple(
            float("nan") if kind == FILLED or value is None else value
            for kind, value in zip(past["kind"], past["value"])
        )
        fan = fan_from_table(table)
    return SeriesForecast(
        region_id=row.region_id,
        indicator=row.indicator,
        unit=row.unit,
        n_observed=row.n_observed_years,
        first_year=row.first_year,
        last_observed_year=row.last_observed_year,
        filled_years=tuple(row.filled_years or ()),
        model=row.model,
        model_reason=row.model_reason or "",
        status=row.status,
        peaks=_peaks_from_row(row, peak_years),
        fan=fan,
        error=row.error,
        history=history,
    )


WARNING_COLUMNS = {
    "region_id": pl.String,
    "indicator": pl.String,
    "kind": pl.String,
    "target_year": pl.Int64,
    "p_peak_by_target": pl.Float64,
    "peak_year_median": pl.Float64,
    "message": pl.String,
}


def warnings_table(warnings: list[SeriesWarning]) -> pl.DataFrame:
    """The run's warnings; a header-only frame when none."""
    return escape_formulas(
        pl.DataFrame([{k: getattr(w, k) for k in WARNING_COLUMNS} for w in warnings], schema=WARNING_COLUMNS)
    )


SERIES_COLUMNS = {
    "region_id": pl.String,
    "name_zh": pl.String,
    "name_en": pl.String,
    "indicator": pl.String,
    "unit": pl.String,
    "status": pl.String,
    "model": pl.String,
    "last_observed_year": pl.Int64,
    "target_year": pl.Int64,
    "peak_year_median": pl.Float64,
    "peak_year_p10": pl.Float64,
    "peak_year_p90": pl.Float64,
    "p_peak_by_target": pl.Float64,
    "p_censored": pl.Float64,
    "peak_value": pl.Float64,
    "peak_value_p10": pl.Float64,
    "peak_value_p90": pl.Float64,
    "error": pl.String,
}


def series_table(rows: Iterable[SeriesRow]) -> pl.DataFrame:
    """Every statistical series' peak numbers, one row each (the parent run's
    series.csv: the numbers of the series that have no child run too)."""
    records = (
        {k: getattr(row, k) for k in SERIES_COLUMNS}
        for row in rows
        if (row.scenario or DEFAULT_SCENARIO) == DEFAULT_SCENARIO
    )
    return escape_formulas(pl.DataFrame(records, schema=SERIES_COLUMNS))
