"""A source's bytes go from where they are to the pull's scratch file a piece at
a time: a local file, a download and a pinned snapshot are never held whole.

Python's own allocations are traced (``tracemalloc``): a file read whole is one
bytes object of its size. The bound is a tenth of the file, well above the
pieces (64 KB to 1 MB) and far below the file."""

import os
import tracemalloc
from pathlib import Path

from peakwatch.sources.fetch import fetch_into
from peakwatch.sources.pull import resolve_pins
from peakwatch.sources.snapshot import store_snapshot
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import Route, make_source, serve

SIZE = 16 * 2**20
BOUND = SIZE // 10


def peak_of(call):
    """``call()``'s result and the peak of Python's allocations while it ran, over its start."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = call()
        return result, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def big_file(path: Path) -> Path:
    path.write_bytes(os.urandom(SIZE))
    return path


def test_a_local_file_is_copied_not_read(tmp_path):
    source = make_source(path=big_file(tmp_path / "big.csv"))
    got, peak = peak_of(lambda: fetch_into(source, Catalog(tmp_path / "art"), tmp_path / "scratch"))
    assert got.path.read_bytes() == source.path.read_bytes() and got.how == "file"
    assert peak < BOUND, f"fetching a {SIZE >> 20} MB file allocated {peak >> 20} MB"


def test_a_download_is_streamed_to_the_file(tmp_path):
    body = os.urandom(SIZE)
    with serve({"/big.csv": Route(body), "/small.csv": Route(b"x")}) as base:
        # httpx imports its decoders on the first download (~2 MB of Python objects)
        fetch_into(make_source(url=f"{base}/small.csv"), Catalog(tmp_path / "art"), tmp_path / "scratch")
        source = make_source(url=f"{base}/big.csv")
        got, peak = peak_of(lambda: fetch_into(source, Catalog(tmp_path / "art"), tmp_path / "scratch"))
    assert got.path.read_bytes() == body and got.how == "downloaded"
    assert peak < BOUND, f"downloading {SIZE >> 20} MB allocated {peak >> 20} MB"


def test_a_pinned_snapshot_is_verified_without_being_held(tmp_path):
    catalog = Catalog(tmp_path / "art")
    catalog.raw_dir.mkdir(parents=True)
    stored = store_snapshot(catalog, "big", "big.csv", ".csv", big_file(tmp_path / "big.csv"), rows=0)
    pins, peak = peak_of(lambda: resolve_pins(catalog, [make_source(name="big", path=tmp_path / "big.csv")], [stored.sha256]))
    assert pins == {"big": (stored.sha256, stored.path)}
    assert peak < BOUND, f"verifying a {SIZE >> 20} MB snapshot allocated {peak >> 20} MB"
