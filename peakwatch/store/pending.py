"""A run's MLflow payload on disk: everything a run logs, kept under
``artifacts/pending/<id>/`` until the tracking store has taken it.

Every run writes its payload first and publishes it from there
(flows/publish.py), so a tracking store that is down loses nothing:
``peakwatch sync`` publishes the payload later. The payload is built in a
hidden ``.building-<id>`` folder and renamed into place when complete, so a
payload folder is whole or absent.

Layout of ``pending/<id>/``::

    payload.json      the parent run (RunRecord), the series histories, the run's identity
    children.jsonl    one RunRecord per child run (statistical series and scenarios)
    series/<i>/       each series' files (forecast.csv, fan_chart.png, peak_years.csv, model/)
    validation/       the GX Data Docs
    summary.json      the run summary (run_id null until published)
    report.html       the run report (written when the run could not publish)
"""

import json
import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from peakwatch.results.summary import load_run_summary, RunSummary
from peakwatch.store.catalog import write_atomic

PAYLOAD_JSON = "payload.json"
CHILDREN_JSONL = "children.jsonl"
SUMMARY_JSON = "summary.json"
REPORT_HTML = "report.html"
VALIDATION_DIR = "validation"
SERIES_DIR = "series"
# The tag that ties a published parent run to its payload: a payload is published once.
PENDING_ID_TAG = "peakwatch.pending_id"


def as_history(values: Iterable[float | None]) -> array:
    """A series' input values, one per year from its first (NaN: a missing year),
    as an array of doubles: ~0.4 KB a series rather than ~1.3 KB as a tuple of
    floats, and one object, not 39 (10 000 series: ~9 MB held while the payload
    is built and again while it is published)."""
    return array("d", (math.nan if v is None else v for v in values))


class PayloadError(ValueError):
    """A pending payload folder that cannot be read (names the folder and the file)."""


@dataclass(frozen=True)
class RunRecord:
    """One MLflow run as data: what gets logged, before (or without) a store."""

    name: str
    tags: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    # metric name -> [(step, value)], e.g. the point forecast with the year as step
    steps: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    status: str = "FINISHED"
    artifacts: str | None = None  # a folder of files to upload, relative to the payload folder

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, allow_nan=True)

    @classmethod
    def from_dict(cls, raw: dict) -> "RunRecord":
        steps = {k: [(int(s), float(v)) for s, v in pairs] for k, pairs in raw.get("steps", {}).items()}
        return cls(**{**raw, "steps": steps})


@dataclass(frozen=True)
class Payload:
    folder: Path
    pending_id: str
    run_date: str  # ISO 8601, UTC
    parent: RunRecord
    n_children: int
    histories: dict[tuple[str, str], array]  # as_history
    summary: RunSummary

    @property
    def validation_dir(self) -> Path:
        return self.folder / VALIDATION_DIR

    def children(self) -> Iterator[RunRecord]:
        """The child run records, read from children.jsonl as they are used
        (read_payload has checked every line): held at once, the records of
        10 000 series took ~80 MB while they were published."""
        return _read_records(self.folder / CHILDREN_JSONL)


def _read_records(path: Path) -> Iterator[RunRecord]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield RunRecord.from_dict(json.loads(line))


def count_records(folder: Path) -> int:
    """The child run records of the payload in ``folder``: children.jsonl's lines, not parsed."""
    with open(folder / CHILDREN_JSONL, encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


def history_entries(histories: dict[tuple[str, str], array]) -> list[dict]:
    """The input histories as JSON (NaN, a missing year, becomes null)."""
    return [
        {"region_id": r, "indicator": i, "history": [None if math.isnan(v) else v for v in values]}
        for (r, i), values in histories.items()
    ]


def write_payload(
    folder: Path,
    pending_id: str,
    run_date: str,
    parent: RunRecord,
    children: Iterable[RunRecord],
    histories: dict[tuple[str, str], array],
    summary: RunSummary,
) -> None:
    """Write the payload's head, the rest of its records (as they come) and its
    summary into ``folder`` (its artifact files, and the records appended
    before, are already there)."""
    head = {"pending_id": pending_id, "run_date": run_date, "parent": asdict(parent), "histories": history_entries(histories)}
    write_atomic(folder / PAYLOAD_JSON, json.dumps(head, ensure_ascii=False))
    append_records(folder, children)
    write_summary(folder, summary)


def append_records(folder: Path, records: Iterable[RunRecord]) -> None:
    """Add child run records to the payload in ``folder``, one line each. No need
    for write_atomic: a payload is built in a hidden folder, renamed when whole."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / CHILDREN_JSONL, "a", encoding="utf-8") as out:
        out.writelines(record.to_json() + "\n" for record in records)


def write_summary(folder: Path, summary: RunSummary) -> Path:
    path = folder / SUMMARY_JSON
    write_atomic(path, summary.iter_json())
    return path


def read_payload(folder: Path) -> Payload:
    """Read a payload folder back; a PayloadError names the folder and file at fault."""
    try:
        head = json.loads((folder / PAYLOAD_JSON).read_text(encoding="utf-8"))
        # the histories as arrays, and their parsed lists freed, before the summary is read
        # (at 10 000 series ~13 MB of lists, held while reading it was the run's peak)
        histories = {(h["region_id"], h["indicator"]): as_history(h["history"]) for h in head.pop("histories")}
        n_children = sum(1 for _ in _read_records(folder / CHILDREN_JSONL))  # every line checked, none kept
        summary = load_run_summary(folder / SUMMARY_JSON)
        return Payload(
            folder, head["pending_id"], head["run_date"], RunRecord.from_dict(head["parent"]), n_children, histories, summary
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"pending run {folder}: unreadable payload ({type(exc).__name__}: {exc})") from exc


def list_payloads(pending_root: Path) -> list[Path]:
    """Complete payload folders, oldest run first (hidden .building-* folders are unfinished)."""
    if not pending_root.is_dir():
        return []
    folders = [p for p in pending_root.iterdir() if p.is_dir() and not p.name.startswith(".")]

    def run_date(folder: Path) -> str:
        try:
            return json.loads((folder / PAYLOAD_JSON).read_text(encoding="utf-8"))["run_date"]
        except (OSError, ValueError, KeyError):
            return ""  # unreadable: first, so that its error is reported early

    return sorted(folders, key=lambda p: (run_date(p), p.name))
