"""Raw bytes stored under artifacts/raw/<sha256><suffix>, with a manifest line per pull.

``find_snapshot`` goes the other way for ``peakwatch run --snapshot``: from a
sha256 back to the stored file and the source it came from.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from peakwatch.sources.errors import SourceError
from peakwatch.store.catalog import Catalog, copy_atomic


@dataclass(frozen=True)
class Snapshot:
    source: str
    location: str
    sha256: str
    path: Path
    rows: int = 0


def sha256_of(file: Path) -> str:
    """The file's sha256, read a piece at a time."""
    with file.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def store_snapshot(catalog: Catalog, source: str, location: str, suffix: str, file: Path, rows: int) -> Snapshot:
    """Store the bytes of ``file`` once (content-addressed) and append a
    manifest line. Hashed and copied from the file, not held: read back whole
    beside the panel, they were the pull's peak at 30 000 series."""
    sha = sha256_of(file)
    path = catalog.raw_snapshot(sha, suffix)
    if not path.exists():
        copy_atomic(file, path)
    snapshot = Snapshot(source=source, location=location, sha256=sha, path=path, rows=rows)
    entry = {
        "source": source,
        "location": location,
        "sha256": sha,
        "rows": rows,
        "file": path.name,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with catalog.manifest.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return snapshot


def read_manifest(catalog: Catalog) -> list[dict]:
    if not catalog.manifest.exists():
        return []
    lines = catalog.manifest.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def find_snapshot(catalog: Catalog, sha256: str) -> tuple[dict, Path]:
    """The latest manifest entry for ``sha256`` and the stored file, verified
    (hashed a piece at a time: a rerun does not hold the file)."""
    sha256 = sha256.strip().lower()
    entries = [e for e in read_manifest(catalog) if e["sha256"] == sha256]
    if not entries:
        raise SourceError(f"snapshot {sha256}: not in the manifest {catalog.manifest}")
    entry = entries[-1]
    path = catalog.raw_dir / entry.get("file", sha256)
    try:
        found = sha256_of(path)
    except FileNotFoundError:
        raise SourceError(f"snapshot {sha256}: listed in the manifest but {path} is missing") from None
    if found != sha256:
        raise SourceError(f"snapshot {sha256}: {path} no longer has that sha256 (modified on disk?)")
    return entry, path
