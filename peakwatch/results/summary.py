"""The run summary, typed: one ``RunSummary`` per run, built once, written as
summary.json and read back from it (``read_run_summary``).

Every model is a frozen, slotted dataclass read by attribute. ``to_json``
gives the JSON object field by field in the order summary.json has always had
(a group of fields a row did not have, e.g. the peak statistics of a series
that could not be forecast, is left out rather than written as nulls), and
``from_json`` reads one back, older summaries included: a field they lack is
None (or empty), and a row read for a comparison may carry only some fields
(``row_fields``). Values are kept as JSON gives them (no casts), so a summary
read and written again is unchanged (tests/results/test_summary_golden.py).

Checks of the validation gate and the per-source details of a pull (unmatched
names, conflicts) stay the plain records their producers write.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from peakwatch.results.calibration import CalibrationCheck
from peakwatch.results.fields import pick, take
from peakwatch.results.notices import DEFERRED_WARNINGS, Change, EarlyWarnings, SeriesWarning
from peakwatch.results.series import ScenarioRow, SeriesRow


@dataclass(frozen=True, slots=True)
class DataSource:
    """One source's raw input as the run read it."""

    source: str
    location: str | None = None
    sha256: str | None = None
    rows: int | None = None
    fetched: str | None = None  # file | downloaded | not-modified | snapshot

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


@dataclass(frozen=True, slots=True)
class SourcePull:
    """What one source gave: rows, and the names it could not place (records as the pull wrote them)."""

    source: str
    location: str | None = None
    sha256: str | None = None
    rows: int | None = None
    fetched: str | None = None
    unmatched: list[dict] = field(default_factory=list)  # name, reason, rows, n_rows
    derived: list[dict] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)
    n_unmatched: int = 0
    n_derived: int = 0

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


@dataclass(frozen=True, slots=True)
class PullSummary:
    sources: tuple[SourcePull, ...] = ()
    n_conflicts: int = 0
    conflicts: list[dict] = field(default_factory=list)  # the first few: region_id, indicator, year, kept, dropped

    def to_json(self) -> dict:
        return {"sources": [s.to_json() for s in self.sources], "n_conflicts": self.n_conflicts, "conflicts": self.conflicts}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "PullSummary":
        return take(cls, raw, sources=tuple(SourcePull.from_json(s) for s in raw.get("sources", ())))


VALIDATION_METRICS = (
    "validation_regions_checked",
    "validation_regions_passed",
    "validation_regions_warned",
    "validation_regions_quarantined",
    "validation_checks_failed",
    "validation_missing_years",
)


@dataclass(frozen=True, slots=True)
class ValidationSummary:
    """The validation gate's report (validation.ValidationReport.as_dict) and where its Data Docs are."""

    n_rows: int = 0
    validation_regions_checked: int = 0
    validation_regions_passed: int = 0
    validation_regions_warned: int = 0
    validation_regions_quarantined: int = 0
    validation_checks_failed: int = 0
    validation_missing_years: int = 0
    quarantined: dict[str, list[str]] = field(default_factory=dict)  # region -> failed check labels
    warned: dict[str, list[str]] = field(default_factory=dict)
    gaps: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    passed: bool = True
    docs_dir: str | None = None
    checks: list[dict] = field(default_factory=list)  # validation.CheckResult.as_dict()

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))

    @property
    def failed_checks(self) -> list[dict]:
        return [check for check in self.checks if not check["success"]]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run: its identity, inputs, validation, rows, warnings and changes."""

    run_id: str | None = None  # MLflow's parent run, None until published
    pending_id: str | None = None
    run_date: str | None = None  # ISO 8601, UTC
    data_sha256: str | None = None
    config_hash: str | None = None
    code_version: str | None = None
    prefect_flow_run_id: str | None = None
    tracking_uri: str | None = None  # without credentials
    experiment: str | None = None
    data: tuple[DataSource, ...] = ()
    pull: PullSummary = PullSummary()
    validation: ValidationSummary = ValidationSummary()
    series: tuple[SeriesRow, ...] = ()
    scenarios: tuple[ScenarioRow, ...] = ()
    scenario_comparison: dict = field(default_factory=dict)  # region -> indicator -> scenario -> numbers
    warnings: tuple[SeriesWarning, ...] = ()
    previous_run_id: str | None = None
    changes: tuple[Change, ...] = ()
    early_warnings: EarlyWarnings = DEFERRED_WARNINGS
    seconds: dict[str, float] = field(default_factory=dict)
    calibration: tuple[CalibrationCheck, ...] | None = None  # None: a summary from before the check

    @property
    def id(self) -> str | None:
        """The MLflow run id, else the pending payload's id."""
        return self.run_id or self.pending_id

    def with_(self, **changes) -> "RunSummary":
        return replace(self, **changes)

    def to_json(self) -> dict:
        return {
            **pick(self, ("run_id", "pending_id", "run_date", "data_sha256", "config_hash", "code_version")),
            **pick(self, ("prefect_flow_run_id", "tracking_uri", "experiment")),
            "data": [d.to_json() for d in self.data],
            "pull": self.pull.to_json(),
            "validation": self.validation.to_json(),
            "series": [r.to_json() for r in self.series],
            "scenarios": [r.to_json() for r in self.scenarios],
            "scenario_comparison": self.scenario_comparison,
            "warnings": [w.to_json() for w in self.warnings],
            "previous_run_id": self.previous_run_id,
            "changes": [c.to_json() for c in self.changes],
            "early_warnings": self.early_warnings.to_json(),
            "seconds": self.seconds,
            **({"calibration": [c.to_json() for c in self.calibration]} if self.calibration is not None else {}),
        }

    def iter_json(self) -> Iterator[str]:
        """summary.json's text in pieces, one row at a time: a 10 000-series
        summary is never whole in memory as JSON objects or text."""
        encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
        return encoder.iterencode(_LazyJson(self))

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "RunSummary":
        return take(
            cls,
            raw,
            data=tuple(DataSource.from_json(d) for d in raw.get("data", ())),
            pull=PullSummary.from_json(raw.get("pull") or {}),
            validation=ValidationSummary.from_json(raw.get("validation") or {}),
            series=tuple(_typed(SeriesRow, raw.get("series", ()))),
            scenarios=tuple(_typed(ScenarioRow, raw.get("scenarios", ()))),
            warnings=tuple(SeriesWarning.from_json(w) for w in raw.get("warnings", ())),
            changes=tuple(Change.from_json(c) for c in raw.get("changes", ())),
            early_warnings=EarlyWarnings.from_json(raw.get("early_warnings") or {}),
            calibration=(
                tuple(CalibrationCheck.from_json(c) for c in raw["calibration"]) if "calibration" in raw else None
            ),
        )


def _typed(cls, rows):
    return (row if isinstance(row, cls) else cls.from_json(row) for row in rows)


def _consumed(rows: list, cls) -> list:
    """The parsed ``rows`` as ``cls``, each parsed object let go of as it is
    converted: the dicts and the rows are never all held at once (a 10 000-series
    summary read back was the run's peak)."""
    out = []
    for i, row in enumerate(rows):
        rows[i] = None
        out.append(cls.from_json(row))
    return out


class _LazyRows(list):
    """A list to ``json`` that makes each row's object as it is encoded."""

    def __init__(self, rows):
        super().__init__([None])  # non-empty: the encoder then iterates
        self._rows = rows

    def __iter__(self):
        return (row.to_json() for row in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)


class _LazyJson(dict):
    """RunSummary.to_json, the long lists (series, scenarios) encoded row by row."""

    def __init__(self, summary: RunSummary):
        whole = summary.with_(series=(), scenarios=()).to_json()
        whole["series"] = _LazyRows(summary.series)
        whole["scenarios"] = _LazyRows(summary.scenarios)
        super().__init__(whole)


def read_summary(text: str, row_fields: frozenset[str] | None = None) -> dict:
    """A summary.json's content, with equal strings in its objects shared: as
    parsed, every row has its own copy of the same indicator, model, status and
    region id strings (a 10 000-series summary: 50 -> 29 MB of objects).

    With ``row_fields``, every row in it (any object with a ``region_id``:
    series, scenario, warning and change rows) keeps only those fields, dropped
    as the text is parsed: a run reads its previous summary while it holds its
    own rows."""
    shared: dict[str, str] = {}

    def build(pairs: list[tuple[str, Any]]) -> dict:
        obj = {k: shared.setdefault(v, v) if type(v) is str else v for k, v in pairs}
        if row_fields is not None and "region_id" in obj:
            return {k: v for k, v in obj.items() if k in row_fields}
        return obj

    return json.loads(text, object_pairs_hook=build)


# What a summary read with ``row_fields`` keeps besides its identity: its series rows.
_TRIMMED_AWAY = ("scenarios", "warnings", "changes", "early_warnings")


def read_run_summary(text: str, row_fields: frozenset[str] | None = None) -> RunSummary:
    """A summary.json as a RunSummary. With ``row_fields`` (see read_summary), a
    summary read for a comparison: its identity and its series rows with those
    fields only; its scenario, warning and change rows are not kept."""
    raw = read_summary(text, row_fields)
    if row_fields is not None:
        raw = {k: v for k, v in raw.items() if k not in _TRIMMED_AWAY}
    for key, cls in (("series", SeriesRow), ("scenarios", ScenarioRow)):
        if isinstance(raw.get(key), list):
            raw[key] = _consumed(raw[key], cls)
    return RunSummary.from_json(raw)


def load_run_summary(path: Path, row_fields: frozenset[str] | None = None) -> RunSummary:
    return read_run_summary(path.read_text(encoding="utf-8"), row_fields)
