"""summary.json keeps its content: real summaries written by the code before the
typed run summary (four `peakwatch run`s into one artifacts folder: revised
data, a quarantined region, an unmatched one, warnings late, crossed, still
late and back on time; ids, dates, timings and paths replaced by placeholders)
read into a RunSummary and written again are byte for byte the same, and a
summary the monthly flow writes has every field, in the same order and of the
same JSON types, as the golden ones."""

import json
from pathlib import Path

import pytest

from peakwatch.results.summary import RunSummary, read_run_summary
from peakwatch.store.pending import write_summary

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.summary.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_a_summary_read_and_written_again_is_unchanged(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    summary = read_run_summary(text)
    assert isinstance(summary, RunSummary) and summary.series and summary.scenarios and summary.changes
    written = write_summary(tmp_path, summary)
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(text)
    assert written.read_text(encoding="utf-8") == text


def test_the_golden_files_cover_every_kind_of_record():
    """Between them: every change kind a run can report, every delivery of the notify step
    but the failing ones, still-late and back-on-time series, quarantine and unmatched names."""
    summaries = [read_run_summary(path.read_text(encoding="utf-8")) for path in GOLDEN]
    changes = {c.change for s in summaries for c in s.changes}
    assert {"moved", "crossed to late", "back on time", "no longer forecast"} <= changes
    assert {s.early_warnings.delivery for s in summaries} >= {"failed", "recorded", "none"}
    assert any(s.early_warnings.still_late for s in summaries) and any(s.early_warnings.back_on_time for s in summaries)
    assert any(s.validation.quarantined for s in summaries) and any(s.validation.warned for s in summaries)
    assert any(src.unmatched for s in summaries for src in s.pull.sources)


def shape(value):
    """The JSON structure of ``value``: its keys in order and the types of its leaves."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


@pytest.mark.integration
def test_a_run_writes_summaries_shaped_like_the_golden_ones(default_runs_dir):
    """The monthly flow's own summary (the embedded default, a second run) against
    the golden second run: the same fields, in the same order, of the same types
    (the numbers come from the engine and move with it)."""
    golden = json.loads((Path(__file__).parent / "golden" / "run2.summary.json").read_text(encoding="utf-8"))
    [second] = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in default_runs_dir.glob("runs/*/summary.json")),
        key=lambda s: s["run_date"],
    )[1:]
    for key in ("series", "scenarios", "warnings"):
        assert shape(second[key][:1]) == shape(golden[key][:1]), key
    assert list(second) == list(golden)
    assert list(second["validation"]) == list(golden["validation"]) and list(second["pull"]) == list(golden["pull"])
    assert list(second["early_warnings"]) == list(golden["early_warnings"])
