"""The CEADs workbook reader, on a small workbook of the same shape, and on the
real file when the shared data folder is present."""

from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from forecasting.evaluation import count_peaked
from forecasting.series import split_series
from peakwatch import contract as c
from peakwatch.sources.ceads import CeadsError, read_ceads_emissions

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ceads-cities" / (
    "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"
)


def write_workbook(path: Path, rows: list[list], sheet: str = "emission matrix") -> Path:
    book = Workbook()
    book.active.title = "NOTE"
    matrix = book.create_sheet(sheet)
    matrix.append(["city", 1995, 1997, 1998, 1999, 2000, 2001, 2002, 2003])
    for row in rows:
        matrix.append(row)
    book.save(path)
    return path


def test_matrix_becomes_tidy_contract_rows_with_gaps_dropped(tmp_path):
    path = write_workbook(tmp_path / "ceads.xlsx", [
        ["湖南岳阳", None, 10.0, 11.0, None, 12.5, 12.0, 11.5, 11.0],
        ["湖南株洲", None, None, None, None, 5.0, 5.5, 6.0, 6.5],
    ])
    frame = read_ceads_emissions(path)
    assert frame.columns == c.COLUMNS
    assert frame.height == 6 + 4
    yueyang = frame.filter(frame[c.REGION_ID] == "ceads.湖南岳阳")
    assert yueyang[c.YEAR].to_list() == [1997, 1998, 2000, 2001, 2002, 2003]
    assert set(frame[c.INDICATOR]) == {c.CO2} and set(frame[c.UNIT]) == {"MtCO2"}
    series = {s.region_id: s for s in split_series(frame, {})}
    assert np.isnan(series["ceads.湖南岳阳"].values[1999 - 1997])  # the gap stays a gap


def test_missing_sheet_or_file_names_the_file(tmp_path):
    with pytest.raises(CeadsError, match="not found"):
        read_ceads_emissions(tmp_path / "absent.xlsx")
    path = write_workbook(tmp_path / "other.xlsx", [], sheet="something else")
    with pytest.raises(CeadsError, match="other.xlsx.*emission matrix"):
        read_ceads_emissions(path)


@pytest.mark.skipif(not REAL.exists(), reason="shared CEADs workbook not present on this machine")
def test_real_workbook_has_290_cities_and_69_peaked_by_2019():
    """C40 criterion counted from 2019 (Shan et al. 2022 count 38 proactively
    peaked and 21 passively declining cities of 287: see docs/engine.md)."""
    frame = read_ceads_emissions(REAL)
    series = split_series(frame, {})
    assert len(series) == 290
    assert frame[c.YEAR].max() == 2019
    assert count_peaked(series) == 69
