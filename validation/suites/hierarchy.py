"""Cross-series: a child region is not larger than its parent (same indicator, year).

Parents come from the region registry. The child is blamed (its row is the
offending one, the parent's value is shown beside it): a county total above
its city's is most often a county unit slip or a boundary mix-up.
"""

import great_expectations as gx
import polars as pl

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite

# Additive quantities only; a share or an intensity may exceed its parent's.
ADDITIVE = (c.ENERGY, c.CO2, c.GDP, c.POPULATION)
SCHEMA = {
    c.REGION_ID: pl.String,
    "parent_id": pl.String,
    c.INDICATOR: pl.String,
    c.YEAR: pl.Int64,
    "child_value": pl.Float64,
    "parent_value": pl.Float64,
    "child_parent_ratio": pl.Float64,
}


def _additive_rows(panel: pl.DataFrame) -> pl.DataFrame:
    return (
        panel.filter(pl.col(c.INDICATOR).is_in(ADDITIVE) & pl.col(c.VALUE).is_not_null())
        .unique([c.REGION_ID, c.INDICATOR, c.YEAR], keep="first")
        .select(c.REGION_ID, c.INDICATOR, c.YEAR, c.VALUE)
    )


def build_frame(
    panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str], everything: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The child regions' rows in ``panel`` beside their parents' rows in
    ``everything`` (all the data validated, when ``panel`` is one batch of its
    regions; default: ``panel``)."""
    if not parents:
        return pl.DataFrame(schema=SCHEMA)
    links = pl.DataFrame({c.REGION_ID: list(parents), "parent_id": list(parents.values())}, schema={c.REGION_ID: pl.String, "parent_id": pl.String})
    rows = _additive_rows(panel)
    everything = panel if everything is None else everything
    parent_ids = sorted(set(parents.values()))
    parent_rows = _additive_rows(everything.filter(pl.col(c.REGION_ID).is_in(parent_ids)))
    parent_rows = parent_rows.rename({c.REGION_ID: "parent_id", c.VALUE: "parent_value"})
    return (
        rows.rename({c.VALUE: "child_value"})
        .join(links, on=c.REGION_ID, how="inner")
        .join(parent_rows, on=["parent_id", c.INDICATOR, c.YEAR], how="inner")
        .filter(pl.col("parent_value") > 0)
        .with_columns((pl.col("child_value") / pl.col("parent_value")).alias("child_parent_ratio"))
        .select(list(SCHEMA))
        .cast(SCHEMA)
        .sort(c.REGION_ID, c.INDICATOR, c.YEAR)
    )


def build_checks(settings: GateSettings) -> list[Check]:
    return [
        Check(
            "cross.child_within_parent",
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="child_parent_ratio", max_value=settings.max_child_parent_ratio
            ),
            "fail",
        )
    ]


SUITE = Suite("peakwatch-hierarchy", build_frame, build_checks)
