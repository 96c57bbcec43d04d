"""Early warnings and run-to-run changes, computed from summary rows.

A series warns ``late`` when P(peak <= its target year) is below the threshold.
Changes against the previous run are reported per series: median peak year,
P(peak <= target), and crossings between on-time and late.
"""

from dataclasses import asdict, dataclass

from peakwatch.results.probability import format_p, format_threshold
from peakwatch.results.sigfig import significant_pair
from peakwatch.results.summary import row_key
from forecasting.peaks import format_peak_year


@dataclass(frozen=True)
class Warning:
    region_id: str
    indicator: str
    kind: str  # late
    message: str
    p_peak_by_target: float
    peak_year_median: float
    target_year: int
    threshold: float  # the region's: what p_peak_by_target was compared with

    def as_dict(self) -> dict:
        return asdict(self)


def find_warnings(rows: list[dict], threshold: float, overrides: dict[str, float] | None = None) -> list[Warning]:
    """Series whose P(peak <= target) is below the threshold (``overrides``: per region)."""
    warnings = []
    for row in rows:
        if row.get("error"):
            continue
        threshold_here = (overrides or {}).get(row["region_id"], threshold)
        if row["p_peak_by_target"] >= threshold_here:
            continue
        warnings.append(
            Warning(
                region_id=row["region_id"],
                indicator=row["indicator"],
                kind="late",
                message=(
                    f"{row.get('name_en') or row['region_id']} {row['indicator']}: "
                    f"P(peak <= {row['target_year']}) = {format_p(row['p_peak_by_target'], threshold_here)} "
                    f"< {format_threshold(threshold_here)}; "
                    f"median peak {format_peak_year(row['peak_year_median'])}"
                ),
                p_peak_by_target=row["p_peak_by_target"],
                peak_year_median=row["peak_year_median"],
                target_year=row["target_year"],
                threshold=threshold_here,
            )
        )
    return warnings


# The row fields compare_rows reads (a previous run's summary is read for these only).
COMPARED_FIELDS = frozenset(
    {
        "region_id", "indicator", "scenario", "unit", "error", "model",
        "peak_year_median", "p_peak_by_target", "peak_value",
        "first_year", "last_observed_year", "n_observed_years", "filled_years", "history_sha256",
    }
)


def change_causes(old: dict, new: dict, data_changed: bool = False) -> list[str]:
    """Why a series' projection may have moved: new data years, revised data, model switch."""
    causes = []
    if new["last_observed_year"] != old["last_observed_year"]:
        causes.append(f"data now ends {new['last_observed_year']} (was {old['last_observed_year']})")
    if new.get("first_year") != old.get("first_year") and old.get("first_year") is not None:
        causes.append(f"data now starts {new['first_year']} (was {old['first_year']})")
    if not causes and new.get("n_observed_years") != old.get("n_observed_years") and old.get("n_observed_years") is not None:
        causes.append(f"observed years {old['n_observed_years']} -> {new['n_observed_years']}")
    same_years = not causes and new.get("filled_years") == old.get("filled_years")
    if same_years:
        if old.get("history_sha256") and new.get("history_sha256"):
            if old["history_sha256"] != new["history_sha256"]:
                causes.append("revised data (same years, different values)")
        elif data_changed:  # older summaries lack per-series digests
            causes.append("input data changed (data sha256 differs)")
    if new.get("model") != old.get("model"):
        causes.append(f"model {old.get('model')} -> {new.get('model')}")
    return causes


def compare_rows(
    current: list[dict],
    previous: list[dict],
    threshold: float,
    include_unchanged: bool = False,
    data_changed: bool = False,
    overrides: dict[str, float] | None = None,
) -> list[dict]:
    """What changed per series since the previous run (new, dropped, moved, crossed).

    ``include_unchanged`` keeps the series that did not move (change "unchanged"),
    for a full side-by-side table; ``data_changed`` says the runs' input sha256
    differ, used only when rows carry no per-series data digest; ``overrides``
    are per-region thresholds.
    """
    before = {row_key(r): r for r in previous}
    now = {row_key(r): r for r in current}
    changes = []
    for key in sorted(now.keys() | before.keys()):
        old, new = before.get(key), now.get(key)
        base = {"region_id": key[0], "indicator": key[1], "scenario": key[2]}
        if old is None or new is None:
            changes.append({**base, "change": "new series" if old is None else "no longer forecast"})
            continue
        if old.get("error") or new.get("error"):
            if old.get("error") != new.get("error"):
                changes.append({**base, "change": "forecast error changed", "old": old.get("error"), "new": new.get("error")})
            elif include_unchanged:
                changes.append({**base, "change": "not forecast", "old": old.get("error"), "new": new.get("error")})
            continue
        causes = change_causes(old, new, data_changed)
        year_shift = new["peak_year_median"] - old["peak_year_median"]
        p_shift = new["p_peak_by_target"] - old["p_peak_by_target"]
        old_value, new_value = old.get("peak_value"), new.get("peak_value")
        value_moved = bool(old_value and new_value and abs(new_value / old_value - 1) >= 0.001)
        threshold_here = (overrides or {}).get(key[0], threshold)
        was_late, is_late = old["p_peak_by_target"] < threshold_here, new["p_peak_by_target"] < threshold_here
        moved = bool(year_shift or abs(p_shift) >= 0.005 or value_moved or was_late != is_late)
        if moved or causes or include_unchanged:
            changes.append(
                {
                    **base,
                    "change": "crossed to late" if is_late and not was_late
                    else "back on time" if was_late and not is_late
                    else "moved" if moved
                    else "input changed" if causes  # new or revised data, same projection
                    else "unchanged",
                    "unit": new.get("unit"),
                    "peak_year_median_old": old["peak_year_median"],
                    "peak_year_median_new": new["peak_year_median"],
                    "p_peak_by_target_old": old["p_peak_by_target"],
                    "p_peak_by_target_new": new["p_peak_by_target"],
                    "threshold": threshold_here,
                    "peak_value_old": old_value,
                    "peak_value_new": new_value,
                    "causes": causes,
                }
            )
    return changes


def format_changes(changes: list[dict]) -> str:
    if not changes:
        return "No change in any projection since the previous run."
    lines = []
    for ch in changes:
        label = f"{ch['region_id']} {ch['indicator']}: {ch['change']}"
        if "peak_year_median_old" in ch:
            label += (
                f"; median peak {format_peak_year(ch['peak_year_median_old'])} -> "
                f"{format_peak_year(ch['peak_year_median_new'])}, P(<=target) "
                f"{format_p(ch['p_peak_by_target_old'], ch.get('threshold'))} -> "
                f"{format_p(ch['p_peak_by_target_new'], ch.get('threshold'))}"
            )
            if ch.get("peak_value_old") is not None and ch.get("peak_value_new") is not None:
                old, new = significant_pair(ch["peak_value_old"], ch["peak_value_new"])
                label += f", peak value {old} -> {new}" + (f" {ch['unit']}" if ch.get("unit") else "")
            if ch["causes"]:
                label += f" ({'; '.join(ch['causes'])})"
        lines.append(label)
    return "\n".join(lines)
