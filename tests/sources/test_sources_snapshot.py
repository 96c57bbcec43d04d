"""--snapshot: from a sha256 back to exactly the stored bytes."""

import pytest

from peakwatch.sources import SourceError
from peakwatch.sources.pull import pull_all, resolve_pins
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, fingerprint, make_source, tidy_csv, yearly_rows


def pulled_once(tmp_path):
    """An artifacts folder with one pull of a one-series CSV source: (catalog, source, its PullResult)."""
    catalog = Catalog(tmp_path / "art")
    path = tmp_path / "in.csv"
    path.write_text(tidy_csv(yearly_rows("岳阳", "co2_emissions", "MtCO2", 30.0)))
    source = make_source(name="yb", path=path)
    return catalog, source, pull_all([source], REGISTRY, catalog)


def test_pinned_snapshot_reproduces_the_panel_after_the_file_changed(tmp_path):
    catalog, source, first = pulled_once(tmp_path)
    manifest = catalog.manifest.read_text().splitlines()
    assert len(manifest) == 1 and first.sources[0].sha256 in manifest[0] and '"rows": 16' in manifest[0]

    source.path.write_text(tidy_csv(yearly_rows("岳阳", "co2_emissions", "MtCO2", 99.0)))  # the source moved on
    pins = resolve_pins(catalog, [source], [first.sources[0].sha256])
    rerun = pull_all([source], REGISTRY, catalog, pins=pins)
    assert rerun.sources[0].fetched == "snapshot"
    assert rerun.sources[0].sha256 == first.sources[0].sha256
    assert rerun.panel.equals(first.panel)
    assert not pull_all([source], REGISTRY, catalog).panel.equals(first.panel)


def test_unknown_or_tampered_snapshot_is_an_error(tmp_path):
    catalog, source, first = pulled_once(tmp_path)
    sha = first.sources[0].sha256
    with pytest.raises(SourceError, match="not in the manifest"):
        resolve_pins(catalog, [source], ["0" * 64])
    with pytest.raises(SourceError, match=r"no snapshot given for source\(s\) \['other'\]"):
        resolve_pins(catalog, [source, make_source(name="other", path=source.path, precedence=1)], [sha])
    (catalog.raw_dir / f"{sha}.csv").write_text("changed")
    with pytest.raises(SourceError, match="no longer has that sha256"):
        resolve_pins(catalog, [source], [sha])


def test_a_snapshot_changed_after_it_was_checked_stops_the_rerun(tmp_path):
    """The pin is checked when the run starts and again on the copy it parses."""
    catalog, source, first = pulled_once(tmp_path)
    sha = first.sources[0].sha256
    pins = resolve_pins(catalog, [source], [sha])
    (catalog.raw_dir / f"{sha}.csv").write_text(tidy_csv(yearly_rows("岳阳", "co2_emissions", "MtCO2", 99.0)))
    before = fingerprint(catalog.root)
    with pytest.raises(SourceError, match=f"snapshot {sha}: .* changed while the run was starting"):
        pull_all([source], REGISTRY, catalog, pins=pins)
    assert fingerprint(catalog.root) == before
