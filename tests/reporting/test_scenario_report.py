"""The scenario comparison table and its summary.json form."""

from peakwatch.reporting.scenario_table import format_cut, format_scenario_table
from peakwatch.results import scenarios
from peakwatch.results.series import ScenarioRow, SeriesRow


def format_scenario_table_(series_rows, scenario_rows):
    return format_scenario_table([SeriesRow.from_json(r) for r in series_rows], [ScenarioRow.from_json(r) for r in scenario_rows])


def compare_scenarios(series_rows, scenario_rows):
    return scenarios.compare_scenarios(
        [SeriesRow.from_json(r) for r in series_rows], [ScenarioRow.from_json(r) for r in scenario_rows]
    )


def row(scenario=None, p=0.5, cut=None, reachable=True, error=None):
    base = {"region_id": "r", "indicator": "co2_emissions", "unit": "MtCO2", "error": error,
            "peak_year_median": 2031.0, "peak_year_p10": 2028.0, "peak_year_p90": 2061.0,
            "p_peak_by_target": p, "peak_value": 12.3}
    if scenario is None:
        return base
    base["scenario"] = scenario
    if error:
        return base  # a failed simulation has no solver answer
    base["what_it_takes"] = {"lever": "carbon_intensity_of_gdp", "probability": 0.8, "reachable": reachable,
                             "extra_cut": cut, "scenario_cut": 0.02,
                             "required_cut": None if cut is None else 0.02 + cut, "achieved_probability": 0.6}
    return base


def test_table_lists_statistical_then_scenarios_with_the_cut_needed():
    text = format_scenario_table_([row()], [row("baseline", cut=0.015), row("plan", cut=None, reachable=False)])
    assert "P ≥ 0.80" in text
    lines = text.splitlines()
    statistical = next(i for i, line in enumerate(lines) if "statistical" in line and "2031" in line)
    assert ">2060" in lines[statistical]
    assert "baseline" in lines[statistical + 1] and "needs intensity −3.5 %/yr, 1.5 points more than the scenario" in text
    assert "out of reach: P 0.60 at the largest cut tried" in text


def test_comparison_keeps_errors_and_scenario_order():
    table = compare_scenarios([row()], [row("baseline", cut=0.01), row("plan", error="boom")])
    cells = table["r"]["co2_emissions"]
    assert list(cells) == ["statistical", "baseline", "plan"]
    assert cells["plan"] == {"error": "boom"} and cells["baseline"]["extra_cut"] == 0.01


def test_a_close_call_says_the_range_of_equally_good_cuts():
    close = ScenarioRow.from_json(row("plan", cut=0.014) | {"what_it_takes": {
        **row("plan", cut=0.014)["what_it_takes"], "close_call": True, "noise_range": [0.011, 0.067]}})
    assert format_cut(ScenarioRow.from_json(row("baseline", cut=0.015))) == "needs intensity −3.5 %/yr, 1.5 points more than the scenario"
    assert format_cut(close) == (
        "needs intensity −3.4 %/yr, 1.4 points more than the scenario "
        "(close call: any extra cut of 1.1–6.7 points gives P about 0.80)"
    )
    assert compare_scenarios([row()], [row("plan", cut=0.014) | {"what_it_takes": close.what_it_takes.to_json()}])[
        "r"]["co2_emissions"]["plan"]["close_call"] is True
