"""The chosen model of a child run, logged with mlflow.statsmodels to a real
SQLite store, reloads and reproduces that run's median (point) forecast."""

from importlib.metadata import version

import numpy as np
import polars as pl
import pytest
from mlflow import MlflowClient

from forecasting.series import ForecastSettings, forecast_series, split_series
from forecasting.synthetic import simulate_panel
from peakwatch.store.series import MODEL_ARTIFACT
from peakwatch.tracking.models import log_chosen_model, reload_point_forecast

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def zhuzhou_co2():
    series = split_series(simulate_panel(), {})
    return next(s for s in series if s.region_id == "hunan.zhuzhou" and s.indicator == "co2_emissions")


@pytest.mark.parametrize("model", ["ets_damped_log", "arima_log", "llt_log", "stirpat_log"])
def test_reloaded_model_reproduces_the_runs_point_forecast(tmp_path, zhuzhou_co2, model):
    settings = ForecastSettings(n_paths=200, candidates=(model,), backtest_origins=1)
    forecast = forecast_series(zhuzhou_co2, settings)
    assert forecast.model == model and forecast.model_spec is not None

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("registry", artifact_location=(tmp_path / "art").as_uri())
    run_id = client.create_run(experiment).info.run_id
    log_chosen_model(client, run_id, forecast.model_spec)

    names = {a.path for a in client.list_artifacts(run_id, MODEL_ARTIFACT)}
    assert f"{MODEL_ARTIFACT}/MLmodel" in names
    requirements = client.download_artifacts(run_id, f"{MODEL_ARTIFACT}/requirements.txt", str(tmp_path))
    assert f"statsmodels=={version('statsmodels')}" in open(requirements).read().split()  # the installed one, pinned
    reloaded = reload_point_forecast(MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}"), run_id, len(forecast.point_forecast))
    np.testing.assert_allclose(reloaded, forecast.point_forecast, rtol=1e-8)
    # The point forecast is the centre of the simulated fan.
    np.testing.assert_allclose(forecast.fan.quantiles[0.5][:5], forecast.point_forecast[:5], rtol=0.05)


def test_child_runs_record_chosen_model_backtest_scores_and_table(tmp_path):
    from flows.fit import log_series_runs
    from peakwatch.store.series import BACKTEST_CSV
    from forecasting.series import forecast_partition

    series = [s for s in split_series(simulate_panel(), {}) if s.region_id == "hunan.yueyang"]
    settings = ForecastSettings(n_paths=200, backtest_paths=100, candidates=("ets_damped_log", "ses_log", "rw_drift_log"))
    forecasts = forecast_partition(series, settings)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("children", artifact_location=(tmp_path / "art").as_uri())
    parent = client.create_run(experiment).info.run_id
    child_ids = log_series_runs(client, experiment, parent, forecasts, {})
    assert all(len(key) == 3 for key in child_ids)  # (region, indicator, scenario)

    for forecast in forecasts:
        run = client.get_run(child_ids[(forecast.region_id, forecast.indicator, "statistical")])
        assert run.data.params["model"] == forecast.model
        assert run.data.params["model_reason"] == forecast.model_reason
        assert run.data.params["candidates"] == "ets_damped_log,ses_log,rw_drift_log"
        for key in ("mase", "smape", "coverage_80", "coverage_95"):
            assert run.data.metrics[f"backtest_{key}"] == pytest.approx(getattr(forecast.backtest, key))
        history = client.get_metric_history(run.info.run_id, "point_forecast")
        assert [m.step for m in history] == list(forecast.fan.years)
        np.testing.assert_allclose([m.value for m in history], forecast.point_forecast)
        table = client.download_artifacts(run.info.run_id, BACKTEST_CSV, str(tmp_path))
        assert pl.read_csv(table)["model"].to_list() == ["ets_damped_log", "ses_log", "rw_drift_log"]
        # The logged model reproduces this run's point forecast.
        if forecast.model_spec is not None:
            reloaded = reload_point_forecast(client, run.info.run_id, len(forecast.point_forecast))
            np.testing.assert_allclose(reloaded, forecast.point_forecast, rtol=1e-8)
        logged = {a.path for a in client.list_artifacts(run.info.run_id)}
        expect_model = forecast.model != "rw_drift_log"
        assert (MODEL_ARTIFACT in logged) == expect_model
        assert run.data.tags["model_logged"] == ("statsmodels" if expect_model else "params_only")
