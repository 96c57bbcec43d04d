"""A source file -> a frame of text cells (CSV, Parquet, Excel), before any reshaping.

Every cell stays a string here so that the reshaping step can say exactly which
cell is not a number. A ``_row`` column carries the row number a person would
see in the file (header = row 1).
"""

import csv
import io
import itertools
from typing import BinaryIO

import fastexcel
import polars as pl

from peakwatch.sources.decode import is_blank, reject_html, text_codec
from peakwatch.sources.errors import SourceError

ROW = "_row"
_CSV_BATCH_ROWS = 20_000


def read_table(
    file: BinaryIO, file_format: str, where: str, encoding: str = "auto", sheet: str | None = None, header_row: int = 0
) -> pl.DataFrame:
    """The cells of the binary ``file`` (open, seekable; left open)."""
    if is_blank(file):
        raise SourceError(f"{where}: file is empty")
    file.seek(0)
    if file_format == "csv":
        frame = _read_csv(file, encoding, where, header_row)
    elif file_format == "excel":
        frame = _read_excel(file.read(), sheet, where, header_row)
    elif file_format == "parquet":
        frame = _read_parquet(file.read(), where)
    else:
        raise SourceError(f"{where}: unknown format {file_format!r}")
    if frame.is_empty():
        raise SourceError(f"{where}: header only, no data rows")
    return frame


def _read_csv(file: BinaryIO, encoding: str, where: str, header_row: int) -> pl.DataFrame:
    # Decoded as it is read from the file: neither its bytes nor its text are held whole.
    lines = io.TextIOWrapper(file, encoding=text_codec(file, encoding, where), newline="")
    try:
        return _read_csv_lines(lines, where, header_row)
    finally:
        lines.detach()  # the file is the caller's to close


def _read_csv_lines(lines: io.TextIOWrapper, where: str, header_row: int) -> pl.DataFrame:
    reader = csv.reader(lines)
    # (line number, fields); blank lines skipped, line numbers kept for messages
    rows = (
        (reader.line_num, row)
        for row in reader
        if reader.line_num > header_row and any(cell.strip() for cell in row)
    )
    first = next(rows, None)
    if first is None:
        raise SourceError(f"{where}: file is empty")
    header = [cell.strip() for cell in first[1]]
    _check_header(header, where)
    schema = {**{name: pl.String for name in header}, ROW: pl.Int64}
    # Cells become Polars columns a batch at a time: a whole file of Python
    # strings costs ~15x its size in memory (a 41 MB file peaked at +560 MB).
    batches = []
    while batch := list(itertools.islice(rows, _CSV_BATCH_ROWS)):
        for line, row in batch:
            if len(row) != len(header):
                last = line == batch[-1][0] and next(rows, None) is None
                raise SourceError(
                    f"{where}: row {line} has {len(row)} field(s), the header has {len(header)}"
                    + (" (the file looks truncated)" if last and len(row) < len(header) else "")
                )
        columns = [_cells(name, [row[i].strip() or None for _, row in batch]) for i, name in enumerate(header)]
        columns.append(pl.Series(ROW, [line for line, _ in batch], dtype=pl.Int64))
        batches.append(pl.DataFrame(columns))
    return pl.concat(batches) if batches else pl.DataFrame(schema=schema)


def _cells(name: str, values: list[str | None]) -> pl.Series:
    """One column of a batch. A value that repeats down it (a source label, a
    region's name) is stored once, each cell pointing at it: at 30 000 series
    the `source` label alone was 60 MB of the cells and of every frame made
    from them, the panel included."""
    index: dict[str | None, int] = {}
    positions = [index.setdefault(value, len(index)) for value in values]
    if len(index) > len(values) // 2:  # mostly distinct (numbers): nothing to share
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, list(index), dtype=pl.String).gather(positions)


def _check_header(header: list[str], where: str) -> None:
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank:
        raise SourceError(f"{where}: header has blank column name(s) at position(s) {blank}")
    seen = [name for i, name in enumerate(header) if name in header[:i]]
    if seen:
        raise SourceError(f"{where}: header repeats column name(s) {seen}")


def _read_excel(data: bytes, sheet: str | None, where: str, header_row: int) -> pl.DataFrame:
    if data.lstrip()[:1] == b"<":
        reject_html(data[:400].decode("utf-8", errors="replace"), where)
    try:
        workbook = fastexcel.read_excel(data)
    except Exception as exc:  # calamine reports zip/format damage with its own types
        raise SourceError(f"{where}: cannot be read as an Excel workbook (truncated or corrupt?): {_first_line(exc)}") from None
    name = sheet if sheet is not None else workbook.sheet_names[0]
    if name not in workbook.sheet_names:
        raise SourceError(f"{where}: no sheet named {name!r}; the workbook has {workbook.sheet_names}")
    try:
        frame = workbook.load_sheet_by_name(name, header_row=header_row, dtypes="string").to_polars()
    except Exception as exc:
        raise SourceError(f"{where}, sheet {name!r}: cannot be read: {_first_line(exc)}") from None
    frame = frame.rename({col: str(col).strip() for col in frame.columns})
    _check_header([col for col in frame.columns if not col.startswith("__UNNAMED__")], where)
    frame = frame.select(col for col in frame.columns if not col.startswith("__UNNAMED__"))
    frame = frame.with_columns(pl.col(pl.String).str.strip_chars().replace("", None))
    first = header_row + 2  # the sheet row number of the first data row
    frame = frame.with_columns(pl.int_range(first, pl.len() + first, dtype=pl.Int64).alias(ROW))
    return frame.filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))


def _read_parquet(data: bytes, where: str) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise SourceError(f"{where}: cannot be read as Parquet (truncated or corrupt?): {_first_line(exc)}") from None
    _check_header([str(name).strip() for name in frame.columns], where)
    cells = []
    for name, dtype in frame.schema.items():
        try:
            cells.append(frame[name].cast(pl.String))
        except pl.exceptions.PolarsError:  # lists, arrays, durations, bytes that are not text
            raise SourceError(f"{where}: column {name!r} holds {dtype} values, not numbers or text") from None
    return pl.DataFrame(cells).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
