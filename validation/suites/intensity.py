"""Cross-series: implied carbon intensity of energy, MtCO2 per Mtce.

Burning coal emits about 2.66-2.77 tCO2 per tce and coal is the most carbon-
intense common fuel, so a whole region cannot sit far above that; far below
(e.g. 0.03) means a unit slip in one of the two series.
"""

import great_expectations as gx
import polars as pl

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite


def build_frame(panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str]) -> pl.DataFrame:
    def series(indicator: str, name: str) -> pl.DataFrame:
        return (
            panel.filter((pl.col(c.INDICATOR) == indicator) & (pl.col(c.VALUE) > 0))
            .unique([c.REGION_ID, c.YEAR], keep="first")
            .select(c.REGION_ID, c.YEAR, pl.col(c.VALUE).alias(name))
        )

    return (
        series(c.CO2, "co2_mt")
        .join(series(c.ENERGY, "energy_mtce"), on=[c.REGION_ID, c.YEAR], how="inner")
        .with_columns((pl.col("co2_mt") / pl.col("energy_mtce")).alias("tco2_per_tce"))
        .sort(c.REGION_ID, c.YEAR)
    )


def build_checks(settings: GateSettings) -> list[Check]:
    return [
        Check(
            "cross.carbon_intensity",
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="tco2_per_tce",
                min_value=settings.min_carbon_intensity,
                max_value=settings.max_carbon_intensity,
            ),
            "fail",
        )
    ]


SUITE = Suite("peakwatch-intensity", build_frame, build_checks)
