"""Which warnings are announced: late / crossed / drift, once per change."""

import math

from peakwatch.config import RuleOverride, WarningConfig
from peakwatch.results import early_warnings
from peakwatch.results.early_warnings import describe_alert, next_state, revised_years
from peakwatch.results.series import SeriesRow


def decide_alerts(rows, histories, state, rules: WarningConfig, run):
    """The decision on rows as summary.json holds them, with the config's rules."""
    return early_warnings.decide_alerts([SeriesRow.from_json(r) for r in rows], histories, state, rules.rule_for, run)

RULES = WarningConfig(p_peak_threshold=0.5, drift_years=1, p_drop=0.1)
HISTORY = (10.0, 11.0, 12.0, 12.5)


def row(region="r.a", p=0.8, median=2025.0, last=2023, model="ets", indicator="co2_emissions"):
    return {
        "region_id": region, "name_en": region.upper(), "indicator": indicator, "target_year": 2030,
        "p_peak_by_target": p, "peak_year_median": median, "model": model,
        "first_year": last - len(HISTORY) + 1, "last_observed_year": last, "error": None,
    }


def run_info(n: int, config_hash="c1") -> dict:
    return {"run_id": f"run{n}", "run_date": f"2026-0{n}-01T06:00:00+00:00", "config_hash": config_hash, "code_version": "0.1"}


def advance(rows, state, n, histories=None, rules=RULES, received=None):
    """One run: its decision and the state it saves; ``received``: block -> delivered (None: no such block)."""
    histories = histories or {(r["region_id"], r["indicator"]): HISTORY for r in rows}
    decision = decide_alerts(rows, histories, state, rules, run_info(n))
    owed = early_warnings.next_owed(state, decision, received or {}, run_info(n))
    return decision, next_state(state, decision, run_info(n), owed)


def kinds(decision):
    return [(a.kind, a.region_id) for a in decision.alerts]


def test_first_assessment_announces_only_late_series():
    decision, _ = advance([row("r.a", p=0.8), row("r.b", p=0.2)], {}, 1)
    assert kinds(decision) == [("late", "r.b")]
    assert decision.alerts[0].causes == ("first assessment of this series",)


def test_crossing_is_announced_once_then_listed_as_still_late():
    _, state = advance([row(p=0.8)], {}, 1)
    crossed, state = advance([row(p=0.3, median=2033)], state, 2)
    assert kinds(crossed) == [("crossed", "r.a")]
    alert = crossed.alerts[0]
    assert (alert.p_peak_by_target_old, alert.p_peak_by_target_new) == (0.8, 0.3)
    assert (alert.peak_year_median_old, alert.peak_year_median_new) == (2025, 2033)
    again, state = advance([row(p=0.3, median=2033)], state, 3)
    assert again.alerts == ()
    assert [(s.region_id, s.since) for s in again.still_late] == [("r.a", run_info(2)["run_date"])]


def test_drift_on_a_later_median_or_a_falling_probability():
    _, state = advance([row(p=0.3, median=2035)], {}, 1)
    small, _ = advance([row(p=0.25, median=2035.5)], state, 2)
    assert small.alerts == ()  # half a year and 0.05 are below the rules
    by_year, _ = advance([row(p=0.3, median=2036)], state, 2)
    assert kinds(by_year) == [("drift", "r.a")]
    by_p, _ = advance([row(p=0.15, median=2035)], state, 2)
    assert kinds(by_p) == [("drift", "r.a")]
    earlier, _ = advance([row(p=0.45, median=2031)], state, 2)
    assert earlier.alerts == ()


def test_no_drift_warning_for_a_series_on_time_or_back_on_time():
    _, on_time = advance([row(p=0.99, median=2024)], {}, 1)
    slipping, _ = advance([row(p=0.88, median=2024)], on_time, 2)  # P fell by 0.11, still on time
    assert slipping.alerts == () and slipping.back_on_time == ()
    rules = RULES.model_copy(update={"regions": {"r.a": RuleOverride(p_peak_threshold=0.6)}})
    _, late = advance([row(p=0.55, median=2029)], {}, 1, rules=rules)
    back, _ = advance([row(p=0.65, median=2030)], late, 2, rules=rules)  # median a year later, but on time now
    assert back.alerts == ()
    assert [s.region_id for s in back.back_on_time] == ["r.a"]


def test_a_drift_headline_names_the_rule_that_fired():
    _, state = advance([row(p=0.3, median=2035)], {}, 1)
    by_p, _ = advance([row(p=0.15, median=2035)], state, 2)
    by_year, _ = advance([row(p=0.3, median=2036)], state, 2)
    by_both, _ = advance([row(p=0.15, median=2036)], state, 2)
    headline = lambda d: describe_alert(d.alerts[0]).split(": ", 1)[1].split(";")[0]  # noqa: E731
    assert headline(by_p) == "P(peak <= 2030) fell"
    assert headline(by_year) == "projected peak drifted later"
    assert headline(by_both) == "projected peak drifted later and P(peak <= 2030) fell"


def test_slow_drift_adds_up_since_the_last_warning():
    # each run moves less than the rules (0.9 years, P -0.08), six runs move 4.5 years and P -0.40
    steps = [(0.45 - 0.08 * i, 2031 + 0.9 * i) for i in range(6)]
    state, announced = {}, []
    for n, (p, median) in enumerate(steps, start=1):
        decision, state = advance([row(p=p, median=median)], state, n)
        announced += [(n, a.kind, a.peak_year_median_old, a.p_peak_by_target_old) for a in decision.alerts]
    # each drift is measured, and shown, from the values of the warning before it
    assert [(n, kind) for n, kind, *_ in announced] == [(1, "late"), (3, "drift"), (5, "drift")]
    assert announced[1][2:] == (steps[0][1], steps[0][0]) and announced[2][2:] == (steps[2][1], steps[2][0])
    assert [s.region_id for s in decision.still_late] == ["r.a"]


def test_a_state_saved_without_warning_values_measures_drift_from_the_last_run():
    _, state = advance([row(p=0.3, median=2035)], {}, 1)
    for entry in state["series"].values():  # as saved before warnings kept their values
        entry["last_warning"] = {k: entry["last_warning"][k] for k in ("kind", "run_id", "run_date")}
    small, _ = advance([row(p=0.25, median=2035.5)], state, 2)
    by_year, _ = advance([row(p=0.3, median=2036)], state, 2)
    assert (small.alerts, kinds(by_year)) == ((), [("drift", "r.a")])


def test_back_on_time_is_listed_not_announced():
    _, state = advance([row(p=0.3)], {}, 1)
    decision, _ = advance([row(p=0.9, median=2020)], state, 2)
    assert decision.alerts == ()
    assert [s.region_id for s in decision.back_on_time] == ["r.a"]


def test_region_overrides_change_the_threshold():
    rules = RULES.model_copy(update={"regions": {"r.b": RuleOverride(p_peak_threshold=0.9)}})
    decision, _ = advance([row("r.a", p=0.8), row("r.b", p=0.8)], {}, 1, rules=rules)
    assert kinds(decision) == [("late", "r.b")]
    assert decision.alerts[0].threshold == 0.9
    assert rules.rule_for("r.a").p_peak_threshold == 0.5


def test_an_undelivered_warning_is_not_announced_again_but_owed_to_the_block_that_failed():
    """Whatever the delivery (failed, or no block at all), an unchanged series
    is announced once; only a block whose delivery failed is owed it."""
    _, state = advance([row(p=0.8)], {}, 1)
    first, state = advance([row(p=0.3)], state, 2, received={"hook/a": False, "hook/b": True, "hook/gone": None})
    assert kinds(first) == [("crossed", "r.a")]
    assert [item["message"] for item in state["owed"]["hook/a"]] == [first.alerts[0].message]
    assert set(state["owed"]) == {"hook/a"}  # the block that had it and the block that does not exist: nothing
    second, state = advance([row(p=0.3)], state, 3, received={"hook/a": False})
    assert second.alerts == () and [s.region_id for s in second.still_late] == ["r.a"]
    assert early_warnings.owed_to("hook/a", state, second) == state["owed"]["hook/a"]  # still owed, once
    assert len(state["owed"]["hook/a"]) == 1
    third, state = advance([row(p=0.3)], state, 4, received={"hook/a": True})
    assert third.alerts == () and state["owed"] == {}


def test_no_block_configured_still_announces_once():
    _, state = advance([row(p=0.3)], {}, 1, received={})
    again, _ = advance([row(p=0.3)], state, 2, received={})
    assert again.alerts == () and state["owed"] == {}


def test_series_missing_from_a_run_keep_their_state():
    _, state = advance([row("r.a", p=0.3), row("r.b", p=0.3)], {}, 1)
    _, state = advance([row("r.a", p=0.3)], state, 2)
    back, _ = advance([row("r.a", p=0.3), row("r.b", p=0.3)], state, 3)
    assert back.alerts == ()


def test_causes_name_new_years_revised_history_and_model_switch():
    _, state = advance([row(p=0.8)], {}, 1)
    new_history = (10.0, 11.0, 13.2, 12.5, 13.0)  # 2022 revised by +10 %, 2024 new
    decision, _ = advance(
        [row(p=0.3, last=2024, model="drift") | {"first_year": 2020}],
        state, 2, histories={("r.a", "co2_emissions"): new_history},
    )
    causes = decision.alerts[0].causes
    assert causes[0] == "new data years 2024"
    assert causes[1] == "revised history 2022 (1 year(s), largest change +10.0%)"
    assert causes[2] == "model switch ets -> drift"


def test_unexplained_change_points_at_configuration():
    _, state = advance([row(p=0.8)], {}, 1)
    decision = decide_alerts([row(p=0.3)], {("r.a", "co2_emissions"): HISTORY}, state, RULES, run_info(2, "c2"))
    assert decision.alerts[0].causes == ("configuration changed",)


def test_revised_years_ignores_missing_values():
    old = {"first_year": 2000, "history": [1.0, None, 3.0]}
    new = {"first_year": 2000, "history": [1.0, 2.0, math.nan]}
    assert revised_years(old, new) is None


def test_message_names_region_indicator_scenario_values_and_cause():
    _, state = advance([row(p=0.8)], {}, 1)
    decision, _ = advance([row(p=0.3, median=2033)], state, 2)
    assert decision.alerts[0].message == describe_alert(decision.alerts[0]) == (
        "CROSSED R.A (r.a) co2_emissions [statistical]: crossed from on time to late for 2030; "
        "median peak 2025 -> 2033, P(peak <= 2030) 0.80 -> 0.30 (threshold 0.50); "
        "likely cause: no change in data, model, configuration or code found"
    )
