"""Source adapters: pull bytes, snapshot them by sha256, parse to the contract.

Format parsing lives here, never in flow functions. Every error names the file
and, where it can, the row, column or region at fault.
"""

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from flows.catalog import Catalog, write_atomic
from flows.config import SourceConfig
from forecasting import contract as c


class SourceError(ValueError):
    """A source could not be read or does not fit the data contract."""


@dataclass(frozen=True)
class Snapshot:
    source: str
    location: str
    sha256: str
    path: Path
    rows: int = 0


def snapshot_bytes(catalog: Catalog, source: SourceConfig, data: bytes) -> Snapshot:
    """Store the raw bytes under artifacts/raw/<sha256><suffix> (once) and log them in the manifest."""
    sha = hashlib.sha256(data).hexdigest()
    path = catalog.raw_snapshot(sha, source.path.suffix)
    if not path.exists():
        write_atomic(path, data)
    return Snapshot(source=source.name, location=str(source.path), sha256=sha, path=path)


def record_manifest(catalog: Catalog, snapshot: Snapshot) -> None:
    entry = {
        "source": snapshot.source,
        "location": snapshot.location,
        "sha256": snapshot.sha256,
        "rows": snapshot.rows,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    catalog.raw_dir.mkdir(parents=True, exist_ok=True)
    with catalog.manifest.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_source_bytes(source: SourceConfig) -> bytes:
    try:
        data = source.path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"source '{source.name}': file not found: {source.path}") from None
    if not data.strip():
        raise SourceError(f"source '{source.name}': file is empty: {source.path}")
    return data


def parse_tidy_csv(data: bytes, where: str) -> pl.DataFrame:
    """Parse a tidy CSV (contract columns, one row per region/year/indicator)."""
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema_length=0)  # all text; cast below
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{where}: not a readable CSV: {exc}") from None
    missing = [col for col in c.COLUMNS if col not in frame.columns]
    if missing:
        raise SourceError(f"{where}: missing required column(s) {missing}; found {frame.columns}")
    for column, dtype in c.SCHEMA.items():
        if dtype == pl.String:
            continue
        cast = frame[column].str.strip_chars().cast(dtype, strict=False)
        bad = frame.with_row_index("row", offset=2).filter(cast.is_null() & frame[column].is_not_null())
        if not bad.is_empty():
            first = bad.row(0, named=True)
            raise SourceError(
                f"{where}: row {first['row']}, column '{column}': {first[column]!r} is not a number"
                f" (region {first[c.REGION_ID]!r}; {len(bad)} such row(s))"
            )
    return c.conform(frame)
