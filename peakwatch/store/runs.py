"""Finished runs in the artifacts folder: ``runs/<run_id>/`` (published) and
the summaries of runs still pending."""

import shutil
from pathlib import Path

from peakwatch.results.summary import load_run_summary, RunSummary
from peakwatch.store import pending
from peakwatch.store.catalog import Catalog, move_dir


def finalize(catalog: Catalog, folder: Path, run_id: str) -> Path:
    """Move a published payload to ``runs/<run_id>/`` and drop what MLflow now holds."""
    run_dir = move_dir(folder, catalog.run_dir(run_id))
    for name in (pending.PAYLOAD_JSON, pending.CHILDREN_JSONL):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / pending.SERIES_DIR, ignore_errors=True)
    return run_dir


def newest_local_summary(
    catalog: Catalog, row_fields: frozenset[str] | None = None, experiment: str | None = None
) -> RunSummary | None:
    """The newest run summary in the artifacts folder (published or pending) of
    ``experiment`` (any, if None; configs may share an artifacts folder): what a
    run compares with when the tracking store is down. ``row_fields``: see
    summary.read_summary."""
    newest = None
    for path in [*catalog.root.glob("runs/*/summary.json"), *catalog.pending_root.glob("*/summary.json")]:
        try:
            found = load_run_summary(path, row_fields)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if found.run_date is None:
            continue
        if experiment is not None and (found.experiment or experiment) != experiment:
            continue
        if newest is None or found.run_date > newest.run_date:
            newest = found
    return newest
