"""Year-on-year jumps between consecutive observations of a series.

A warning, not a failure: plants open and close. A x10 000 unit slip shows up
as a ratio of 1e4 (or 1e-4) and is flagged with the offending pair of years.
"""

import great_expectations as gx
import polars as pl

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite

# Extensive quantities; a share may legitimately move from 1 % to 5 %.
JUMP_INDICATORS = (c.ENERGY, c.CO2, c.GDP, c.POPULATION)


def build_frame(panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str]) -> pl.DataFrame:
    # Non-positive values are the non-negative check's business, not a jump.
    rows = panel.filter(
        pl.col(c.INDICATOR).is_in(JUMP_INDICATORS) & (pl.col(c.VALUE) > 0) & pl.col(c.YEAR).is_not_null()
    ).unique([c.REGION_ID, c.INDICATOR, c.YEAR], keep="first")
    return (
        rows.sort(c.REGION_ID, c.INDICATOR, c.YEAR)
        .with_columns(
            pl.col(c.YEAR).shift(1).over(c.REGION_ID, c.INDICATOR).alias("previous_year"),
            pl.col(c.VALUE).shift(1).over(c.REGION_ID, c.INDICATOR).alias("previous_value"),
        )
        .filter(pl.col("previous_value").is_not_null())
        .with_columns((pl.col(c.VALUE) / pl.col("previous_value")).alias("ratio"))
        .select(c.REGION_ID, c.INDICATOR, "previous_year", c.YEAR, "previous_value", c.VALUE, c.UNIT, "ratio")
    )


def build_checks(settings: GateSettings) -> list[Check]:
    bound = settings.max_jump_ratio
    return [
        Check(
            "jumps.year_on_year",
            gx.expectations.ExpectColumnValuesToBeBetween(column="ratio", min_value=1 / bound, max_value=bound),
            "warn",
        )
    ]


SUITE = Suite("peakwatch-jumps", build_frame, build_checks)
