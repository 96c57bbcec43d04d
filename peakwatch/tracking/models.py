"""The chosen statsmodels model of a series, saved with ``mlflow.statsmodels``
and reloaded from a child run."""

import json
import tempfile
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
from mlflow import MlflowClient

from forecasting.models import ModelSpec
from forecasting.models.rebuild import forecast_log, rebuild_results
from peakwatch.store.series import MODEL_ARTIFACT

SPEC_FILE = "peakwatch_spec.json"


def save_chosen_model(spec: ModelSpec, path: Path) -> None:
    """Save the chosen statsmodels model at ``path`` with ``mlflow.statsmodels``.

    The results object is rebuilt from the worker's compact spec (data +
    fitted parameters, no refit), so only a few hundred numbers cross the
    cluster. ``peakwatch_spec.json`` beside it holds what a reload needs to
    forecast: the family, and for STIRPAT the driver medians for the horizon.
    """
    import mlflow.statsmodels  # heavy import, only where models are logged

    mlflow.statsmodels.save_model(
        rebuild_results(spec), str(path), pip_requirements=[f"statsmodels=={version('statsmodels')}"]
    )
    (path / SPEC_FILE).write_text(json.dumps(asdict(spec)), encoding="utf-8")


def log_chosen_model(client: MlflowClient, run_id: str, spec: ModelSpec) -> None:
    """Log the chosen model under ``model/`` of an existing run (save_chosen_model)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_ARTIFACT
        save_chosen_model(spec, path)
        client.log_artifacts(run_id, str(path), MODEL_ARTIFACT)


def reload_point_forecast(client: MlflowClient, run_id: str, horizon: int) -> np.ndarray:
    """Reload a child run's logged model and forecast its median ``horizon`` years ahead."""
    import mlflow.statsmodels

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(client.download_artifacts(run_id, MODEL_ARTIFACT, tmp))
        results = mlflow.statsmodels.load_model(str(local))
        raw = json.loads((local / SPEC_FILE).read_text(encoding="utf-8"))
    spec = ModelSpec(**{**raw, "log_exog_future": raw["log_exog_future"] and tuple(map(tuple, raw["log_exog_future"]))})
    return np.exp(forecast_log(spec, results, horizon))
