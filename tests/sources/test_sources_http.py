"""URL sources against a local server on 127.0.0.1: download, no re-download when unchanged."""

import json
import threading

import pytest

from peakwatch.sources import SourceError, TransientFetchError
from peakwatch.sources.fetch import fetch_into
from peakwatch.sources.pull import pull_all, read_sources, resolve_pins
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, Route, make_source, serve, tidy_csv, yearly_rows

BODY = tidy_csv(yearly_rows("hunan.zhuzhou", "co2_emissions", "MtCO2", 20.0)).encode("gbk")


def test_url_source_downloads_snapshots_and_remembers_the_etag(tmp_path):
    catalog = Catalog(tmp_path / "art")
    route = Route(BODY, etag='"v1"')
    with serve({"/zhuzhou.csv": route}) as base:
        source = make_source(url=f"{base}/zhuzhou.csv")
        first = pull_all([source], REGISTRY, catalog)
        second = pull_all([source], REGISTRY, catalog)
    assert first.sources[0].fetched == "downloaded"
    assert second.sources[0].fetched == "not-modified"
    assert (route.full_responses, route.not_modified) == (1, 1)
    assert first.sources[0].sha256 == second.sources[0].sha256
    assert first.panel.equals(second.panel)
    cache = json.loads(catalog.http_cache.read_text())
    assert cache[source.url]["etag"] == '"v1"' and cache[source.url]["sha256"] == first.sources[0].sha256


def test_last_modified_alone_also_avoids_a_download(tmp_path):
    catalog = Catalog(tmp_path / "art")
    route = Route(BODY, last_modified="Wed, 01 Oct 2025 08:00:00 GMT")
    with serve({"/z.csv": route}) as base:
        source = make_source(url=f"{base}/z.csv")
        pull_all([source], REGISTRY, catalog)
        again = pull_all([source], REGISTRY, catalog)
    assert again.sources[0].fetched == "not-modified"
    assert (route.full_responses, route.not_modified) == (1, 1)


def test_changed_content_is_downloaded_again(tmp_path):
    catalog = Catalog(tmp_path / "art")
    route = Route(BODY, etag='"v1"')
    with serve({"/z.csv": route}) as base:
        source = make_source(url=f"{base}/z.csv")
        first = pull_all([source], REGISTRY, catalog)
        route.body, route.etag = BODY.replace(b"20.0", b"21.0"), '"v2"'
        second = pull_all([source], REGISTRY, catalog)
    assert second.sources[0].fetched == "downloaded"
    assert second.sources[0].sha256 != first.sources[0].sha256
    assert len(list(catalog.raw_dir.glob("*.csv"))) == 2  # both versions kept


def test_server_errors_are_transient_and_client_errors_are_not(tmp_path):
    catalog = Catalog(tmp_path / "art")
    with serve({"/flaky.csv": Route(BODY, fail_first=1)}) as base:
        with pytest.raises(TransientFetchError, match="HTTP 503"):
            fetch_into(make_source(url=f"{base}/flaky.csv"), catalog, tmp_path / "got")
        got = fetch_into(make_source(url=f"{base}/flaky.csv"), catalog, tmp_path / "got")
        assert got.path.read_bytes() == BODY and got.how == "downloaded"
        with pytest.raises(SourceError) as err:
            fetch_into(make_source(url=f"{base}/nope.csv"), catalog, tmp_path / "got")
        assert not isinstance(err.value, TransientFetchError)


def test_timeout_is_transient(tmp_path):
    with serve({"/slow.csv": Route(BODY, delay=1.5)}) as base:
        with pytest.raises(TransientFetchError, match="no response within 0.2 s"):
            fetch_into(make_source(url=f"{base}/slow.csv", timeout_seconds=0.2), Catalog(tmp_path), tmp_path / "got")


def test_a_redirect_loop_or_a_body_that_does_not_decode_names_the_source(tmp_path):
    routes = {
        "/loop.csv": Route(b"", status=302, headers={"Location": "/loop.csv"}),
        "/garbled.csv": Route(b"not gzip at all", headers={"Content-Encoding": "gzip"}),
    }
    with serve(routes) as base:
        for name, error in [("loop", "TooManyRedirects"), ("garbled", "DecodingError")]:
            with pytest.raises(SourceError, match=rf"source 'test-source' \(.*/{name}.csv\): download failed: {error}") as err:
                fetch_into(make_source(url=f"{base}/{name}.csv"), Catalog(tmp_path), tmp_path / "got")
            assert not isinstance(err.value, TransientFetchError)  # asking again would not help


def test_a_snapshot_gone_after_a_not_modified_answer_is_downloaded_again(tmp_path):
    catalog = Catalog(tmp_path / "art")
    route = Route(BODY, etag='"v1"')
    with serve({"/z.csv": route}) as base:
        source = make_source(url=f"{base}/z.csv")
        pull_all([source], REGISTRY, catalog)
        cached = next(catalog.raw_dir.glob("*.csv"))
        route.delay = 0.3  # the snapshot goes while the request is out
        threading.Timer(0.1, cached.unlink).start()
        with pytest.raises(TransientFetchError, match=f"answered 'not modified', but its snapshot {cached} is gone"):
            fetch_into(source, catalog, tmp_path / "got")
        got = fetch_into(source, catalog, tmp_path / "got")  # the retry: no snapshot, so no condition
    assert got.how == "downloaded" and got.path.read_bytes() == BODY


def test_a_scratch_copy_that_cannot_be_written_is_not_blamed_on_the_source(tmp_path):
    """The source file exists; the folder its copy goes to does not (a full disk fails the same way)."""
    nowhere = tmp_path / "gone" / "scratch"
    local = tmp_path / "in.csv"
    local.write_bytes(BODY)
    catalog = Catalog(tmp_path / "art")
    with serve({"/z.csv": Route(BODY), "/same.csv": Route(BODY, etag='"v1"')}) as base:
        unchanged = make_source(url=f"{base}/same.csv")
        sha = pull_all([unchanged], REGISTRY, catalog).sources[0].sha256  # its snapshot answers the next 304
        for source in (make_source(path=local), make_source(url=f"{base}/z.csv"), unchanged):
            with pytest.raises(SourceError, match=rf"cannot write its scratch copy {nowhere}: .*No such file") as err:
                fetch_into(source, catalog, nowhere)
            assert "file not found" not in str(err.value) and not isinstance(err.value, TransientFetchError)
    # a pinned snapshot (--snapshot) is copied to the scratch folder the same way
    pins = resolve_pins(catalog, [unchanged], [sha])
    with pytest.raises(SourceError, match=rf"cannot write its scratch copy {nowhere.parent / '0'}: .*No such file"):
        read_sources([unchanged], REGISTRY, catalog, nowhere.parent, pins=pins)
