"""summary.json keeps its content: real summaries written by the code before the
typed run summary (four `peakwatch run`s into one artifacts folder: revised
data, a quarantined region, an unmatched one, warnings late, crossed, still
late and back on time; ids, dates, timings and paths replaced by placeholders)
read back and written again parse to the same content."""

import json
from pathlib import Path

import pytest

from peakwatch.store.pending import write_summary
from peakwatch.results.summary import read_summary

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.summary.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_a_summary_read_and_written_again_is_unchanged(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    written = write_summary(tmp_path, read_summary(text))
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(text)
