"""Read the CEADs city emission inventory (Shan et al. 2022) into the data contract.

Sheet ``emission matrix``: one row per city (``city`` = province + city name in
Chinese), one column per year, Mt CO2, empty cells = not available. Cities
become region ids ``ceads.<city>``.
"""

from pathlib import Path

import polars as pl

from peakwatch import contract as c

SHEET = "emission matrix"
CITY_COLUMN = "city"
REGION_PREFIX = "ceads."
SOURCE_TAG = "CEADs city inventories 1997-2019 (Shan et al. 2022, doi:10.1016/j.scib.2022.08.024)"


class CeadsError(ValueError):
    """The CEADs workbook is missing or not in the expected shape."""


def read_ceads_emissions(path: Path) -> pl.DataFrame:
    """The workbook's emission matrix as a tidy contract frame (co2_emissions, MtCO2)."""
    path = Path(path)
    if not path.is_file():
        raise CeadsError(f"CEADs workbook not found: {path}")
    try:
        wide = pl.read_excel(path, sheet_name=SHEET)
    except Exception as exc:  # fastexcel raises its own types for missing sheets and bad files
        raise CeadsError(f"{path}: cannot read sheet '{SHEET}': {exc}") from None
    if CITY_COLUMN not in wide.columns:
        raise CeadsError(f"{path}, sheet '{SHEET}': no '{CITY_COLUMN}' column; found {wide.columns[:5]}...")
    year_columns = [col for col in wide.columns if col.strip().isdigit()]
    if not year_columns:
        raise CeadsError(f"{path}, sheet '{SHEET}': no year columns")
    long = (
        wide.select([CITY_COLUMN, *year_columns])
        .with_columns(pl.col(year_columns).cast(pl.Float64, strict=False))
        .unpivot(index=CITY_COLUMN, variable_name=c.YEAR, value_name=c.VALUE)
        .filter(pl.col(c.VALUE).is_not_null() & pl.col(CITY_COLUMN).is_not_null())
    )
    return long.select(
        (REGION_PREFIX + pl.col(CITY_COLUMN).str.strip_chars()).alias(c.REGION_ID),
        pl.col(c.YEAR).str.strip_chars().cast(pl.Int64),
        pl.lit(c.CO2).alias(c.INDICATOR),
        pl.col(c.VALUE),
        pl.lit(c.UNITS[c.CO2]).alias(c.UNIT),
        pl.lit(SOURCE_TAG).alias(c.SOURCE),
    ).pipe(c.conform).sort([c.REGION_ID, c.YEAR])
