"""The whole monthly flow on the embedded default, on real components: the
ephemeral Prefect server, a Dask LocalCluster with two worker processes, a
SQLite MLflow store and the GX suite."""

import json

import pytest
from mlflow import MlflowClient

from peakwatch.tracking.layout import CHILD_KIND, KIND_TAG, PARENT_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]

METRICS = {"peak_year_median", "peak_year_p10", "peak_year_p90", "p_peak_by_target", "peak_value"}


@pytest.fixture(scope="module")
def two_runs(default_runs_dir):
    return default_runs_dir, MlflowClient(f"sqlite:///{default_runs_dir / 'mlflow.db'}")


def parent_runs(client):
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    runs = client.search_runs(
        [experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'", order_by=["attributes.start_time ASC"]
    )
    return experiment, runs


def test_each_run_logs_a_parent_and_a_child_per_region_and_indicator(two_runs):
    artifacts, client = two_runs
    experiment, parents = parent_runs(client)
    assert len(parents) == 2
    for parent in parents:
        assert parent.info.status == "FINISHED"
        for tag in ("data_sha256", "config_hash", "code_version", "prefect_flow_run_id"):
            assert parent.data.tags[tag]
        children = client.search_runs(
            [experiment.experiment_id],
            f"tags.mlflow.parentRunId = '{parent.info.run_id}' and tags.`{KIND_TAG}` = '{CHILD_KIND}'",
        )
        assert len(children) == 10  # 5 seed regions x 2 indicators
        assert {(r.data.tags["region_id"], r.data.tags["indicator"]) for r in children} == {
            (region, indicator)
            for region in (
                "hunan.yueyang",
                "hunan.yueyang.pingjiang",
                "hunan.zhuzhou",
                "hunan.yongzhou.jiangyong",
                "hunan.hengyang.leiyang",
            )
            for indicator in ("energy_consumption", "co2_emissions")
        }
        for child in children:
            assert METRICS <= set(child.data.metrics)


def test_summary_json_agrees_with_mlflow(two_runs):
    artifacts, client = two_runs
    experiment, parents = parent_runs(client)
    for parent in parents:
        summary = json.loads((artifacts / "runs" / parent.info.run_id / "summary.json").read_text())
        assert summary["run_id"] == parent.info.run_id
        children = client.search_runs(
            [experiment.experiment_id],
            f"tags.mlflow.parentRunId = '{parent.info.run_id}' and tags.`{KIND_TAG}` = '{CHILD_KIND}'",
        )
        by_key = {(r.data.tags["region_id"], r.data.tags["indicator"]): r.data.metrics for r in children}
        for row in summary["series"]:
            metrics = by_key[(row["region_id"], row["indicator"])]
            for name in METRICS:
                assert metrics[name] == pytest.approx(row[name])
        late = {(w["region_id"], w["indicator"]) for w in summary["warnings"]}
        assert late == {(r["region_id"], r["indicator"]) for r in summary["series"] if r["p_peak_by_target"] < 0.5}
        assert parent.data.metrics["warnings"] == len(summary["warnings"])
        # the run scored itself on its own panel (5 and 7 years before its last year), in both places
        assert [(c["window"], c["series"]) for c in summary["calibration"]] == [(5, 10), (7, 10)]
        for check in summary["calibration"]:
            k = check["window"]
            assert parent.data.metrics[f"calibration_k{k}_brier_engine"] == pytest.approx(check["brier"]["engine"])
            assert parent.data.metrics[f"calibration_k{k}_cut_year"] == check["cut"]
        page = (artifacts / "runs" / parent.info.run_id / "report.html").read_text(encoding="utf-8")
        assert f"Cut {summary['calibration'][0]['cut']}: no new high" in page


def test_second_run_compares_with_the_first(two_runs):
    artifacts, client = two_runs
    _, (first, second) = parent_runs(client)
    summary = json.loads((artifacts / "runs" / second.info.run_id / "summary.json").read_text())
    assert summary["previous_run_id"] == first.info.run_id
    # Same snapshot, same seeds: the projections must be identical, so nothing changed.
    assert summary["changes"] == []
    first_summary = json.loads((artifacts / "runs" / first.info.run_id / "summary.json").read_text())
    assert first_summary["previous_run_id"] is None
    assert [r["peak_year_median"] for r in summary["series"]] == [r["peak_year_median"] for r in first_summary["series"]]


def test_raw_input_is_snapshotted_by_sha256(two_runs):
    artifacts, client = two_runs
    _, parents = parent_runs(client)
    sha = parents[0].data.tags["data_sha256"]
    assert (artifacts / "raw" / f"{sha}.csv").exists()
    manifest = [json.loads(line) for line in (artifacts / "raw" / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 2 and {m["sha256"] for m in manifest} == {sha}
