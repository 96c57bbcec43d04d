"""Where the last announced warnings live: an artifact of the parent MLflow run.

The state is read back through the tracking store from the latest *finished*
parent run that has one, so it survives restarts, and a new machine pointed at
the same tracking store (and its artifact store) continues where the last one
stopped. A run that fails after saving its state is not finished, so its
state is ignored and its warnings are announced again.
"""

import json
import logging
import tempfile
from pathlib import Path

from mlflow import MlflowClient

from peakwatch.store.catalog import write_atomic
from peakwatch.tracking.reads import has_artifact

STATE_ARTIFACT_DIR = "alerts"
STATE_FILE = "state.json"
STATE_PATH = f"{STATE_ARTIFACT_DIR}/{STATE_FILE}"
PARENT_FILTER = "tags.`peakwatch.kind` = 'parent' and attributes.status = 'FINISHED'"
SEARCH_DEPTH = 24  # parent runs to look through (older runs may predate the state)

log = logging.getLogger(__name__)


def load_state(
    client: MlflowClient, experiment_id: str, exclude_run_id: str | None = None, before_ms: int | None = None
) -> dict:
    """The state saved by the latest finished parent run (started before
    ``before_ms``, when given), or {} when there is none."""
    query = PARENT_FILTER if before_ms is None else f"{PARENT_FILTER} and attributes.start_time < {int(before_ms)}"
    runs = client.search_runs(
        [experiment_id], filter_string=query, order_by=["attributes.start_time DESC"], max_results=SEARCH_DEPTH
    )
    for run in runs:
        if run.info.run_id == exclude_run_id:
            continue
        # a run from before warnings had state has none; a store error raises
        # (taking it for "none" would decide, and send, from an older state)
        if not has_artifact(client, run.info.run_id, STATE_PATH):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            local = client.download_artifacts(run.info.run_id, STATE_PATH, tmp)
            try:
                return json.loads(Path(local).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable warning state of run %s: %s", run.info.run_id, exc)
    return {}


def newer_finished_parent(client: MlflowClient, experiment_id: str, after_ms: int) -> str | None:
    """The id of a finished parent run started after ``after_ms``, if any: a run
    published after it (a pending run synced late) is not the latest word."""
    runs = client.search_runs(
        [experiment_id], filter_string=f"{PARENT_FILTER} and attributes.start_time > {int(after_ms)}", max_results=1
    )
    return runs[0].info.run_id if runs else None


def save_state(client: MlflowClient, run_id: str, state: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / STATE_FILE
        write_atomic(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))
        client.log_artifact(run_id, str(path), artifact_path=STATE_ARTIFACT_DIR)
