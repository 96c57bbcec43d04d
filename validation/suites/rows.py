"""Row-level checks on the contract frame: keys, years, indicators, units, ranges."""

import great_expectations as gx
import polars as pl
from great_expectations.expectations.row_conditions import Column

from peakwatch import contract as c
from validation.settings import GateSettings
from validation.suites import Check, Suite

# Quantities that cannot be negative (shares get their own 0-100 range).
NON_NEGATIVE = (c.ENERGY, c.CO2, c.GDP, c.POPULATION)
# Indicators the engine models on the log scale, where a zero cannot be
# forecast: energy and CO2 (forecasting/models), GDP and population (STIRPAT,
# the scenarios' Kaya drivers). A zero passed the gate, then the series was
# dropped in the fit, or every scenario of its region came out "not simulated".
LOG_SCALE = (c.ENERGY, c.CO2, c.GDP, c.POPULATION)

# Region ids become MLflow tags, run names and parts of file names: a hostile
# id (path separators, "..", control characters such as NUL, huge lengths) is
# quarantined here, before anything downstream sees it.
MAX_REGION_ID_LENGTH = 128
UNSAFE_REGION_ID = r"[\x00-\x1f\x7f/\\]|\.\."


# The unit each row's indicator is stored in (null for an unknown indicator),
# for rows.indicator_unit. GX checks a pair of columns against a set of pairs
# one row at a time in Python (pandas iterrows): at 10 000 series that was
# ~40 s of validation's 48, and +43 MB; comparing two columns is one step.
CONTRACT_UNIT = "contract_unit"


def build_frame(panel: pl.DataFrame, settings: GateSettings, parents: dict[str, str]) -> pl.DataFrame:
    contract_unit = pl.col(c.INDICATOR).replace_strict(c.UNITS, default=None, return_dtype=pl.String)
    return panel.select(*c.COLUMNS, contract_unit.alias(CONTRACT_UNIT))


def build_checks(settings: GateSettings) -> list[Check]:
    e = gx.expectations
    return [
        Check("rows.region_id_present", e.ExpectColumnValuesToNotBeNull(column=c.REGION_ID), "fail"),
        Check(
            "rows.region_id_length",
            e.ExpectColumnValueLengthsToBeBetween(column=c.REGION_ID, min_value=1, max_value=MAX_REGION_ID_LENGTH),
            "fail",
        ),
        Check(
            "rows.region_id_safe",
            e.ExpectColumnValuesToNotMatchRegex(column=c.REGION_ID, regex=UNSAFE_REGION_ID),
            "fail",
        ),
        Check("rows.year_present", e.ExpectColumnValuesToNotBeNull(column=c.YEAR), "fail"),
        Check("rows.indicator_present", e.ExpectColumnValuesToNotBeNull(column=c.INDICATOR), "fail"),
        # An empty value is a missing year: counted as a gap, and reported.
        Check("rows.value_present", e.ExpectColumnValuesToNotBeNull(column=c.VALUE), "warn"),
        Check("rows.known_indicator", e.ExpectColumnValuesToBeInSet(column=c.INDICATOR, value_set=sorted(c.UNITS)), "fail"),
        # A row with no unit and an empty or unknown indicator (both sides empty)
        # is skipped here: rows.indicator_present or rows.known_indicator reports it.
        Check("rows.indicator_unit", e.ExpectColumnPairValuesToBeEqual(column_A=c.UNIT, column_B=CONTRACT_UNIT), "fail"),
        Check(
            "rows.unique_key",
            e.ExpectCompoundColumnsToBeUnique(column_list=[c.REGION_ID, c.INDICATOR, c.YEAR]),
            "fail",
        ),
        Check(
            "rows.year_range",
            e.ExpectColumnValuesToBeBetween(
                column=c.YEAR, min_value=settings.min_year, max_value=settings.latest_allowed_year()
            ),
            "fail",
        ),
        Check(
            "rows.non_negative",
            e.ExpectColumnValuesToBeBetween(
                column=c.VALUE, min_value=0, row_condition=Column(c.INDICATOR).is_in(list(NON_NEGATIVE))
            ),
            "fail",
        ),
        Check(
            "rows.positive",  # zeros: negatives are rows.non_negative's (one check per fault)
            e.ExpectColumnValuesToBeBetween(
                column=c.VALUE,
                min_value=0,
                strict_min=True,
                row_condition=Column(c.INDICATOR).is_in(list(LOG_SCALE)) & (Column(c.VALUE) >= 0),
            ),
            "fail",
        ),
        Check(
            "rows.share_range",
            e.ExpectColumnValuesToBeBetween(
                column=c.VALUE, min_value=0, max_value=100, row_condition=Column(c.INDICATOR) == c.NON_FOSSIL_SHARE
            ),
            "fail",
        ),
    ]


SUITE = Suite("peakwatch-rows", build_frame, build_checks)
