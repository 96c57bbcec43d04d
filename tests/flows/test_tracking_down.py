"""A tracking server that is down: the run keeps every result in pending/,
exits with code 4, and `peakwatch sync` publishes it exactly once when the
server is back (a real `mlflow server`, stopped and started again)."""

import json

import pytest
import yaml
from mlflow import MlflowClient

from peakwatch import cli
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT
from peakwatch.store.pending import PENDING_ID_TAG
from peakwatch.tracking import layout as tracking, reads
from tests.flows.mlflow_server import free_port, mlflow_server

pytestmark = pytest.mark.integration

EXPERIMENT = "peakwatch-down"


def write_config(folder, url):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.update(
        run_series=EXPERIMENT,
        regions=str(PROJECT_ROOT / "configs" / "regions.yaml"),
        sources=[{**s, "path": str(PROJECT_ROOT / "configs" / s["path"])} for s in raw["sources"]],
        dask={**raw["dask"], "n_workers": 1},
        tracking={"uri": url},
        scenarios={**raw["scenarios"], "dir": str(PROJECT_ROOT / "configs" / "scenarios")},
    )
    path = folder / "down.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("down")
    return root, free_port()


def experiment_runs(url):
    client = MlflowClient(url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    return client, client.search_runs([experiment.experiment_id], max_results=5000) if experiment else []


def test_a_run_with_the_server_down_keeps_everything_and_sync_publishes_it_once(store, capsys):
    root, port = store
    url = f"http://127.0.0.1:{port}"
    config, artifacts = write_config(root, url), root / "artifacts"
    with mlflow_server(root / "server", port):
        pass  # the server has been up once (its store exists) and is now stopped

    # 1. The run forecasts everything, keeps it in pending/, and exits with code 4.
    code = cli.main(["run", "--config", str(config), "--artifacts-dir", str(artifacts)])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_PENDING
    [folder] = [p for p in (artifacts / "pending").iterdir() if not p.name.startswith(".")]
    assert "peakwatch sync" in err and str(folder) in err and url in err
    assert "regions late on" in out  # the verdict and the results table are printed all the same
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] is None and summary["pending_id"] == folder.name
    assert summary["early_warnings"]["delivery"] == "deferred"
    assert len(summary["series"]) == 10 and all(row["peak_year_median"] for row in summary["series"])
    assert "not yet in MLflow" in (folder / "report.html").read_text(encoding="utf-8")
    children = (folder / "children.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(list((folder / "series").glob("*/forecast.csv"))) == len(summary["series"])
    assert (folder / "validation" / "index.html").exists()
    assert not (artifacts / "runs").exists() or not any((artifacts / "runs").iterdir())
    assert not list((artifacts / "pending").glob(".building-*"))

    # 2. Still down: sync says so, exits 4, and keeps the payload.
    assert cli.main(["sync", "--config", str(config), "--artifacts-dir", str(artifacts)]) == cli.EXIT_PENDING
    assert "1 run(s) stay pending" in capsys.readouterr().err
    assert folder.is_dir()

    with mlflow_server(root / "server", port):
        # 3. Back up: sync publishes the run, with every child run, once.
        assert cli.main(["sync", "--config", str(config), "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
        out = capsys.readouterr().out
        client, runs = experiment_runs(url)
        parents = [r for r in runs if r.data.tags.get(tracking.KIND_TAG) == tracking.PARENT_KIND]
        [parent] = parents
        run_id = parent.info.run_id
        assert f"published pending run {folder.name}" in out and run_id in out
        assert parent.info.status == "FINISHED" and parent.data.tags[PENDING_ID_TAG] == folder.name
        assert len(runs) == 1 + len(children)
        assert not folder.exists()
        published = json.loads((artifacts / "runs" / run_id / "summary.json").read_text(encoding="utf-8"))
        assert published["run_id"] == run_id and published["series"] == summary["series"]
        assert published["early_warnings"]["delivery"] != "deferred"  # decided now that MLflow holds the state
        assert reads.load_summary(client, run_id).to_json() == published
        by_key = {
            (r.data.tags["region_id"], r.data.tags["indicator"]): r.data.metrics
            for r in runs if r.data.tags.get(tracking.KIND_TAG) == tracking.CHILD_KIND
        }
        for row in summary["series"]:
            assert by_key[(row["region_id"], row["indicator"])]["peak_year_median"] == row["peak_year_median"]
        series_run = next(r for r in runs if r.data.tags.get(tracking.KIND_TAG) == tracking.CHILD_KIND)
        assert {"forecast.csv", "fan_chart.png"} <= {f.path for f in client.list_artifacts(series_run.info.run_id)}
        assert "report.html" in {f.path for f in client.list_artifacts(run_id)}

        # 4. Twice adds nothing.
        assert cli.main(["sync", "--config", str(config), "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
        assert "Nothing pending" in capsys.readouterr().out
        assert len(experiment_runs(url)[1]) == len(runs)
