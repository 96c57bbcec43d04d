"""Tables of text cells -> long rows (region, year, indicator, value, unit) as text.

Only the shape changes here; numbers, units and regions are checked in
``peakwatch.sources.parse``. ``_row`` and ``_column`` say where each value sat in
the file, for error messages.
"""

import re

import polars as pl

from peakwatch.config import TidySource, WideIndicatorsSource, WideYearsSource
from peakwatch.sources.errors import SourceError
from peakwatch.sources.tables import ROW

COLUMN = "_column"
ORIGIN = "_origin"  # a tidy file's own `source` column, if any
_YEAR_HEADER = re.compile(r"^\s*(\d{4})\s*(年|\.0)?\s*$")


def to_long(table: pl.DataFrame, source, where: str) -> pl.DataFrame:
    if isinstance(source, TidySource):
        return _tidy(table, source, where)
    if isinstance(source, WideYearsSource):
        return _wide_years(table, source, where)
    if isinstance(source, WideIndicatorsSource):
        return _wide_indicators(table, source, where)
    raise SourceError(f"{where}: unsupported source kind {source.kind!r}")


def _require(table: pl.DataFrame, headers: dict[str, str], where: str) -> None:
    missing = {role: header for role, header in headers.items() if header not in table.columns}
    if missing:
        found = [col for col in table.columns if col != ROW]
        wanted = ", ".join(f"'{h}' ({role})" for role, h in missing.items())
        raise SourceError(f"{where}: missing required column(s) {wanted}; the file has {found}")


def _tidy(table: pl.DataFrame, source: TidySource, where: str) -> pl.DataFrame:
    headers = {name: source.columns.get(name, name) for name in ("region_id", "year", "value")}
    fixed = {"indicator": source.indicator, "unit": source.unit}
    for role, value in fixed.items():
        if value is None:
            headers[role] = source.columns.get(role, role)
    _require(table, headers, where)

    def pick(role: str) -> pl.Expr:
        if role in headers:
            return pl.col(headers[role])
        return pl.lit(fixed[role], dtype=pl.String)

    origin = source.columns.get("source", "source")
    return table.select(
        pick("region_id").alias("region"),
        pick("year").alias("year"),
        pick("indicator").alias("indicator"),
        pick("value").alias("value"),
        pick("unit").alias("unit"),
        pl.col(ROW),
        pl.lit(headers["value"]).alias(COLUMN),
        (pl.col(origin) if origin in table.columns else pl.lit(None, dtype=pl.String)).alias(ORIGIN),
    )


def _wide_years(table: pl.DataFrame, source: WideYearsSource, where: str) -> pl.DataFrame:
    _require(table, {"region_column": source.region_column}, where)
    years = {col: _YEAR_HEADER.match(col).group(1) for col in table.columns if _YEAR_HEADER.match(col)}
    if not years:
        raise SourceError(f"{where}: no year columns (headers like 2019 or 2019年); the file has {table.columns}")
    long = table.unpivot(index=[source.region_column, ROW], on=list(years), variable_name=COLUMN, value_name="value")
    return long.select(
        pl.col(source.region_column).alias("region"),
        pl.col(COLUMN).replace_strict(years).alias("year"),
        pl.lit(source.indicator).alias("indicator"),
        pl.col("value"),
        pl.lit(source.unit).alias("unit"),
        pl.col(ROW),
        pl.col(COLUMN),
    )


def _wide_indicators(table: pl.DataFrame, source: WideIndicatorsSource, where: str) -> pl.DataFrame:
    headers = {"year_column": source.year_column, **{f"indicator {v.indicator}": h for h, v in source.columns.items()}}
    if source.region_column:
        headers["region_column"] = source.region_column
    _require(table, headers, where)
    region = pl.col(source.region_column) if source.region_column else pl.lit(source.region, dtype=pl.String)
    parts = [
        table.select(
            region.alias("region"),
            pl.col(source.year_column).str.replace(r"\s*年$", "").alias("year"),
            pl.lit(spec.indicator).alias("indicator"),
            pl.col(header).alias("value"),
            pl.lit(spec.unit).alias("unit"),
            pl.col(ROW),
            pl.lit(header).alias(COLUMN),
        )
        for header, spec in source.columns.items()
    ]
    return pl.concat(parts)
