"""The MLflow tracking store: a client, the run series' experiment, and where a run shows in the UI.

A local store is a SQLite file (``sqlite:///...``) in WAL mode; a tracking
server (``http://...``) is reached with few retries, so that a run that cannot
reach it keeps its results pending (flows/publish.py) rather than waiting.
"""

import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from mlflow import MlflowClient

log = logging.getLogger(__name__)


def connect(tracking_uri: str) -> MlflowClient:
    """A client for a local store (sqlite:///...) or a tracking server (http://...)."""
    # Against a server, MLflow prints a "View run" link on every terminated run
    # and fetches the run again to do so: one extra round trip per child run.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    # MLflow retries a refused request 7 times with doubling back-off (minutes);
    # a monthly run rather keeps its results pending and says so (flows/publish.py).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    return MlflowClient(tracking_uri)


def local_store_path(tracking_uri: str) -> Path | None:
    """The SQLite file a sqlite:/// URI names (None for any other store)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


def missing_local_store(tracking_uri: str) -> Path | None:
    """The SQLite file a sqlite:/// URI names, when it does not exist yet (else None)."""
    path = local_store_path(tracking_uri)
    return None if path is None or path.exists() else path


def find_experiment(client: MlflowClient, experiment: str) -> str | None:
    found = client.get_experiment_by_name(experiment)
    return found.experiment_id if found is not None else None


def use_write_ahead_log(tracking_uri: str) -> None:
    """Put a local SQLite store in WAL mode (stored in the file; a no-op once set).

    A commit then appends to a log instead of writing a rollback journal and the
    database (scripts/benchmark_tracking.py --journal: a child run ~20 -> ~14 ms),
    and the MLflow UI reads while a run writes. Not for stores on a network file
    system (SQLite's WAL needs shared memory on one host).
    """
    path = local_store_path(tracking_uri)
    if path is None or not path.is_file():  # not a local store MLflow has created
        return
    try:
        with closing(sqlite3.connect(path, timeout=5)) as db:
            db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:  # e.g. another process mid-write: only slower, never a reason to stop
        log.warning("MLflow store %s stays in its journal mode (%s): logging is slower", path, exc)


def open_experiment(tracking_uri: str, experiment: str, artifact_location: Path) -> tuple[MlflowClient, str]:
    """The client and the run series' experiment, created on first use; a local
    SQLite store keeps its artifacts at ``artifact_location`` (a tracking server
    chooses its own artifact root)."""
    client = connect(tracking_uri)
    found = find_experiment(client, experiment)  # creates a local store's tables on first use
    use_write_ahead_log(tracking_uri)
    if found is not None:
        return client, found
    location = artifact_location.resolve().as_uri() if tracking_uri.startswith("sqlite") else None
    return client, client.create_experiment(experiment, artifact_location=location)


def run_url(tracking_uri: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI when the store is a tracking server (else None)."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    experiment_id = connect(tracking_uri).get_run(run_id).info.experiment_id
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
