"""Schema and types of the data contract. A failure here makes the batch unusable."""

import great_expectations as gx
import polars as pl

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite

# pandas dtype names of the contract columns after Polars -> pandas conversion.
PANDAS_TYPES = {c.REGION_ID: "str", c.YEAR: "int64", c.INDICATOR: "str", c.VALUE: "float64", c.UNIT: "str", c.SOURCE: "str"}


def build_frame(panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str]) -> pl.DataFrame:
    # Any integer year is acceptable; compare as Int64.
    if c.YEAR in panel.columns and panel.schema[c.YEAR].is_integer():
        panel = panel.with_columns(pl.col(c.YEAR).cast(pl.Int64))
    return panel


def build_checks(settings: GateSettings) -> list[Check]:
    e = gx.expectations
    checks = [Check("schema.columns", e.ExpectTableColumnsToMatchSet(column_set=c.COLUMNS, exact_match=False), "fail")]
    for column, type_ in PANDAS_TYPES.items():
        checks.append(Check(f"schema.type.{column}", e.ExpectColumnValuesToBeOfType(column=column, type_=type_), "fail"))
    return checks


SUITE = Suite("peakwatch-schema", build_frame, build_checks)
