"""Reading the previous run and the warning state from a real SQLite MLflow
store: a run without the file is passed over, a store that fails is not taken
for one (that compared with, and decided warnings from, an older run)."""

import json

import pytest
from mlflow import MlflowClient
from prefect import flow

from flows import monthly
from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.store.catalog import Catalog
from peakwatch.store.runs import newest_local_summary
from peakwatch.tracking import layout as tracking, reads, warning_state


def finished_parent(client: MlflowClient, experiment_id: str, tmp_path, name: str, start: int, files: dict) -> str:
    run_id = client.create_run(experiment_id, run_name=name, tags={tracking.KIND_TAG: tracking.PARENT_KIND},
                               start_time=start).info.run_id
    for path, content in files.items():
        folder, _, file = path.rpartition("/")
        local = tmp_path / name / file
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(json.dumps(content))
        client.log_artifact(run_id, str(local), artifact_path=folder or None)
    client.set_terminated(run_id, "FINISHED")
    return run_id


@pytest.fixture
def store(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment_id = client.create_experiment("peakwatch-monthly", artifact_location=str(tmp_path / "mlartifacts"))
    older = finished_parent(client, experiment_id, tmp_path, "october", 1_000, {
        tracking.SUMMARY_JSON: {"run_id": "october", "run_date": "2026-10-01", "series": []},
        warning_state.STATE_PATH: {"run": "october"},
    })
    finished_parent(client, experiment_id, tmp_path, "bare", 1_500, {})  # a run from before both files
    newer = finished_parent(client, experiment_id, tmp_path, "november", 2_000, {
        tracking.SUMMARY_JSON: {"run_id": "november", "run_date": "2026-11-01", "series": []},
        warning_state.STATE_PATH: {"run": "november"},
    })
    return client, experiment_id, older, newer


def failing_for(client: MlflowClient, run_id: str, monkeypatch):
    """The store fails every read of ``run_id``'s files (a timeout, a dropped connection)."""
    for name in ("list_artifacts", "download_artifacts"):
        real = getattr(client, name)

        def read(run, *args, _real=real, **kwargs):
            if run == run_id:
                raise ConnectionError("read timed out")
            return _real(run, *args, **kwargs)

        monkeypatch.setattr(client, name, read)


def test_the_latest_run_with_the_file_is_read_and_one_without_is_passed_over(store):
    client, experiment_id, older, newer = store
    assert reads.previous_summary(client, experiment_id).run_id == "november"
    assert reads.previous_summary(client, experiment_id, exclude_run_id=newer).run_id == "october"  # past "bare"
    assert warning_state.load_state(client, experiment_id) == {"run": "november"}
    assert warning_state.load_state(client, experiment_id, exclude_run_id=newer) == {"run": "october"}


def test_a_store_failing_on_the_latest_run_raises_rather_than_reading_an_older_one(store, monkeypatch):
    client, experiment_id, older, newer = store
    failing_for(client, newer, monkeypatch)
    with pytest.raises(ConnectionError):
        reads.previous_summary(client, experiment_id)
    with pytest.raises(ConnectionError):
        warning_state.load_state(client, experiment_id)


def test_a_run_whose_store_fails_compares_with_the_newest_local_summary(store, tmp_path, monkeypatch):
    """After the sync, the store went away: the run compares locally and goes on
    (to pending/), not stopped after its fit with nothing kept."""
    client, experiment_id, older, newer = store
    failing_for(client, newer, monkeypatch)
    config = load_config(DEFAULT_CONFIG).model_copy(update={"artifacts_dir": tmp_path / "art"})
    catalog = Catalog(tmp_path / "art")
    local = catalog.run_dir("local-run") / "summary.json"
    local.parent.mkdir(parents=True)
    local.write_text(json.dumps({"run_id": "local-run", "run_date": "2026-11-15", "experiment": config.run_series,
                                 "series": []}))

    @flow
    def compare() -> tuple:
        return monthly.compare_with_previous(config, catalog, (client, experiment_id), [])

    assert compare() == ("local-run", [])
    assert newest_local_summary(catalog, experiment="peakwatch-ceads-cities") is None
