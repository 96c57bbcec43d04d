"""Pull every configured source: fetch (or take a pinned snapshot), parse all,
merge, and only then store snapshots, manifest lines and the HTTP cache, so a
bad source leaves artifacts/raw exactly as it was."""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import polars as pl

from flows.catalog import Catalog, write_atomic
from flows.config import Registry
from flows.redact import redact_url
from flows.sources.errors import SourceError
from flows.sources.fetch import Fetched, fetch_bytes, http_cache_key, load_http_cache
from flows.sources.merge import merge_sources
from flows.sources.parse import parse_source
from flows.sources.regions import RegionMatcher
from flows.sources.snapshot import find_snapshot, store_snapshot

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


def resolve_pins(catalog: Catalog, sources, shas: list[str]) -> dict[str, tuple[str, bytes]]:
    """--snapshot sha256s -> {source name: (sha256, bytes)}; every source must be pinned."""
    pins = {}
    for sha in shas:
        entry, data = find_snapshot(catalog, sha)
        pins[entry["source"]] = (sha, data)
    names = {s.name for s in sources}
    stray = sorted(set(pins) - names)
    if stray:
        raise SourceError(f"--snapshot: snapshot(s) of source(s) {stray} that this config does not have ({sorted(names)})")
    unpinned = sorted(names - set(pins))
    if unpinned:
        raise SourceError(f"--snapshot: no snapshot given for source(s) {unpinned}; a rerun must pin every source")
    return pins


def read_sources(sources, registry: Registry, catalog: Catalog, fetch=fetch_bytes, pins=None):
    """Fetch and parse every source and merge them; writes nothing.

    Returns (panel, conflicts, [(source, Parsed, Fetched)]).
    """
    matcher = RegionMatcher(registry)
    read = []
    for source in sources:
        where = f"source '{source.name}' ({source.location})"
        got = Fetched(pins[source.name][1], "snapshot") if pins else fetch(source, catalog)
        read.append((source, parse_source(got.data, source, matcher, where), got))
    panel, conflicts = merge_sources([(source.precedence, parsed.frame) for source, parsed, _ in read])
    return panel, conflicts, read


def pull_all(
    sources,
    registry: Registry,
    catalog: Catalog,
    fetch: Callable[..., Fetched] = fetch_bytes,
    pins: dict[str, tuple[str, bytes]] | None = None,
) -> PullResult:
    panel, conflicts, read = read_sources(sources, registry, catalog, fetch, pins)

    # Everything parsed: now, and only now, write to artifacts/raw.
    catalog.raw_dir.mkdir(parents=True, exist_ok=True)
    # keys written by older versions held full URLs: keep their entries, drop the secrets
    reports, cache = [], {redact_url(url): entry for url, entry in load_http_cache(catalog).items()}
    for source, result, got in read:
        snapshot = store_snapshot(catalog, source.name, source.location, source.suffix, got.data, len(result.frame))
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
