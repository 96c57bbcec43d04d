"""CSV bytes -> a frame of text cells (flows/sources/tables.py): line endings,
quoted newlines, row numbers and ragged rows, whatever batch a row falls in."""

import io

import polars as pl
import pytest

from peakwatch.sources import SourceError
from peakwatch.sources import tables
from peakwatch.sources.tables import ROW, read_table

ROWS = [("岳阳", str(2000 + i), f"{i}.5") for i in range(10)]


def csv_bytes(rows, newline="\n") -> bytes:
    lines = ["region,year,value", *(",".join(row) for row in rows)]
    return (newline.join(lines) + newline).encode("utf-8")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_gives_the_same_cells_and_row_numbers(newline):
    frame = read_table(io.BytesIO(csv_bytes(ROWS, newline)), "csv", "f.csv")
    assert frame.select("region", "year", "value").rows() == ROWS
    assert frame[ROW].to_list() == list(range(2, 12))


def test_a_quoted_newline_stays_in_its_cell_and_later_rows_keep_their_line_numbers():
    data = 'region,note\n岳阳,"two\nlines"\n\n株洲,one\n'.encode()
    frame = read_table(io.BytesIO(data), "csv", "f.csv")
    assert frame["note"].to_list() == ["two\nlines", "one"]
    assert frame[ROW].to_list() == [3, 5]  # a record is numbered by the line it ends on; line 4 is blank


def test_batches_change_nothing(monkeypatch):
    whole = read_table(io.BytesIO(csv_bytes(ROWS)), "csv", "f.csv")
    monkeypatch.setattr(tables, "_CSV_BATCH_ROWS", 3)
    assert read_table(io.BytesIO(csv_bytes(ROWS)), "csv", "f.csv").equals(whole)


@pytest.mark.parametrize("bad_index", [2, 5, 9])
def test_a_short_row_is_named_and_only_the_last_row_looks_truncated(monkeypatch, bad_index):
    monkeypatch.setattr(tables, "_CSV_BATCH_ROWS", 3)  # batches of file rows 2-4, 5-7, 8-10, 11: bad_index 2 and 5 end one
    rows = [row if i != bad_index else row[:2] for i, row in enumerate(ROWS)]
    with pytest.raises(SourceError) as err:
        read_table(io.BytesIO(csv_bytes(rows)), "csv", "f.csv")
    message = str(err.value)
    assert f"row {bad_index + 2} has 2 field(s), the header has 3" in message
    assert ("truncated" in message) == (bad_index == len(ROWS) - 1)


def test_header_only_after_skipped_lines():
    with pytest.raises(SourceError, match="header only"):
        read_table(io.BytesIO(b"title line\nregion,year\n\n"), "csv", "f.csv", header_row=1)
    frame = read_table(io.BytesIO(b"title line\nregion,year\nA,2019\n"), "csv", "f.csv", header_row=1)
    assert frame.schema == pl.Schema({"region": pl.String, "year": pl.String, ROW: pl.Int64})
    assert frame.rows() == [("A", "2019", 3)]


def test_read_from_the_callers_file_which_stays_open(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(ROWS))
    with path.open("rb") as file:
        frame = read_table(file, "csv", "f.csv")
        assert not file.closed
    assert frame.select("region", "year", "value").rows() == ROWS


def test_cells_that_repeat_are_stored_once_and_read_back_as_written():
    label = "synthetic:peakwatch-kaya-v1 (not official statistics)"
    repeated = ["湖南省岳阳市", None, label, "湖南省岳阳市", label] * 4
    cells = tables._cells("region", repeated)
    assert cells.name == "region" and cells.dtype == pl.String and cells.to_list() == repeated
    distinct = [f"{i}.25" for i in range(10)]
    assert tables._cells("value", distinct).to_list() == distinct
