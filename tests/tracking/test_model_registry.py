"""The damped-trend component of a child run, logged with mlflow.statsmodels to
a real SQLite store, reloads and reproduces that component's median forecast;
the child runs record the engine's reason and the point forecast by year."""

from importlib.metadata import version

import numpy as np
import pytest
from mlflow import MlflowClient

from forecasting.components import TREND, point_forecast
from forecasting.series import ForecastSettings, fit_series, forecast_series, split_series, with_pooling
from forecasting.synthetic import simulate_panel
from peakwatch.store.series import MODEL_ARTIFACT
from peakwatch.tracking.models import log_chosen_model, reload_point_forecast

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def panel():
    return split_series(simulate_panel(), {})


@pytest.fixture(scope="module")
def settings(panel):
    return with_pooling(ForecastSettings(n_paths=200), panel)


def test_reloaded_component_reproduces_its_point_forecast(tmp_path, panel, settings):
    zhuzhou = next(s for s in panel if s.region_id == "hunan.zhuzhou" and s.indicator == "co2_emissions")
    forecast = forecast_series(zhuzhou, settings)
    assert forecast.model_spec is not None and forecast.model_spec.family == "ets_state_space"

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("registry", artifact_location=(tmp_path / "art").as_uri())
    run_id = client.create_run(experiment).info.run_id
    log_chosen_model(client, run_id, forecast.model_spec)

    names = {a.path for a in client.list_artifacts(run_id, MODEL_ARTIFACT)}
    assert f"{MODEL_ARTIFACT}/MLmodel" in names
    requirements = client.download_artifacts(run_id, f"{MODEL_ARTIFACT}/requirements.txt", str(tmp_path))
    assert f"statsmodels=={version('statsmodels')}" in open(requirements).read().split()  # the installed one, pinned
    horizon = len(forecast.point_forecast)
    reloaded = reload_point_forecast(MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}"), run_id, horizon)
    # The component as filtered on the worker, before its growth was pooled with the panel's.
    fit = fit_series(zhuzhou, settings)
    own = fit.states[TREND].with_growth(fit.own_growth)
    np.testing.assert_allclose(reloaded, np.exp(point_forecast(own, horizon)), rtol=1e-8)


def test_child_runs_record_the_engine_and_the_point_forecast_by_year(tmp_path, panel, settings):
    from flows.fit import log_series_runs
    from forecasting.series import forecast_partition

    forecasts = forecast_partition([s for s in panel if s.region_id == "hunan.yueyang"], settings)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("children", artifact_location=(tmp_path / "art").as_uri())
    parent = client.create_run(experiment).info.run_id
    child_ids = log_series_runs(client, experiment, parent, forecasts, {})
    assert all(len(key) == 3 for key in child_ids)  # (region, indicator, scenario)

    for forecast in forecasts:
        run = client.get_run(child_ids[(forecast.region_id, forecast.indicator, "statistical")])
        assert run.data.params["model"] == forecast.model
        assert run.data.params["model_reason"] == forecast.model_reason
        assert run.data.params["model_detail"] == forecast.model_detail
        history = client.get_metric_history(run.info.run_id, "point_forecast")
        assert [m.step for m in history] == list(forecast.fan.years)
        np.testing.assert_allclose([m.value for m in history], forecast.point_forecast)
        assert MODEL_ARTIFACT in {a.path for a in client.list_artifacts(run.info.run_id)}
        assert run.data.tags["model_logged"] == "statsmodels"
