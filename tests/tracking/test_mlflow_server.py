"""The monthly flow against a real `mlflow server`, run twice on input data that
differ, then `peakwatch compare` on the two runs.

Run A reads the default panel without Leiyang's last year (2023); run B reads
the full panel with Zhuzhou's CO2 for 2021-2023 revised up 5 %. Exactly those
three series may change between the runs; every other one must be identical.
"""

from pathlib import Path

import polars as pl
import pytest
import yaml
from mlflow import MlflowClient

from peakwatch import cli
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT
from peakwatch.tracking import layout as tracking, reads
from tests.flows.mlflow_server import free_port
from tests.flows.mlflow_server import mlflow_server as running_server
from tests.outcome import as_json

pytestmark = pytest.mark.integration

LEIYANG, ZHUZHOU = "hunan.hengyang.leiyang", "hunan.zhuzhou"
EXPERIMENT = "peakwatch-it"
SECRET = "s3cret-in-uri"


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    with running_server(root, free_port()) as url:
        yield url, root / "art"


def _write_config(folder: Path, name: str, panel: pl.DataFrame) -> Path:
    data = folder / f"{name}.csv"
    panel.write_csv(data)
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.update(
        run_series=EXPERIMENT,
        regions=str(PROJECT_ROOT / "configs" / "regions.yaml"),
        artifacts_dir=str(folder / f"art-{name}"),
        sources=[{"name": name, "kind": "tidy_csv", "path": str(data)}],
        dask={**raw["dask"], "n_workers": 1},  # a lighter cluster on a shared machine; results do not depend on it
        tracking={"log_threads": 2},  # exercise the threaded child-run logging against a real server
        scenarios={**raw["scenarios"], "dir": str(PROJECT_ROOT / "configs" / "scenarios")},
    )
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_runs(mlflow_server, tmp_path_factory):
    from flows.monthly import monthly_flow

    url, _ = mlflow_server
    folder = tmp_path_factory.mktemp("two-runs")
    panel = pl.read_csv(PROJECT_ROOT / "data" / "default_panel.csv")
    without_2023 = panel.filter(~((pl.col("region_id") == LEIYANG) & (pl.col("year") == 2023)))
    revise = (pl.col("region_id") == ZHUZHOU) & (pl.col("indicator") == "co2_emissions") & (pl.col("year") >= 2021)
    revised = panel.with_columns(pl.when(revise).then(pl.col("value") * 1.05).otherwise(pl.col("value")).alias("value"))
    config_a, config_b = _write_config(folder, "a", without_2023), _write_config(folder, "b", revised)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", url)
        first = as_json(monthly_flow(config_path=str(config_a), artifacts_dir=str(folder / "art-a")))
        # credentials in the URI (sent as basic auth, ignored by this server) must not be stored
        mp.setenv("MLFLOW_TRACKING_URI", url.replace("http://", f"http://analyst:{SECRET}@"))
        second = as_json(monthly_flow(config_path=str(config_b), artifacts_dir=str(folder / "art-b")))
    return first, second, config_b


def test_both_runs_and_all_child_runs_are_on_the_server(mlflow_server, two_runs, tmp_path):
    url, artifact_root = mlflow_server
    first, second, _ = two_runs
    client = MlflowClient(url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert first["tracking_uri"] == second["tracking_uri"] == url
    assert experiment.artifact_location.startswith("mlflow-artifacts:")  # stored by the server, not locally

    parents = reads.find_parent_runs(client, experiment.experiment_id)
    assert [p.info.run_id for p in parents] == [second["run_id"], first["run_id"]]
    for parent, summary in zip(parents, (second, first)):
        for key in ("run_date", "data_sha256", "config_hash", "code_version", "prefect_flow_run_id"):
            assert parent.data.tags[key] and parent.data.params[key] == parent.data.tags[key]
        assert parent.data.tags["data_sha256"] == summary["data_sha256"]
        assert {f.path for f in client.list_artifacts(parent.info.run_id)} >= {
            "summary.json", "validation.json", "warnings.csv"
        }
        assert reads.load_summary(client, parent.info.run_id).to_json()["series"] == summary["series"]
        assert parent.data.metrics["warnings"] == len(summary["warnings"])
        warnings = pl.read_csv(client.download_artifacts(parent.info.run_id, "warnings.csv", str(tmp_path)))
        assert len(warnings) == len(summary["warnings"])

        children = client.search_runs(
            [experiment.experiment_id],
            f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and tags.`{tracking.KIND_TAG}` = '{tracking.CHILD_KIND}'",
        )
        expected = {(r["region_id"], r["indicator"]) for r in summary["series"]}
        assert len(expected) == 10 and {(c.data.tags["region_id"], c.data.tags["indicator"]) for c in children} == expected
        assert len(children) == len(expected)
        for child in children:
            assert child.info.status == "FINISHED"
            assert set(tracking.SERIES_METRICS) <= set(child.data.metrics)
            assert child.data.tags["scenario"] == "statistical"
            assert child.data.tags["run_date"] == parent.data.tags["run_date"]
            logged = {f.path for f in client.list_artifacts(child.info.run_id)}
            # the chosen model goes in "model/" when it is a statsmodels family (test_model_registry)
            tables = {"forecast.csv", "peak_years.csv", "fan_chart.png"}
            assert tables <= logged <= tables | {"model"}
        row = next(r for r in summary["series"] if (r["region_id"], r["indicator"]) == (ZHUZHOU, "co2_emissions"))
        child = next(c for c in children if (c.data.tags["region_id"], c.data.tags["indicator"]) == (ZHUZHOU, "co2_emissions"))
        assert child.data.metrics["peak_year_median"] == row["peak_year_median"]
        assert child.data.metrics["p_peak_by_target"] == row["p_peak_by_target"]

    # The artifacts live under the server's --artifacts-destination.
    assert len(list(artifact_root.rglob("fan_chart.png"))) == 20
    # One child per run for a region, indicator and scenario; the region alone gives its two indicators per run.
    statistical = "tags.scenario = 'statistical'"
    one = client.search_runs(
        [experiment.experiment_id],
        f"tags.region_id = 'hunan.yueyang' and tags.indicator = 'co2_emissions' and {statistical}",
    )
    assert sorted(r.data.tags["mlflow.parentRunId"] for r in one) == sorted([first["run_id"], second["run_id"]])
    region = client.search_runs([experiment.experiment_id], f"tags.region_id = 'hunan.yueyang' and {statistical}")
    assert sorted((r.data.tags["mlflow.parentRunId"], r.data.tags["indicator"]) for r in region) == sorted(
        (run["run_id"], ind) for run in (first, second) for ind in ("co2_emissions", "energy_consumption")
    )


def test_compare_reports_exactly_the_changes_between_the_runs(mlflow_server, two_runs, capsys, monkeypatch):
    """The three series whose input changed are reported, with their cause; the
    others are unchanged or moved with the panel's pooled parameters, and say so."""
    url, _ = mlflow_server
    first, second, config_b = two_runs
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    assert cli.main(["compare", "--config", str(config_b)]) == 0  # defaults: the latest two runs
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"A: {first['run_id']}")
    assert out.splitlines()[1].startswith(f"B: {second['run_id']}")
    lines = {tuple(line.split()[:2]): line for line in out.splitlines() if line.startswith("hunan.")}
    assert len(lines) == 10

    changed = {key for key, line in lines.items() if " unchanged" not in line}
    own = {(LEIYANG, "co2_emissions"), (LEIYANG, "energy_consumption"), (ZHUZHOU, "co2_emissions")}
    assert own <= changed
    before = {(r["region_id"], r["indicator"]): r for r in first["series"]}
    after = {(r["region_id"], r["indicator"]): r for r in second["series"]}
    for indicator in ("co2_emissions", "energy_consumption"):
        assert "data now ends 2023 (was 2022)" in lines[(LEIYANG, indicator)]
    assert "revised data (same years, different values)" in lines[(ZHUZHOU, "co2_emissions")]
    # The engine pools parameters across the panel: a series whose own data did not
    # change moves only with the pool, and says so.
    for key in changed - own:
        assert "the panel's pooled parameters changed (other series' data)" in lines[key]
        assert before[key]["model_reason"] != after[key]["model_reason"]

    # Unchanged series show equal numbers in both runs; changed ones show the real before/after values.
    for key, line in lines.items():
        fields = line.split()
        assert float(fields[8]) == pytest.approx(before[key]["peak_value"], abs=5e-4)
        assert float(fields[9]) == pytest.approx(after[key]["peak_value"], abs=5e-4)
        if key not in changed:
            assert before[key]["peak_value"] == after[key]["peak_value"]
            assert before[key]["peak_year_median"] == after[key]["peak_year_median"]
    # Zhuzhou's CO2 peaked in 2012, so the revision changes its input but not necessarily its peak numbers.
    digests = {key for key in lines if before[key]["history_sha256"] != after[key]["history_sha256"]}
    assert digests == own

    # Explicit ids newest first: still the earlier run as A, with a note that they were swapped.
    assert cli.main(["compare", second["run_id"], first["run_id"], "--config", str(config_b)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith(f"A: {first['run_id']}")
    assert f"note: run {second['run_id']} started after run {first['run_id']}" in err


def test_compare_rejects_a_child_run_by_name(mlflow_server, two_runs, capsys, monkeypatch):
    url, _ = mlflow_server
    _, second, config_b = two_runs
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    client = MlflowClient(url)
    child = client.search_runs(
        [client.get_experiment_by_name(EXPERIMENT).experiment_id],
        f"tags.region_id = 'hunan.zhuzhou' and tags.`{tracking.KIND_TAG}` = '{tracking.CHILD_KIND}'",
        max_results=1,
    )[0]
    assert cli.main(["compare", child.info.run_id, second["run_id"], "--config", str(config_b)]) == 1
    assert f"run '{child.info.run_id}' is not a peakwatch parent run" in capsys.readouterr().err


def test_tracking_credentials_stay_out_of_summary_params_and_artifacts(mlflow_server, two_runs, tmp_path):
    url, _ = mlflow_server
    _, second, _ = two_runs
    assert second["tracking_uri"] == url
    assert SECRET not in Path(second["summary_path"]).read_text(encoding="utf-8")
    client = MlflowClient(url)
    parent = client.get_run(second["run_id"])
    assert SECRET not in repr(parent.data.params) + repr(parent.data.tags)
    stored = client.download_artifacts(second["run_id"], "", str(tmp_path))
    texts = [p for p in Path(stored).rglob("*") if p.suffix in (".json", ".csv", ".html", ".txt", ".md")]
    assert texts and not [p.name for p in texts if SECRET in p.read_text(encoding="utf-8", errors="replace")]
