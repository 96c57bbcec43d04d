"""Which series are most at risk: the order of the console table and the
report, and the series drawn as fan charts."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow
from peakwatch.results.summary import RunSummary


class RankedRow:
    """A summary row with its ``warned`` flag and the ``threshold`` its warning
    compared P with (None: not warned, or a summary from before warnings kept
    it); the row's own fields are read through, not copied (a copy of every
    row was ~1 KB a series at the run's peak: the report)."""

    __slots__ = ("row", "warned", "threshold")

    def __init__(self, row: SeriesRow, warned: bool, threshold: float | None = None):
        self.row = row
        self.warned = warned
        self.threshold = threshold

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


@dataclass(frozen=True)
class QuarantinedRow:
    """A region the validation gate kept out of the forecast: a headline row of its own."""

    region_id: str
    name_zh: str | None
    name_en: str | None
    quarantined: list[str]  # the checks at fault


def _risk(row: RankedRow) -> tuple:
    """Most at risk first: warned, then lowest P(peak <= target), then latest median
    peak year; series that could not be forecast after every forecast one."""
    if row.error:
        return (2, 0.0, 0.0)
    return (0 if row.warned else 1, row.p_peak_by_target, -row.peak_year_median)


def rank_by_risk(summary: RunSummary) -> list[RankedRow]:
    """The summary's rows of the statistical scenario, riskiest first, each with ``warned``."""
    warned = {(w.region_id, w.indicator): w.threshold for w in summary.warnings}
    rows = [
        RankedRow(row, (key := (row.region_id, row.indicator)) in warned, warned.get(key))
        for row in summary.series
        if (row.scenario or DEFAULT_SCENARIO) == DEFAULT_SCENARIO
    ]
    return sorted(rows, key=_risk)


def most_at_risk(ranked: Iterable[RankedRow], limit: int | None) -> set[tuple[str, str]] | None:
    return None if limit is None else {(r.region_id, r.indicator) for r in list(ranked)[:limit]}


def charted_series(summary: RunSummary, limit: int | None) -> set[tuple[str, str]] | None:
    """The ``limit`` statistical series most at risk, the ones drawn as fan charts
    (None: every series). Drawing costs ~0.13 s a chart: at scale, the run's most."""
    return None if limit is None else most_at_risk(rank_by_risk(summary), limit)


def quarantined_rows(summary: RunSummary, names: dict[str, tuple[str, str]]) -> list[QuarantinedRow]:
    rows = []
    for region_id, checks in summary.validation.quarantined.items():
        name_zh, name_en = names.get(region_id, (None, None))
        rows.append(QuarantinedRow(region_id, name_zh, name_en, checks))
    return rows
