"""CSVs written for analysts (warnings.csv) never hold a text cell a
spreadsheet would run as a formula: such cells get a leading apostrophe."""

import csv

import polars as pl
import pytest

from peakwatch.results import tables
from peakwatch.results.notices import SeriesWarning

HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil/","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    frame = tables.escape_formulas(pl.DataFrame({"name": [text], "value": [-1.5]}))
    assert frame.row(0) == ("'" + text, -1.5)  # numbers, even negative ones, untouched


def test_ordinary_text_is_unchanged():
    names = ["hunan.yueyang", "岳阳市", "a=b", "x-1", "", None]
    assert tables.escape_formulas(pl.DataFrame({"name": names}))["name"].to_list() == names


def test_warnings_csv_written_for_analysts_is_escaped(tmp_path):
    row = {"region_id": "=1+2", "indicator": "co2_emissions", "kind": "late",
           "message": '=HYPERLINK("http://evil/","click") co2_emissions: P(peak <= 2030) = 0.20 < 0.50',
           "p_peak_by_target": 0.2, "peak_year_median": 2041.0, "target_year": 2030}
    path = tmp_path / "warnings.csv"
    tables.warnings_table([SeriesWarning(**row)]).write_csv(path)  # as tracking.runs writes it
    with path.open(newline="", encoding="utf-8") as handle:
        written = next(csv.DictReader(handle))
    assert written["region_id"] == "'=1+2"
    assert written["message"].startswith("'=HYPERLINK(")
    assert written["indicator"] == "co2_emissions" and written["p_peak_by_target"] == "0.2"
