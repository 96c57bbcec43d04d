"""Every run's own calibration check, typed (peakwatch/results/calibration.py):
from the event scores to summary.json, the MLflow parent metrics and the report."""

import json

import numpy as np
import pytest

from forecasting.evaluation import BASE_RATE, ENGINE, RANDOM_WALK, score_peak_events
from forecasting.series import ForecastSettings, SeriesInput
from peakwatch.reporting import report
from peakwatch.results.calibration import CalibrationCheck
from peakwatch.results.summary import RunSummary, read_run_summary
from peakwatch.store.pending import write_summary


def series(values, name: str) -> SeriesInput:
    return SeriesInput(name, "co2_emissions", "MtCO2", np.arange(2000, 2000 + len(values)), np.asarray(values, float), 2030)


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(1)
    noise = lambda: np.exp(0.02 * rng.standard_normal(20))
    panel = [series(10 * 1.05 ** np.arange(20) * noise(), f"up{i}") for i in range(3)]
    panel += [series(np.r_[np.linspace(10, 20, 8), np.full(12, 15.0)] * noise(), f"flat{i}") for i in range(3)]
    return score_peak_events(panel, 2014, ForecastSettings(n_paths=200))


def test_a_check_keeps_the_scores_it_was_made_from(scores):
    check = CalibrationCheck.from_scores(scores)
    assert (check.cut, check.window, check.series) == (2014, 5, 6)
    assert check.brier == {name: pytest.approx(scores.brier(name)) for name in (ENGINE, RANDOM_WALK, BASE_RATE)}
    assert check.log_score[ENGINE] == pytest.approx(scores.log_score(ENGINE))
    assert sum(b["count"] for b in check.reliability) == 6


def test_mlflow_metrics_are_named_by_window_score_and_forecaster(scores):
    metrics = CalibrationCheck.from_scores(scores).metrics()
    assert metrics["calibration_k5_brier_engine"] == pytest.approx(scores.brier(ENGINE))
    assert metrics["calibration_k5_log_score_random_walk"] == pytest.approx(scores.log_score(RANDOM_WALK))
    assert metrics["calibration_k5_brier_base_rate"] == pytest.approx(scores.brier(BASE_RATE))
    assert (metrics["calibration_k5_series"], metrics["calibration_k5_cut_year"]) == (6, 2014)
    assert all(np.isfinite(v) for v in metrics.values())


def test_the_summary_carries_the_checks_and_reads_them_back(scores, tmp_path):
    checks = (CalibrationCheck.from_scores(scores),)
    written = write_summary(tmp_path, RunSummary(run_id="r", calibration=checks))
    raw = json.loads(written.read_text(encoding="utf-8"))
    assert raw["calibration"][0]["brier"]["engine"] == pytest.approx(scores.brier(ENGINE))
    assert read_run_summary(written.read_text(encoding="utf-8")).calibration == checks


def test_a_summary_from_before_the_check_has_none_and_writes_no_key(tmp_path):
    summary = read_run_summary(json.dumps({"run_id": "r"}))
    assert summary.calibration is None
    assert "calibration" not in json.loads(write_summary(tmp_path, summary).read_text(encoding="utf-8"))


def test_the_report_shows_each_forecasters_scores_and_the_reliability_table(scores):
    check = CalibrationCheck.from_scores(scores)
    page = "".join(report.render_report(RunSummary(run_id="r", config_hash="c" * 40, calibration=(check,)), {}))
    section = page[page.index('id="calibration"') : page.index('id="validation"')]
    assert "Cut 2014: no new high in 2015–2019 (6 series" in section
    for name in (ENGINE, RANDOM_WALK, BASE_RATE):
        assert f"<td>{name}</td><td class=\"num\">{check.brier[name]:.3f}</td>" in section
    assert section.count('<tr><td>0.') + section.count('<tr><td>1.') >= len(check.reliability)
    assert "few series, rough scores" in section


def test_the_report_says_when_nothing_could_be_checked():
    page = "".join(report.render_report(RunSummary(run_id="r", config_hash="c" * 40, calibration=()), {}))
    assert "Not checked" in page


def test_the_console_answer_ends_with_how_far_to_trust_p(scores):
    from peakwatch.reporting.console import render_text, run_answer

    check = CalibrationCheck.from_scores(scores)
    text = render_text(run_answer(RunSummary(run_id="r", calibration=(check,))), width=200)
    assert f"Trust: on this panel cut at 2014 (6 series, rough), P scored Brier {check.brier[ENGINE]:.3f};" in text
    assert f"base rate {check.brier[BASE_RATE]:.3f}" in text and f"random walk {check.brier[RANDOM_WALK]:.3f}" in text
    assert "Trust:" not in render_text(run_answer(RunSummary(run_id="r", calibration=())), width=200)
