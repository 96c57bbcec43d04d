"""Run-to-run changes per series: median peak year, P(peak <= target), peak
value, crossings between on time and late, and their likely causes."""

from collections.abc import Mapping, Sequence

from peakwatch.results.notices import Change
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import RunSummary

# The row fields compare_rows reads (a previous run's summary is read for these only).
COMPARED_FIELDS = frozenset(
    {
        "region_id", "indicator", "scenario", "unit", "error", "model", "model_reason",
        "peak_year_median", "p_peak_by_target", "peak_value",
        "first_year", "last_observed_year", "n_observed_years", "filled_years", "history_sha256",
    }
)
POOLING_MARK = "; pooling "  # in model_reason: the pooled parameters' fingerprint


def change_causes(old: SeriesRow, new: SeriesRow, data_changed: bool = False) -> list[str]:
    """Why a series' projection may have moved: new data years, revised data, model switch."""
    causes = []
    if new.last_observed_year != old.last_observed_year:
        causes.append(f"data now ends {new.last_observed_year} (was {old.last_observed_year})")
    if new.first_year != old.first_year and old.first_year is not None:
        causes.append(f"data now starts {new.first_year} (was {old.first_year})")
    if not causes and new.n_observed_years != old.n_observed_years and old.n_observed_years is not None:
        causes.append(f"observed years {old.n_observed_years} -> {new.n_observed_years}")
    same_years = not causes and new.filled_years == old.filled_years
    if same_years:
        if old.history_sha256 and new.history_sha256:
            if old.history_sha256 != new.history_sha256:
                causes.append("revised data (same years, different values)")
        elif data_changed:  # older summaries lack per-series digests
            causes.append("input data changed (data sha256 differs)")
    if new.model != old.model:
        causes.append(f"model {old.model} -> {new.model}")
    elif new.model_reason != old.model_reason and POOLING_MARK in (new.model_reason or ""):
        # The engine pools parameters across the panel: other series' data move this one too.
        causes.append("the panel's pooled parameters changed (other series' data)")
    return causes


def _kind(was_late: bool, is_late: bool, moved: bool, causes: list[str]) -> str:
    if is_late and not was_late:
        return "crossed to late"
    if was_late and not is_late:
        return "back on time"
    if moved:
        return "moved"
    return "input changed" if causes else "unchanged"  # input changed: new or revised data, same projection


def compare_rows(
    current: Sequence[SeriesRow],
    previous: Sequence[SeriesRow],
    threshold: float,
    include_unchanged: bool = False,
    data_changed: bool = False,
    overrides: Mapping[str, float] | None = None,
) -> list[Change]:
    """What changed per series since the previous run (new, dropped, moved, crossed).

    ``include_unchanged`` keeps the series that did not move (change "unchanged"),
    for a full side-by-side table; ``data_changed`` says the runs' input sha256
    differ, used only when rows carry no per-series data digest; ``overrides``
    are per-region thresholds.
    """
    before = {r.key: r for r in previous}
    now = {r.key: r for r in current}
    changes = []
    for key in sorted(now.keys() | before.keys()):
        old, new = before.get(key), now.get(key)
        if old is None or new is None:
            changes.append(Change(*key, change="new series" if old is None else "no longer forecast"))
            continue
        if old.error or new.error:
            if old.error != new.error:
                changes.append(Change(*key, change="forecast error changed", old=old.error, new=new.error))
            elif include_unchanged:
                changes.append(Change(*key, change="not forecast", old=old.error, new=new.error))
            continue
        causes = change_causes(old, new, data_changed)
        year_shift = new.peak_year_median - old.peak_year_median
        p_shift = new.p_peak_by_target - old.p_peak_by_target
        old_value, new_value = old.peak_value, new.peak_value
        value_moved = bool(old_value and new_value and abs(new_value / old_value - 1) >= 0.001)
        threshold_here = (overrides or {}).get(key[0], threshold)
        was_late, is_late = old.p_peak_by_target < threshold_here, new.p_peak_by_target < threshold_here
        moved = bool(year_shift or abs(p_shift) >= 0.005 or value_moved or was_late != is_late)
        if moved or causes or include_unchanged:
            changes.append(
                Change(
                    *key,
                    change=_kind(was_late, is_late, moved, causes),
                    unit=new.unit,
                    peak_year_median_old=old.peak_year_median,
                    peak_year_median_new=new.peak_year_median,
                    p_peak_by_target_old=old.p_peak_by_target,
                    p_peak_by_target_new=new.p_peak_by_target,
                    threshold=threshold_here,
                    peak_value_old=old_value,
                    peak_value_new=new_value,
                    causes=causes,
                )
            )
    return changes


def compare_summaries(
    summary_a: RunSummary, summary_b: RunSummary, threshold: float, overrides: Mapping[str, float] | None = None
) -> list[Change]:
    """Every series of either run (`peakwatch compare`), with run A's and run B's
    numbers and the causes of change; late or on time by ``threshold``, or a
    region's own (``overrides``, as the monthly run reads them)."""
    return compare_rows(
        summary_b.series,
        summary_a.series,
        threshold,
        overrides=overrides,
        include_unchanged=True,
        data_changed=summary_a.data_sha256 != summary_b.data_sha256,
    )
