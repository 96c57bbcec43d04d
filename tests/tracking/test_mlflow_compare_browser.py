"""The MLflow UI's compare view of two monthly parent runs (two real `peakwatch
run`s, a real `mlflow server`, headless Chromium): every seed region's peak-year
metric is there with both runs' values, read from the page as an analyst sees it.
The screenshot is the one in the docs: PEAKWATCH_UPDATE_SCREENSHOTS=1 writes it
to docs/img/mlflow-compare.png (else to the test's own folder)."""

import json
import os
import urllib.parse
from pathlib import Path

import pytest
from mlflow import MlflowClient

from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND
from peakwatch.tracking.watch import region_labels
from tests.flows.mlflow_server import free_port, mlflow_server
from tests.reporting.chromium import visit_page

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "img" / "mlflow-compare.png"
SHOWN_KEY = "yueyang.co2.peak_year"  # the row the screenshot scrolls to

# The compare view's metrics sit in two react-virtualized grids (names | values,
# one column per run) that render only the rows in view: scroll the values grid
# through and collect {metric: [value of run 1, value of run 2]}; then scroll to
# SHOWN_KEY and bring the metrics section into view for the screenshot.
READ_METRICS = """new Promise((resolve, reject) => {
  const t0 = Date.now();
  const frame = () => new Promise(r => setTimeout(r, 150));
  const read = async () => {
    const [names, values] = document.querySelectorAll(".ReactVirtualized__Grid");
    const cells = grid => [...grid.querySelectorAll(".ReactVirtualized__Grid__innerScrollContainer > div")]
      .map(c => ({top: parseFloat(c.style.top), left: parseFloat(c.style.left), text: c.innerText.trim()}));
    const metrics = {};
    let shownTop = 0;
    for (let y = 0; y <= values.scrollHeight; y += values.clientHeight / 2) {
      values.scrollTop = y;
      await frame();
      const byTop = {};
      for (const c of cells(values)) (byTop[c.top] ||= []).push(c);
      for (const n of cells(names)) {
        const row = (byTop[n.top] || []).sort((a, b) => a.left - b.left).map(c => c.text);
        if (row.length) metrics[n.text] = row;
        if (n.text === "%s") shownTop = n.top;
      }
    }
    values.scrollTop = Math.max(shownTop - 45, 0);
    await frame();
    names.scrollTop = values.scrollTop;  // the names follow on scroll events, not always on the last
    await frame();
    // MLflow 3.x opens its assistant panel beside the page: closed for the screenshot.
    document.querySelector("button[aria-label='Close']")?.click();
    values.closest(".du-bois-light-collapse-content").previousElementSibling.scrollIntoView();
    window.scrollBy(0, -20);
    await frame();
    return metrics;
  };
  const look = () => {
    if (document.querySelectorAll(".ReactVirtualized__Grid").length >= 2) read().then(resolve, reject);
    else if (Date.now() - t0 > 90000) resolve(null);
    else setTimeout(look, 500);
  };
  look();
})""" % SHOWN_KEY


def test_compare_view_of_two_parent_runs_shows_every_seed_regions_peak_year(default_runs_dir, tmp_path):
    store = f"sqlite:///{default_runs_dir / 'mlflow.db'}"
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("peakwatch-monthly")
    parents = client.search_runs(
        [experiment.experiment_id], f"tags.`{KIND_TAG}` = '{PARENT_KIND}'", order_by=["attributes.start_time ASC"]
    )
    assert len(parents) == 2
    ids = [run.info.run_id for run in parents]
    query = urllib.parse.urlencode({"runs": json.dumps(ids), "experiments": json.dumps([experiment.experiment_id])})

    with mlflow_server(tmp_path / "server", free_port(), backend=store) as url:
        visit = visit_page(f"{url}/#/compare-runs?{query}", READ_METRICS, width=1400, height=900, settle_s=1)
    update_docs = os.environ.get("PEAKWATCH_UPDATE_SCREENSHOTS") == "1"
    (DOCS_SCREENSHOT if update_docs else tmp_path / DOCS_SCREENSHOT.name).write_bytes(visit.screenshot)

    shown = visit.value
    assert shown, "the compare view rendered no metrics grid within 90 s"
    regions = [r for r in load_config(DEFAULT_CONFIG).regions.regions if r.target_year is not None]
    labels = region_labels(r.id for r in regions)
    assert len(regions) == 5
    for region in regions:
        for indicator in ("co2", "energy"):
            key = f"{labels[region.id]}.{indicator}.peak_year"
            assert key in shown, f"{key} ({region.id}) not in the compare view's metrics: {sorted(shown)}"
            expected = [run.data.metrics[key] for run in parents]
            assert [float(v) for v in shown[key]] == pytest.approx(expected, abs=0.01), (key, shown[key], expected)
            for statistic in ("peak_year_p10", "peak_year_p90", "p_peak_by_target"):
                assert len(shown[f"{labels[region.id]}.{indicator}.{statistic}"]) == 2
    assert visit.screenshot.startswith(b"\x89PNG") and len(visit.screenshot) > 20_000
