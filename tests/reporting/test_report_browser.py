"""The run report of a real run (two `peakwatch run`s on real components), opened
in headless Chromium; and `peakwatch report` rebuilding it from MLflow alone."""

import json

import pytest
from mlflow import MlflowClient

from peakwatch import cli
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND
from tests.reporting.chromium import visit_page

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# What the page shows once loaded: headline rows, image load states, charts, text.
PAGE_STATE = """({
  rows: [...document.querySelectorAll("#headline-table tbody tr")]
        .map(r => [r.dataset.region, r.dataset.indicator || null]),
  images: [...document.images].map(i => ({loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth})),
  charts: document.querySelectorAll("section.region img.chart").length,
  text: document.body.innerText,
})"""


@pytest.fixture(scope="module")
def latest_run(default_runs_dir):
    client = MlflowClient(f"sqlite:///{default_runs_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    latest = client.search_runs(
        [experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'", order_by=["attributes.start_time DESC"]
    )[0]
    run_dir = default_runs_dir / "runs" / latest.info.run_id
    return client, latest.info.run_id, run_dir, json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def test_report_opens_in_chromium_without_errors_with_every_region_and_image(latest_run, tmp_path):
    _, _, run_dir, summary = latest_run
    report = run_dir / "report.html"
    visit = visit_page(report.as_uri(), PAGE_STATE, width=1280, height=1600)
    (tmp_path / "report.png").write_bytes(visit.screenshot)
    print(f"screenshot: {tmp_path / 'report.png'} ({len(visit.screenshot)} bytes), page {report.stat().st_size} bytes")

    assert visit.console_errors == []
    assert visit.screenshot.startswith(b"\x89PNG") and len(visit.screenshot) > 20_000
    state = visit.value
    expected = {(r["region_id"], r["indicator"]) for r in summary["series"]}
    assert {tuple(r) for r in state["rows"]} == expected and len(state["rows"]) == len(expected)
    assert state["charts"] == len(expected)  # a fan chart per region x indicator
    assert state["images"] and all(i["loaded"] and i["width"] == 880 for i in state["images"])
    for row in summary["series"]:
        assert row["name_zh"] in state["text"] and row["name_en"] in state["text"]
    # The second run compares with the first.
    assert summary["previous_run_id"] and summary["previous_run_id"] in state["text"]


def test_report_is_logged_to_the_parent_run(latest_run, tmp_path):
    client, run_id, run_dir, _ = latest_run
    assert "report.html" in {a.path for a in client.list_artifacts(run_id)}
    logged = client.download_artifacts(run_id, "report.html", str(tmp_path))
    assert open(logged, "rb").read() == (run_dir / "report.html").read_bytes()


def test_peakwatch_report_rebuilds_the_same_page_from_mlflow(latest_run, default_runs_dir, tmp_path, capsys):
    _, run_id, run_dir, _ = latest_run
    output = tmp_path / "again.html"
    assert cli.main(["report", "--artifacts-dir", str(default_runs_dir), "--output", str(output)]) == cli.EXIT_OK
    assert str(output) in capsys.readouterr().out
    # Only summary.json and the child runs' forecast.csv were read: the page is identical, charts included.
    assert output.read_bytes() == (run_dir / "report.html").read_bytes()
    assert cli.main(["report", run_id, "--artifacts-dir", str(default_runs_dir), "--output", str(output)]) == cli.EXIT_OK
    assert output.read_bytes() == (run_dir / "report.html").read_bytes()
