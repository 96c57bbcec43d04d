"""The chosen model of a child run, logged with mlflow.statsmodels to a real
SQLite store, reloads and reproduces that run's median (point) forecast."""

import numpy as np
import pytest
from mlflow import MlflowClient

from flows.tracking import MODEL_ARTIFACT, log_chosen_model, reload_point_forecast
from forecasting.series import ForecastSettings, forecast_series, split_series
from forecasting.synthetic import simulate_panel

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
    reloaded = reload_point_forecast(MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}"), run_id, len(forecast.point_forecast))
    np.testing.assert_allclose(reloaded, forecast.point_forecast, rtol=1e-8)
    # The point forecast is the centre of the simulated fan.
    np.testing.assert_allclose(forecast.fan.quantiles[0.5][:5], forecast.point_forecast[:5], rtol=0.05)
