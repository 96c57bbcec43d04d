"""Which warnings to announce this run, given what was announced before.

Pure logic: summary rows and the saved warning state in, a ``Decision`` out.
Per series (region x indicator x scenario), against the state saved by the
last successful run:

- ``late``: no earlier state, and P(peak <= target) is below the threshold;
- ``crossed``: on time before, late now;
- ``drift``: late before and now, and the median peak year moved later by at
  least ``drift_years``, or P(peak <= target) fell by more than ``p_drop``,
  since the values of the series' last warning (not the last run: a series
  that worsens a little every month adds up to a warning). A series on time,
  or back on time, is not warned about however it moves.

A series that stays late without such a change is listed as still late, not
announced again. A warning is announced once, whatever its delivery: a
notification block that did not receive it is owed it (``owed``, per block),
and the next runs send it to that block only, while the series stays late and
nothing newer is said about it.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from forecasting.peaks import format_peak_year
from peakwatch.results.notices import Alert, BackOnTime, LateSeries
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow

STATE_VERSION = 1
# Drift headlines, by the rule that fired.
DRIFT_RULES = {"peak_later": "projected peak drifted later", "p_fell": "P(peak <= {target}) fell"}


class Rule(Protocol):
    """When one series warns (config.WarningRule): ``late`` below the threshold, ``drift`` on a move."""

    p_peak_threshold: float
    drift_years: float
    p_drop: float


def describe_alert(alert: Alert) -> str:
    """One line, the same in the webhook message, the artifact and the summary."""
    who = f"{alert.name_en} ({alert.region_id}) {alert.indicator} [{alert.scenario}]"
    if alert.peak_year_median_old is None:
        values = (
            f"median peak {format_peak_year(alert.peak_year_median_new)}, "
            f"P(peak <= {alert.target_year}) {alert.p_peak_by_target_new:.2f}"
        )
    else:
        values = (
            f"median peak {format_peak_year(alert.peak_year_median_old)} -> "
            f"{format_peak_year(alert.peak_year_median_new)}, P(peak <= {alert.target_year}) "
            f"{alert.p_peak_by_target_old:.2f} -> {alert.p_peak_by_target_new:.2f}"
        )
    if alert.kind == "drift":
        headline = " and ".join(DRIFT_RULES[rule].format(target=alert.target_year) for rule in alert.drifted)
    else:
        headline = {
            "late": f"late for its {alert.target_year} target",
            "crossed": f"crossed from on time to late for {alert.target_year}",
        }[alert.kind]
    return (
        f"{alert.kind.upper():<7} {who}: {headline}; {values} (threshold {alert.threshold:.2f}); "
        f"likely cause: {'; '.join(alert.causes)}"
    )


@dataclass(frozen=True)
class Decision:
    alerts: tuple[Alert, ...]
    still_late: tuple[LateSeries, ...]
    back_on_time: tuple[BackOnTime, ...]
    entries: dict[str, dict] = field(default_factory=dict)  # this run's state per series


def state_key(region_id: str, indicator: str, scenario: str) -> str:
    return f"{region_id}|{indicator}|{scenario}"


def explain_change(old: dict | None, new: dict, run: dict, previous_run: dict) -> tuple[str, ...]:
    """Likely causes, most specific first: data, model, then config or code."""
    if old is None:
        return ("first assessment of this series",)
    causes = []
    if new["last_observed_year"] > old["last_observed_year"]:
        causes.append(f"new data years {year_span([old['last_observed_year'] + 1, new['last_observed_year']])}")
    elif new["last_observed_year"] < old["last_observed_year"]:
        causes.append(f"data now ends {new['last_observed_year']} (was {old['last_observed_year']})")
    revised = revised_years(old, new)
    if revised:
        years, change = revised
        causes.append(f"revised history {year_span(years)} ({len(years)} year(s), largest change {change:+.1%})")
    if new.get("model") != old.get("model"):
        causes.append(f"model switch {old.get('model')} -> {new.get('model')}")
    if not causes:
        if run.get("config_hash") != previous_run.get("config_hash"):
            causes.append("configuration changed")
        if run.get("code_version") != previous_run.get("code_version"):
            causes.append(f"code changed ({previous_run.get('code_version')} -> {run.get('code_version')})")
    return tuple(causes) or ("no change in data, model, configuration or code found",)


def year_span(years: list[int]) -> str:
    return f"{years[0]}" if years[0] == years[-1] else f"{years[0]}-{years[-1]}"


def revised_years(old: dict, new: dict) -> tuple[list[int], float] | None:
    """Years both runs observed whose values changed, and the largest relative change."""
    before = dict(zip(range(old["first_year"], old["first_year"] + len(old["history"])), old["history"]))
    after = dict(zip(range(new["first_year"], new["first_year"] + len(new["history"])), new["history"]))
    changed, largest = [], 0.0
    for year in sorted(before.keys() & after.keys()):
        a, b = before[year], after[year]
        if a is None or b is None or a != a or b != b:  # missing (NaN) in either run
            continue
        if abs(b - a) > 1e-9 * max(abs(a), 1.0):
            changed.append(year)
            rel = (b - a) / a if a else float("inf")
            largest = rel if abs(rel) > abs(largest) else largest
    return (changed, largest) if changed else None


def series_entry(row: SeriesRow, history: Sequence[float | None], late: bool) -> dict:
    """What the state remembers about one series after a run."""
    return {
        "late": late,
        "target_year": row.target_year,
        "peak_year_median": row.peak_year_median,
        "p_peak_by_target": row.p_peak_by_target,
        "model": row.model,
        "first_year": row.first_year,
        "last_observed_year": row.last_observed_year,
        "history": [None if v != v else v for v in history],  # NaN is not JSON
    }


def decide_alerts(
    rows: Sequence[SeriesRow],
    histories: Mapping[tuple[str, str], Sequence[float]],
    state: dict,
    rule_for: Callable[[str], Rule],
    run: dict,
) -> Decision:
    """Compare each forecast row with the saved state and decide what to announce.

    ``rule_for``: a region's warning rule; ``run`` carries run_id, run_date,
    config_hash and code_version of this run; ``state`` is what ``next_state``
    returned last time (or {}).
    """
    saved = state.get("series", {})
    alerts, still_late, back_on_time, entries = [], [], [], {}
    for row in rows:
        if row.error:
            continue
        scenario = row.scenario or DEFAULT_SCENARIO
        key = state_key(row.region_id, row.indicator, scenario)
        rule = rule_for(row.region_id)
        late = row.p_peak_by_target < rule.p_peak_threshold
        old = saved.get(key)
        entry = series_entry(row, histories.get((row.region_id, row.indicator), ()), late)
        entry["last_warning"] = (old or {}).get("last_warning")
        entries[key] = entry
        kind, drifted, shown = _assess(row, old, late, rule)
        if kind is None:
            if late:
                since = (entry["last_warning"] or {}).get("run_date")
                still_late.append(LateSeries(row.region_id, row.indicator, scenario, since, row.p_peak_by_target))
            elif old is not None and old["late"]:
                back_on_time.append(BackOnTime(row.region_id, row.indicator, scenario, row.p_peak_by_target))
            continue
        alert = Alert(
            kind=kind,
            region_id=row.region_id,
            name_en=row.name_en or row.region_id,
            indicator=row.indicator,
            scenario=scenario,
            target_year=row.target_year,
            threshold=rule.p_peak_threshold,
            peak_year_median_old=shown.get("peak_year_median"),
            peak_year_median_new=row.peak_year_median,
            p_peak_by_target_old=shown.get("p_peak_by_target"),
            p_peak_by_target_new=row.p_peak_by_target,
            causes=explain_change(old, entry, run, state.get("run", {})),
            drifted=drifted,
        )
        alerts.append(replace(alert, message=describe_alert(alert)))
    return Decision(tuple(alerts), tuple(still_late), tuple(back_on_time), entries)


def _assess(row: SeriesRow, old: dict | None, late: bool, rule: Rule) -> tuple[str | None, tuple[str, ...], dict]:
    """(the alert's kind or None, the drift rules that fired, the old values the alert shows)."""
    if old is None:
        return ("late" if late else None), (), {}
    if late and not old["late"]:
        return "crossed", (), old
    if not late:
        return None, (), old
    reference = announced(old)
    drifted = tuple(
        name for name, fired in (
            ("peak_later", row.peak_year_median - reference["peak_year_median"] >= rule.drift_years),
            ("p_fell", reference["p_peak_by_target"] - row.p_peak_by_target > rule.p_drop),
        ) if fired
    )
    return ("drift", drifted, reference) if drifted else (None, (), old)


def announced(old: dict) -> dict:
    """The values a late series' drift is measured from: those of its last
    warning, or (a state saved before warnings kept them, or no warning yet)
    the last run's."""
    warning = old.get("last_warning") or {}
    return warning if "peak_year_median" in warning else old


def next_state(state: dict, decision: Decision, run: dict, owed: dict[str, list[dict]] | None = None) -> dict:
    """The state to save with this run.

    Every series forecast this run is saved as assessed now; those with an
    alert remember it as their last warning whatever its delivery, so an
    unchanged series is never announced as new again (a block that did not
    receive it is owed it: ``next_owed``). Series not forecast this run keep
    their old entry.
    """
    series = dict(state.get("series", {}))
    alerted = {state_key(*a.key): a for a in decision.alerts}
    for key, entry in decision.entries.items():
        if key in alerted:
            warning = {
                "kind": alerted[key].kind, "run_id": run["run_id"], "run_date": run["run_date"],
                # what the next drift is measured from
                "peak_year_median": entry["peak_year_median"], "p_peak_by_target": entry["p_peak_by_target"],
            }
            entry = {**entry, "last_warning": warning}
        series[key] = entry
    return {"version": STATE_VERSION, "run": run, "series": series, "owed": owed or {}}


def owed_to(block: str, state: dict, decision: Decision) -> list[dict]:
    """Warnings announced by earlier runs that ``block`` did not receive and
    that are still news: the series is still late (or not forecast this run)
    and has no new warning this run (which every block gets anyway)."""
    alerted = {state_key(*a.key) for a in decision.alerts}
    owed = []
    for item in state.get("owed", {}).get(block, []):
        entry = decision.entries.get(item["key"])
        if item["key"] not in alerted and (entry is None or entry["late"]):
            owed.append(item)
    return owed


def next_owed(state: dict, decision: Decision, received: Mapping[str, bool | None], run: dict) -> dict[str, list[dict]]:
    """What each block is owed after this run. ``received``: every configured
    block -> True (it got its message this run, or had nothing to get), False
    (its delivery failed) or None (no such block: not configured, owed
    nothing). A block that got its message is owed nothing: the message
    carried what it was owed. One whose delivery failed keeps what it is still
    owed and is owed this run's alerts too. Blocks no longer configured are
    forgotten."""
    announced = [
        {"key": state_key(*a.key), "message": a.message, "run_id": run["run_id"], "run_date": run["run_date"]}
        for a in decision.alerts
    ]
    owed = {}
    for block, got in received.items():
        items = owed_to(block, state, decision) + announced if got is False else []
        if items:
            owed[block] = items
    return owed
