"""``peakwatch compare`` and ``peakwatch report``: the parent runs to read, found
and checked in the store. The diff itself is results.changes (the one the
monthly flow uses); the table is reporting.compare_table."""

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from peakwatch.results.summary import RunSummary
from peakwatch.tracking.layout import KIND_TAG, PARENT_KIND, SUMMARY_JSON
from peakwatch.tracking.reads import find_parent_runs, load_summary


class CompareError(ValueError):
    """A run to compare is missing, not a peakwatch parent run, or has no summary."""


def check_parent_run(client: MlflowClient, run_id: str, experiment_id: str):
    """The run, if it is a peakwatch parent run of the experiment; else a CompareError saying why."""
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise CompareError(f"run '{run_id}' not found in the tracking store") from None
    kind = run.data.tags.get(KIND_TAG)
    if kind != PARENT_KIND:
        raise CompareError(f"run '{run_id}' is not a peakwatch parent run ({KIND_TAG}={kind!r})")
    if run.info.experiment_id != experiment_id:
        theirs, ours = _experiment_name(client, run.info.experiment_id), _experiment_name(client, experiment_id)
        raise CompareError(
            f"run '{run_id}' belongs to experiment '{theirs}' (id {run.info.experiment_id}), not '{ours}': "
            f"pass the --config whose run_series is '{theirs}'"
        )
    return run


def _experiment_name(client: MlflowClient, experiment_id: str) -> str:
    try:
        return client.get_experiment(experiment_id).name
    except MlflowException:  # deleted for good: the id is all there is
        return f"id {experiment_id}"


@dataclass(frozen=True)
class RunPair:
    """The two runs to compare, A the one started first; ``swapped``: two ids were given newest first."""

    run_a: str
    run_b: str
    swapped: bool = False


def resolve_runs(
    client: MlflowClient, experiment_id: str, run_a: str | None, run_b: str | None
) -> RunPair:
    """Given ids are checked; missing ones are the latest finished parent runs. A is
    always the run started first, so that changes read forward in time whichever
    order the ids came in."""
    given = [check_parent_run(client, run_id, experiment_id) for run_id in (run_a, run_b) if run_id]
    if len(given) < 2:
        latest = find_parent_runs(client, experiment_id, max_results=3)
        if given:  # compare the given run with the latest other one
            others = [r for r in latest if r.info.run_id != given[0].info.run_id]
            if not others:
                raise CompareError(f"no other finished parent run to compare run '{given[0].info.run_id}' with")
            given.append(others[0])
        elif len(latest) < 2:
            raise CompareError(f"need two finished parent runs in the experiment, found {len(latest)}")
        else:
            given = latest[:2]
    older, newer = sorted(given, key=lambda run: run.info.start_time or 0)  # stable: ties keep the given order
    return RunPair(older.info.run_id, newer.info.run_id, swapped=bool(run_a and run_b and older.info.run_id == run_b))


def load_run_summary(client: MlflowClient, run_id: str) -> RunSummary:
    try:
        return load_summary(client, run_id)
    except Exception as exc:
        raise CompareError(f"run '{run_id}' has no readable {SUMMARY_JSON}: {exc}") from None
