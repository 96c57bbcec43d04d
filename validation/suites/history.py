"""Per-series history: long enough and recent enough to forecast; gaps counted.

The derived frame has one row per region and forecast indicator:
observed years, first/last observed year, missing years inside the span, and
how far the last observed year lags the newest year of that indicator in all the data.
"""

import great_expectations as gx
import polars as pl

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite

HISTORY_SCHEMA = {
    c.REGION_ID: pl.String,
    c.INDICATOR: pl.String,
    "n_observed": pl.Int64,
    "first_year": pl.Int64,
    "last_year": pl.Int64,
    "n_missing": pl.Int64,
    "missing_years": pl.String,
    "years_behind_latest": pl.Int64,
}


def observed_rows(panel: pl.DataFrame, settings: GateSettings) -> pl.DataFrame:
    """Rows of forecast indicators with a value, a key and a sane year.

    Out-of-range years are rows.year_range's business; kept here, a year 2099
    would make every other series look stale.
    """
    return panel.filter(
        pl.col(c.INDICATOR).is_in(c.FORECAST_INDICATORS)
        & pl.col(c.VALUE).is_not_null()
        & pl.col(c.REGION_ID).is_not_null()
        & pl.col(c.YEAR).is_between(settings.min_year, settings.latest_allowed_year())
    )


def newest_years(panel: pl.DataFrame, settings: GateSettings) -> dict[str, int]:
    """The newest observed year of each forecast indicator in ``panel``."""
    rows = observed_rows(panel.select(c.REGION_ID, c.INDICATOR, c.YEAR, c.VALUE), settings)
    return dict(rows.group_by(c.INDICATOR).agg(pl.col(c.YEAR).max()).iter_rows())


def missing_years(years: list[int]) -> list[int]:
    present = set(years)
    return [y for y in range(min(years), max(years) + 1) if y not in present]


def build_frame(
    panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str], newest: dict[str, int] | None = None
) -> pl.DataFrame:
    """``newest``: the newest year of each indicator in all the data validated
    (``newest_years``), when ``panel`` is one batch of its regions; default: in ``panel``."""
    rows = observed_rows(panel, settings)
    if rows.is_empty():
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    spans = (
        rows.group_by(c.REGION_ID, c.INDICATOR)
        .agg(pl.col(c.YEAR).unique().sort().alias("years"))
        .with_columns(
            pl.col("years").list.len().cast(pl.Int64).alias("n_observed"),
            pl.col("years").list.first().alias("first_year"),
            pl.col("years").list.last().alias("last_year"),
        )
    )
    gaps = [missing_years(years) for years in spans["years"].to_list()]
    return (
        spans.with_columns(
            pl.Series("n_missing", [len(g) for g in gaps], dtype=pl.Int64),
            pl.Series("missing_years", [",".join(map(str, g)) for g in gaps], dtype=pl.String),
            (pl.col(c.INDICATOR).replace_strict(newest_years(panel, settings) if newest is None else newest)
             - pl.col("last_year")).alias("years_behind_latest"),
        )
        .select(list(HISTORY_SCHEMA))
        .cast(HISTORY_SCHEMA)
        .sort(c.REGION_ID, c.INDICATOR)
    )


def build_checks(settings: GateSettings) -> list[Check]:
    e = gx.expectations
    return [
        Check(
            "history.min_observed_years",
            e.ExpectColumnValuesToBeBetween(column="n_observed", min_value=settings.min_observed_years),
            "fail",
        ),
        Check(
            "history.recent",
            e.ExpectColumnValuesToBeBetween(column="years_behind_latest", max_value=settings.max_years_behind_latest),
            "fail",
        ),
        Check(
            "history.gaps",
            e.ExpectColumnValuesToBeBetween(column="n_missing", max_value=settings.max_missing_years),
            "warn",
        ),
    ]


SUITE = Suite("peakwatch-history", build_frame, build_checks)
