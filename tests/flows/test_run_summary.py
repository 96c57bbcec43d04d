"""RunSummary: what the flows return, read like a dict, never walked by Prefect."""

import json
import pickle

from prefect.utilities.collections import visit_collection

from peakwatch.results.summary import RunSummary, read_summary


def test_prefect_does_not_walk_into_a_run_summary():
    rows = [{"region_id": "r", "backtests": [{"mase": 1.0}]}]
    visited = []
    visit_collection(RunSummary({"series": rows}), visit_fn=visited.append, return_data=False)
    assert len(visited) == 1  # the summary itself, none of its rows
    visited.clear()
    visit_collection({"series": rows}, visit_fn=visited.append, return_data=False)
    assert len(visited) > 5  # a plain dict is walked object by object


def test_a_run_summary_reads_like_the_dict_it_wraps_and_pickles():
    data = {"run_id": "abc", "series": [{"region_id": "r"}], "warnings": []}
    summary = RunSummary(data)
    assert summary == data and dict(summary) == data and {**summary} == data
    assert summary["series"][0]["region_id"] == "r" and summary.get("missing") is None
    assert pickle.loads(pickle.dumps(summary)) == data  # Prefect may persist a flow's result
    assert repr(summary) == "RunSummary(run_id='abc', 1 series)"


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
