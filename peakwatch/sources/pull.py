"""Pull every configured source: fetch (or take a pinned snapshot), parse all,
merge, and only then store snapshots, manifest lines and the HTTP cache, so a
bad source leaves artifacts/raw exactly as it was."""

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from peakwatch.config import Registry
from peakwatch.redact import redact_url
from peakwatch.sources.errors import SourceError
from peakwatch.sources.fetch import Fetched, copy_to_scratch, fetch_into, http_cache_key, load_http_cache
from peakwatch.sources.merge import merge_sources
from peakwatch.sources.parse import parse_source
from peakwatch.sources.regions import RegionMatcher
from peakwatch.sources.snapshot import find_snapshot, sha256_of, store_snapshot
from peakwatch.store.catalog import Catalog, write_atomic

MAX_CONFLICTS_LISTED = 200


@dataclass(frozen=True)
class SourceReport:
    source: str
    location: str
    sha256: str
    rows: int
    fetched: str  # file | downloaded | not-modified | snapshot
    unmatched: tuple[dict, ...] = ()
    derived: tuple[dict, ...] = ()
    no_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class PullResult:
    panel: pl.DataFrame
    sources: tuple[SourceReport, ...]
    conflicts: tuple[dict, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "sources": [
                {**asdict(s), "n_unmatched": len(s.unmatched), "n_derived": len(s.derived)} for s in self.sources
            ],
            "n_conflicts": len(self.conflicts),
            "conflicts": list(self.conflicts[:MAX_CONFLICTS_LISTED]),
        }


def resolve_pins(catalog: Catalog, sources, shas: list[str]) -> dict[str, tuple[str, Path]]:
    """--snapshot sha256s -> {source name: (sha256, its stored file, verified)}; every source must be pinned."""
    pins = {}
    for sha in shas:
        entry, path = find_snapshot(catalog, sha)
        pins[entry["source"]] = (entry["sha256"], path)
    names = {s.name for s in sources}
    stray = sorted(set(pins) - names)
    if stray:
        raise SourceError(f"--snapshot: snapshot(s) of source(s) {stray} that this config does not have ({sorted(names)})")
    unpinned = sorted(names - set(pins))
    if unpinned:
        raise SourceError(f"--snapshot: no snapshot given for source(s) {unpinned}; a rerun must pin every source")
    return pins


def read_sources(sources, registry: Registry, catalog: Catalog, scratch: Path, fetch=fetch_into, pins=None):
    """Fetch and parse every source and merge them; writes nothing to the
    artifacts. Each source's bytes wait in a file in the folder ``scratch``
    until its snapshot is stored, after every source has parsed (held in
    memory through the parse, they were 39 MB of the pull's peak at 10 000
    series); a pinned snapshot is copied there too.

    Returns (panel, conflicts, [(source, Parsed, Fetched)]).
    """
    matcher = RegionMatcher(registry)
    read = []
    for i, source in enumerate(sources):
        where = f"source '{source.name}' ({source.location})"
        path = scratch / str(i)
        if pins:
            got = _copy_pinned(*pins[source.name], path, where)
        else:
            got = fetch(source, catalog, path)
        with got.path.open("rb") as file:
            read.append((source, parse_source(file, source, matcher, where), got))
    panel, conflicts = merge_sources([(source.precedence, parsed.frame) for source, parsed, _ in read])
    return panel, conflicts, read


def _copy_pinned(sha: str, stored: Path, path: Path, where: str) -> Fetched:
    """The pinned snapshot copied to ``path``, checked again there: the run
    parses exactly the bytes it was pinned to, or stops."""
    try:
        snapshot = stored.open("rb")
    except FileNotFoundError:
        raise SourceError(f"snapshot {sha}: {stored} is gone since the run started") from None
    copy_to_scratch(snapshot, path, where)
    if sha256_of(path) != sha:
        raise SourceError(f"snapshot {sha}: {stored} changed while the run was starting (modified on disk?)")
    return Fetched(path, "snapshot")


def read_panel(sources, registry: Registry, catalog: Catalog, fetch=fetch_into) -> pl.DataFrame:
    """The sources fetched, parsed and merged; nothing is written to the artifacts."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-pull-") as scratch:
        return read_sources(sources, registry, catalog, Path(scratch), fetch)[0]


def pull_all(
    sources,
    registry: Registry,
    catalog: Catalog,
    fetch: Callable[..., Fetched] = fetch_into,
    pins: dict[str, tuple[str, Path]] | None = None,
) -> PullResult:
    catalog.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=Catalog.PULL_SCRATCH_PREFIX, dir=catalog.root) as scratch:
        panel, conflicts, read = read_sources(sources, registry, catalog, Path(scratch), fetch, pins)
        # Everything parsed: now, and only now, write to artifacts/raw.
        return _store(catalog, panel, conflicts, read)


def _store(catalog: Catalog, panel: pl.DataFrame, conflicts: list[dict], read: list) -> PullResult:
    """The snapshots, manifest lines and HTTP cache entries of sources read and parsed."""
    catalog.raw_dir.mkdir(parents=True, exist_ok=True)
    # keys written by older versions held full URLs: keep their entries, drop the secrets
    reports, cache = [], {redact_url(url): entry for url, entry in load_http_cache(catalog).items()}
    for source, result, got in read:
        snapshot = store_snapshot(catalog, source.name, source.location, source.suffix, got.path, len(result.frame))
        if got.validators is not None:
            cache[http_cache_key(source)] = {**got.validators, "sha256": snapshot.sha256, "file": snapshot.path.name}
        reports.append(
            SourceReport(
                source=source.name,
                location=source.location,
                sha256=snapshot.sha256,
                rows=len(result.frame),
                fetched=got.how,
                unmatched=result.unmatched,
                derived=result.derived,
                no_data=result.no_data,
            )
        )
    if any(got.validators is not None for _, _, got in read):
        write_atomic(catalog.http_cache, json.dumps(cache, indent=1, ensure_ascii=False))
    return PullResult(panel=panel, sources=tuple(reports), conflicts=tuple(conflicts))
