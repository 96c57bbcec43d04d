"""Environment overrides of the config file (pydantic-settings), read when the config is loaded."""

from peakwatch.config import load_config


def test_the_tracking_uri_and_dask_address_come_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setenv("PEAKWATCH_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    config = load_config()
    assert (config.tracking.uri, config.dask.address) == ("http://127.0.0.1:5000", "tcp://127.0.0.1:8786")


def test_unset_or_empty_variables_leave_the_file_as_it_is(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("PEAKWATCH_DASK_ADDRESS", "")
    monkeypatch.setenv("mlflow_tracking_uri", "http://not-this")  # names are exact
    config = load_config()
    assert (config.tracking.uri, config.dask.address) == (None, None)
    assert config.tracking_uri.startswith("sqlite:///")
