"""RunSummary: what the flows return, read like a dict, never walked by Prefect."""

import pickle

from prefect.utilities.collections import visit_collection

from flows.summary import RunSummary


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
