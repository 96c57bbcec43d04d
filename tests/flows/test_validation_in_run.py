"""`peakwatch run` on data with a quarantine, warnings and a gap, on real
components (ephemeral Prefect server, Dask LocalCluster, SQLite MLflow, GX):
the MLflow parent run holds the validation metrics and the Data Docs HTML, the
quarantined region is not forecast, and filled years are said."""

import contextlib
import io
import json
import shutil

import polars as pl
import pytest
import yaml
from mlflow import MlflowClient

from peakwatch import cli
from peakwatch import contract as c
from peakwatch.config import DEFAULT_CONFIG
from peakwatch.tracking.layout import CHILD_KIND, KIND_TAG, PARENT_KIND

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PANEL_CSV = DEFAULT_CONFIG.parent.parent / "data" / "default_panel.csv"
SHORT, SLIPPED, GAPPY = "hunan.yongzhou.jiangyong", "hunan.zhuzhou", "hunan.hengyang.leiyang"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gate-run")
    panel = pl.read_csv(PANEL_CSV)
    slip = (pl.col(c.REGION_ID) == SLIPPED) & (pl.col(c.INDICATOR) == c.GDP) & (pl.col(c.YEAR) == 2015)
    gap = (pl.col(c.REGION_ID) == GAPPY) & (pl.col(c.INDICATOR) == c.CO2) & pl.col(c.YEAR).is_in([2010, 2011])
    broken = (
        panel.with_columns(pl.when(slip).then(pl.col(c.VALUE) * 10_000).otherwise(pl.col(c.VALUE)).alias(c.VALUE))
        .filter(~((pl.col(c.REGION_ID) == SHORT) & (pl.col(c.YEAR) < 2019)))
        .filter(~gap)
    )
    broken.write_csv(tmp / "panel.csv")
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["sources"][0]["path"] = str(tmp / "panel.csv")
    raw["artifacts_dir"] = str(tmp / "artifacts")
    raw["forecast"]["n_paths"] = 200
    shutil.copy(DEFAULT_CONFIG.parent / "regions.yaml", tmp / "regions.yaml")
    shutil.copytree(DEFAULT_CONFIG.parent / "scenarios", tmp / "scenarios")
    (tmp / "peakwatch.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return tmp, tmp / "artifacts"


@pytest.fixture(scope="module")
def finished(run):
    tmp, artifacts = run
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):  # capsys is function-scoped
        code = cli.main(["run", "--details", "--config", str(tmp / "peakwatch.yaml")])
    client = MlflowClient(f"sqlite:///{artifacts / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    (parent,) = client.search_runs([experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'")
    return code, stdout.getvalue(), client, experiment, parent, artifacts


def test_parent_run_holds_validation_metrics(finished):
    code, out, client, experiment, parent, artifacts = finished
    assert code == cli.EXIT_OK
    assert parent.info.status == "FINISHED"
    metrics = parent.data.metrics
    assert metrics["validation_regions_checked"] == 5
    assert metrics["validation_regions_passed"] == 2
    assert metrics["validation_regions_warned"] == 2
    assert metrics["validation_regions_quarantined"] == 1
    assert metrics["validation_missing_years"] == 2


def test_parent_run_holds_the_data_docs(finished):
    code, out, client, experiment, parent, artifacts = finished
    run_id = parent.info.run_id
    logged = {a.path for a in client.list_artifacts(run_id, "validation")}
    assert "validation/index.html" in logged and "validation/validations" in logged
    local = artifacts / "runs" / run_id / "validation" / "index.html"
    assert "peakwatch-history" in local.read_text(encoding="utf-8")
    assert not list((artifacts / "pending").iterdir())  # published and moved to runs/<run id>/
    downloaded = client.download_artifacts(run_id, "validation/index.html", str(artifacts / "dl"))
    assert open(downloaded, encoding="utf-8").read() == local.read_text(encoding="utf-8")


def test_quarantined_region_is_not_forecast_and_the_rest_are(finished):
    code, out, client, experiment, parent, artifacts = finished
    children = client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    regions = {r.data.tags["region_id"] for r in children}  # series and scenario runs alike
    series_runs = [r for r in children if r.data.tags[KIND_TAG] == CHILD_KIND]
    assert SHORT not in regions and {SLIPPED, GAPPY} <= regions and len(series_runs) == 8
    summary = json.loads((artifacts / "runs" / parent.info.run_id / "summary.json").read_text())
    assert "history.min_observed_years" in " ".join(summary["validation"]["quarantined"][SHORT])
    assert "jumps.year_on_year" in " ".join(summary["validation"]["warned"][SLIPPED])
    assert summary["validation"]["docs_dir"] == str(artifacts / "runs" / parent.info.run_id / "validation")


def test_filled_years_are_said(finished):
    code, out, client, experiment, parent, artifacts = finished
    summary = json.loads((artifacts / "runs" / parent.info.run_id / "summary.json").read_text())
    row = next(r for r in summary["series"] if r["region_id"] == GAPPY and r["indicator"] == c.CO2)
    assert row["filled_years"] == [2010, 2011] and row["n_observed_years"] == 17
    assert f"{GAPPY} {c.CO2}: 2010, 2011 (17 observed)" in out
    assert f"{SHORT}: history.min_observed_years" in out
    assert "not forecast: quarantined" in " ".join(out.split())  # in the headline table too (its cell wraps)
    assert "Validation report (GX Data Docs):" in out
