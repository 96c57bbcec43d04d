"""What the flows return (a RunOutcome: the typed summary and where its files
are), never walked by Prefect; a summary read back shares its equal strings."""

import json
import pickle
from pathlib import Path

from prefect.utilities.collections import visit_collection

from flows.publish import RunOutcome
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import read_summary, RunSummary


def test_prefect_does_not_walk_into_a_run_outcome():
    summary = RunSummary(series=(SeriesRow("r", "co2_emissions", backtest={"mase": 1.0}),))
    visited = []
    visit_collection(RunOutcome(summary, Path("s.json"), Path("r.html")), visit_fn=visited.append, return_data=False)
    assert len(visited) == 1  # the outcome itself, none of its rows
    visited.clear()
    visit_collection(summary, visit_fn=visited.append, return_data=False)
    assert len(visited) > 5  # a dataclass is walked object by object, as a dict is


def test_a_run_outcome_reads_by_attribute_and_pickles():
    summary = RunSummary(run_id="abc", series=(SeriesRow("r", "co2_emissions"),))
    outcome = RunOutcome(summary, Path("s.json"), Path("r.html"))
    assert outcome.summary.series[0].region_id == "r" and outcome.summary_path == Path("s.json")
    back = pickle.loads(pickle.dumps(outcome))  # Prefect may persist a flow's result
    assert back.summary == summary and back.report_path == Path("r.html")
    assert repr(outcome) == "RunOutcome(run_id='abc', 1 series)"


def test_a_summary_read_back_is_the_json_with_equal_strings_shared():
    rows = [
        {"region_id": f"r{i // 2}", "indicator": ["co2_emissions", "energy_consumption"][i % 2], "model": "ses_log",
         "status": "peaked", "history": [1.5, None], "backtest": {"model": "ses_log", "mase": 1.2}, "n": i}
        for i in range(6)
    ]
    text = json.dumps({"run_id": "R1", "series": rows, "warnings": [{"region_id": "r0", "kind": "late"}]}, indent=2)
    summary = read_summary(text)
    assert summary == json.loads(text)
    assert list(summary["series"][3]) == list(rows[3])  # field order kept
    first, other = summary["series"][0], summary["series"][4]
    assert first["indicator"] is other["indicator"] and first["model"] is other["model"] is other["backtest"]["model"]
    assert summary["warnings"][0]["region_id"] is first["region_id"]
