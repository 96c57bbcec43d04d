"""One source's file -> contract rows, with what could not be placed.

Checks, in order, each naming file, row, column, region and year: years and
values are numbers (finite: no NaN or infinity), no negative values, one unit per indicator, known units
(converted here, once), regions matched (or reported / given a derived id),
no duplicate region-indicator-year rows.
"""

from dataclasses import dataclass
from typing import BinaryIO

import polars as pl

from peakwatch import contract as c
from peakwatch.sources.errors import SourceError
from peakwatch.sources.regions import RegionMatcher, derive_region_id
from peakwatch.sources.shapes import COLUMN, ORIGIN, to_long
from peakwatch.sources.tables import ROW, read_table
from peakwatch.sources.units import conversion, normalize_unit


MIN_YEAR, MAX_YEAR = 1, 9999  # a year of four digits at most, as a date holds


@dataclass(frozen=True)
class Parsed:
    frame: pl.DataFrame  # the contract columns
    unmatched: tuple[dict, ...] = ()  # {"name", "reason", "rows"} left out of the run
    derived: tuple[dict, ...] = ()  # {"name", "region_id"} not in the registry, forecast anyway
    no_data: tuple[str, ...] = ()  # region ids whose every cell was empty


def _cell(row: dict) -> str:
    return f"row {row[ROW]}, column '{row[COLUMN]}' (region {row['region']!r}, year {row['year']})"


def _fail(where: str, bad: pl.DataFrame, what) -> None:
    if not bad.is_empty():
        first = bad.row(0, named=True)
        more = f"; {len(bad) - 1} more such cell(s)" if len(bad) > 1 else ""
        raise SourceError(f"{where}: {_cell(first)}: {what(first)}{more}")


def parse_source(file: BinaryIO, source, matcher: RegionMatcher, where: str) -> Parsed:
    """The rows of ``source`` read from the binary ``file`` (open, seekable)."""
    table = read_table(
        file, source.file_format, where, encoding=source.encoding, sheet=source.sheet, header_row=source.header_row
    )
    long = to_long(table, source, where)
    del table  # each step below copies the rows it keeps: the cells as read need not outlive this
    _fail(where, long.filter(pl.col("region").is_null() & pl.col("value").is_not_null()), lambda r: "region is empty")

    as_number = long["year"].str.strip_chars().str.strip_suffix("年").cast(pl.Float64, strict=False)
    # A year is a whole number a date can hold. Which years are plausible (not
    # 1850, not next year) is the gate's rule (validation.min_year / max_year):
    # there, a bad year quarantines its region instead of failing the run.
    ok = as_number.is_not_null() & (as_number == as_number.round(0)) & as_number.is_between(MIN_YEAR, MAX_YEAR)
    _fail(where, long.filter(~ok.fill_null(False)), lambda r: f"year {r['year']!r} is not a year")
    long = long.with_columns(year=as_number.cast(pl.Int64))

    missing = pl.col("value").is_null() | pl.col("value").is_in(list(source.missing_values))
    seen_regions = long["region"].drop_nulls().unique(maintain_order=True).to_list()
    long = long.filter(~missing)
    # before unmatched regions are left out: they have values, and are listed as unmatched
    with_data = set(long["region"].unique().to_list())
    numbers = long.select(_number(pl.col("value"))).to_series()
    _fail(where, long.filter(numbers.is_null()), _not_a_number)
    # 'NaN', 'inf' and '1e400' cast to floats; none of them is a measurement
    _fail(where, long.filter(~numbers.is_finite()), lambda r: f"{r['value']!r} is not a finite number")
    long = long.with_columns(value=numbers)
    _fail(where, long.filter(pl.col("value") < 0), lambda r: f"negative value {r['value']}")
    _fail(where, long.filter(pl.col("indicator").is_null()), lambda r: "indicator is empty")

    long = _convert_units(long, where)
    _fail(where, long.filter(~pl.col("value").is_finite()), lambda r: f"value overflows once converted to {r['unit']}")
    long, unmatched, derived = _match_regions(long, source, matcher)
    _check_duplicates(long, where)

    frame = long.select(
        pl.col("region_id").alias(c.REGION_ID),
        pl.col("year").alias(c.YEAR),
        pl.col("indicator").alias(c.INDICATOR),
        pl.col("value").alias(c.VALUE),
        pl.col("unit").alias(c.UNIT),
        _origin(long, source).alias(c.SOURCE),
    )
    no_data = tuple(
        _region_id(name, source, matcher) or name for name in seen_regions if name not in with_data
    )
    return Parsed(c.conform(frame), unmatched, derived, no_data)


# Commas are thousands separators only, in groups of three (1,234.5): read
# as separators, the decimal comma of '1,5' would have become 15.
THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"


def _number(cell: pl.Expr) -> pl.Expr:
    """A cell as a number, null where it is none."""
    text = cell.str.strip_chars()
    grouped = text.str.contains(THOUSANDS) | ~text.str.contains(",", literal=True)
    return pl.when(grouped).then(text.str.replace_all(",", "", literal=True)).cast(pl.Float64, strict=False)


def _not_a_number(row: dict) -> str:
    hint = " (a comma is read only as a thousands separator, as in 1,234.5)" if "," in row["value"] else ""
    return f"{row['value']!r} is not a number{hint}"


def _origin(long: pl.DataFrame, source) -> pl.Expr:
    """The contract's `source`: the config's label, else the file's own column, else the source name."""
    if source.label is None and ORIGIN in long.columns:
        return pl.col(ORIGIN).fill_null(source.name)
    return pl.lit(source.label or source.name)


def _convert_units(long: pl.DataFrame, where: str) -> pl.DataFrame:
    # Each (indicator, unit) spelling once, with the row it first appears on:
    # a per-row column of normalized units cost ~65 MB at 380 000 rows.
    spellings = long.group_by("indicator", "unit", maintain_order=True).agg(pl.col(ROW).min())
    found: dict[str, dict[str, tuple[str | None, int]]] = {}  # indicator -> {normalized unit: (as written, first row)}
    for indicator, unit, row in spellings.sort(ROW).iter_rows():
        found.setdefault(indicator, {}).setdefault(normalize_unit(unit or ""), (unit, row))
    if not found:  # no values at all: Polars ignores return_dtype for an empty mapping
        return long
    unit_of: dict[str, str] = {}  # indicator -> its contract unit
    factor_of: dict[str, float] = {}  # indicator -> the factor from its unit in the file
    for indicator, units in found.items():
        if len(units) > 1:
            listed = ", ".join(f"{u!r} (first at row {r})" for u, r in units.values())
            raise SourceError(f"{where}: mixed units for indicator {indicator!r}: {listed}; use one unit per indicator")
        (unit, _), = units.values()
        unit_of[indicator], factor_of[indicator] = conversion(unit, indicator, f"{where}, indicator {indicator!r}")
    # One unit per indicator: two columns replaced, the rest shared (a join would copy every column).
    return long.with_columns(
        value=pl.col("value") * pl.col("indicator").replace_strict(factor_of, return_dtype=pl.Float64),
        unit=pl.col("indicator").replace_strict(unit_of, return_dtype=pl.String),
    )


def _region_id(name: str, source, matcher: RegionMatcher) -> str | None:
    match = matcher.match(name)
    if match.region_id:
        return match.region_id
    if source.regions.unmatched == "derive":
        return derive_region_id(name, source.regions.derive_prefix)
    return None


def _match_regions(long: pl.DataFrame, source, matcher: RegionMatcher):
    ids, unmatched, derived = {}, [], []
    for name in long["region"].unique(maintain_order=True).to_list():
        match = matcher.match(name)
        if match.region_id:
            ids[name] = match.region_id
        elif source.regions.unmatched == "derive":
            ids[name] = derive_region_id(name, source.regions.derive_prefix)
            derived.append({"name": name, "region_id": ids[name]})
        else:
            rows = long.filter(pl.col("region") == name)[ROW].unique().sort().to_list()
            unmatched.append({"name": name, "reason": match.reason, "rows": rows[:10], "n_rows": len(rows)})
    long = long.with_columns(region_id=pl.col("region").replace_strict(ids, default=None, return_dtype=pl.String))
    return long.filter(pl.col("region_id").is_not_null()), tuple(unmatched), tuple(derived)


def _check_duplicates(long: pl.DataFrame, where: str) -> None:
    keys = ["region_id", "indicator", "year"]
    # A file written in key order (the usual case) has each key after the one
    # before and none repeated: comparing neighbours peaked +18 MB at 30 000
    # series, the integer key below +95 (then the pull's peak).
    if c.in_order(long, keys, strictly=True):
        return
    # The three keys as one integer: hashing the text columns themselves cost
    # ~60 MB at 380 000 rows, this ~30. Years are 1-9999 (checked above).
    n_indicators = long["indicator"].n_unique()
    key = (pl.col("region_id").rank("dense").cast(pl.Int64) * (n_indicators + 1)
           + pl.col("indicator").rank("dense").cast(pl.Int64)) * (MAX_YEAR + 1) + pl.col("year")
    dup = long.filter(key.is_duplicated()).sort([*keys, ROW])
    if dup.is_empty():
        return
    first = dup.row(0, named=True)
    rows = dup.filter(*(pl.col(k) == first[k] for k in keys))[ROW].to_list()
    n = dup.select(keys).unique().height
    raise SourceError(
        f"{where}: duplicate rows for region {first['region_id']!r} ({first['region']!r}), "
        f"indicator {first['indicator']!r}, year {first['year']}: rows {rows}"
        + (f"; {n - 1} more duplicated region-year(s)" if n > 1 else "")
    )
