"""The watched series: their peak numbers as metrics of the parent run, so
that the MLflow compare view of two monthly parent runs answers "did
Yueyang's peak move?" row by row, and which series get a child run.

A watched series' metrics are ``<region>.<indicator>.<statistic>``, e.g.
``yueyang.co2.peak_year``: the region is the last part of its id (the whole id
where two watched regions share that part), the indicator a short name.
MLflow keys may hold letters, digits, ``_ - . /`` and spaces; anything else
becomes ``_``.
"""

import re
from collections.abc import Iterable, Sequence

from peakwatch.contract import CO2, ELECTRICITY, ENERGY
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow

INDICATOR_LABELS = {CO2: "co2", ENERGY: "energy", ELECTRICITY: "electricity"}
# metric suffix -> (summary row field, what it is)
WATCHED_STATISTICS = {
    "peak_year": ("peak_year_median", "median peak year of the simulated paths (2061: still rising in 2060)"),
    "peak_year_p10": ("peak_year_p10", "10 % of paths peak by this year"),
    "peak_year_p90": ("peak_year_p90", "90 % of paths peak by this year (2061: more than 10 % still rising in 2060)"),
    "p_peak_by_target": ("p_peak_by_target", "P(peak <= the region's target year)"),
}
_NOT_IN_KEYS = re.compile(r"[^\w.\- /]")  # MLflow's metric names, without the colon Windows refuses

Key = tuple[str, str]  # region_id, indicator


def region_labels(region_ids: Iterable[str]) -> dict[str, str]:
    """region id -> its label in metric keys: the id's last part, or the whole id
    where two of ``region_ids`` end alike."""
    ids = list(dict.fromkeys(region_ids))
    last = [region_id.rsplit(".", 1)[-1] for region_id in ids]
    return {region_id: tail if last.count(tail) == 1 else region_id for region_id, tail in zip(ids, last)}


def metric_prefix(region_label: str, indicator: str) -> str:
    """``yueyang.co2``: the start of a watched series' metric keys."""
    return _NOT_IN_KEYS.sub("_", f"{region_label}.{INDICATOR_LABELS.get(indicator, indicator)}")


def watched_series(rows: Sequence[SeriesRow], regions: Sequence[str], cap: int) -> tuple[list[SeriesRow], int]:
    """The statistical rows of the watched ``regions`` (in that order, then by
    indicator), at most ``cap`` of them, and how many were left out by the cap."""
    order = {region_id: i for i, region_id in enumerate(dict.fromkeys(regions))}
    found = [
        row for row in rows
        if row.region_id in order and (row.scenario or DEFAULT_SCENARIO) == DEFAULT_SCENARIO
    ]
    found.sort(key=lambda row: (order[row.region_id], row.indicator))
    return found[:cap], max(len(found) - cap, 0)


def watched_metrics(watched: Sequence[SeriesRow]) -> dict[str, float]:
    """The parent run's metrics of the ``watched`` rows (watched_series); a series
    that could not be forecast has none."""
    labels = region_labels(row.region_id for row in watched)
    metrics = {}
    for row in watched:
        if not row.has_peaks:
            continue
        prefix = metric_prefix(labels[row.region_id], row.indicator)
        for suffix, (field, _) in WATCHED_STATISTICS.items():
            metrics[f"{prefix}.{suffix}"] = float(getattr(row, field))
    return metrics


def child_run_series(
    rows: Sequence[SeriesRow], watched: Iterable[SeriesRow], charted: set[Key] | None, all_up_to: int
) -> set[Key] | None:
    """The (region_id, indicator) whose child runs are logged: every series
    (None) in a panel of at most ``all_up_to`` statistical series; else the
    watched ones and the ``charted`` ones (their tables redraw the report:
    ``peakwatch report``)."""
    statistical = sum((row.scenario or DEFAULT_SCENARIO) == DEFAULT_SCENARIO for row in rows)
    if statistical <= all_up_to or charted is None:
        return None
    return {(row.region_id, row.indicator) for row in watched} | charted
