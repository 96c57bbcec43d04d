"""``peakwatch compare``: two parent runs side by side, per region and indicator.

The diff itself is ``alerts.compare_rows`` (the one the monthly flow uses for
drift); this module finds the runs, loads their summaries and prints the table.
"""

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from peakwatch.results import alerts
from peakwatch.tracking import layout as tracking
from peakwatch.results.probability import format_p
from forecasting.peaks import CENSORED_YEAR, format_peak_year


class CompareError(ValueError):
    """A run to compare is missing, not a peakwatch parent run, or has no summary."""


def check_parent_run(client: MlflowClient, run_id: str, experiment_id: str):
    """The run, if it is a peakwatch parent run of the experiment; else a CompareError saying why."""
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise CompareError(f"run '{run_id}' not found in the tracking store") from None
    kind = run.data.tags.get(tracking.KIND_TAG)
    if kind != tracking.PARENT_KIND:
        raise CompareError(f"run '{run_id}' is not a peakwatch parent run ({tracking.KIND_TAG}={kind!r})")
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
        latest = tracking.find_parent_runs(client, experiment_id, max_results=3)
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


def load_run_summary(client: MlflowClient, run_id: str) -> dict:
    try:
        return tracking.load_summary(client, run_id)
    except Exception as exc:
        raise CompareError(f"run '{run_id}' has no readable {tracking.SUMMARY_JSON}: {exc}") from None


def compare_summaries(
    summary_a: dict, summary_b: dict, threshold: float, overrides: dict[str, float] | None = None
) -> list[dict]:
    """Every series of either run, with run A's and run B's numbers and the causes
    of change; late or on time by ``threshold``, or a region's own (``overrides``,
    as the monthly run reads them)."""
    return alerts.compare_rows(
        summary_b["series"],
        summary_a["series"],
        threshold,
        overrides=overrides,
        include_unchanged=True,
        data_changed=summary_a.get("data_sha256") != summary_b.get("data_sha256"),
    )


def _year(value: float | None) -> str:
    return "-" if value is None else format_peak_year(value)


def _year_shift(old: float | None, new: float | None) -> str:
    if old is None or new is None:
        return ""
    if old >= CENSORED_YEAR and new >= CENSORED_YEAR:
        return "0"
    shift = f"{new - old:+.0f}"
    return f"{shift}*" if max(old, new) >= CENSORED_YEAR else shift


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _p(value: float | None, threshold: float | None) -> str:
    return "-" if value is None else format_p(value, threshold)


def _shift(old: float | None, new: float | None, fmt: str) -> str:
    return "" if old is None or new is None else format(new - old, "+" + fmt)


def format_comparison(rows: list[dict], summary_a: dict, summary_b: dict) -> str:
    head = (
        f"{'region':<26} {'indicator':<19} {'peak year A':>11} {'B':>6} {'chg':>5}  "
        f"{'P(<=tgt) A':>10} {'B':>5} {'chg':>6}  {'peak value A':>12} {'B':>9} {'chg':>8} {'unit':<6}  "
        f"{'change':<15} cause"
    )
    lines = [
        f"A: {summary_a['run_id']}  {summary_a['run_date']}  data {summary_a.get('data_sha256', '')[:12]}",
        f"B: {summary_b['run_id']}  {summary_b['run_date']}  data {summary_b.get('data_sha256', '')[:12]}",
        "",
        head,
        "-" * len(head),
    ]
    for row in rows:
        series = f"{row['region_id']:<26} {row['indicator']:<19}"
        if row.get("scenario") and row["scenario"] != tracking.DEFAULT_SCENARIO:
            series = f"{row['region_id'] + ' [' + row['scenario'] + ']':<26} {row['indicator']:<19}"
        if "peak_year_median_old" not in row:
            detail = f"A: {row['old']}; B: {row['new']}" if "old" in row else ""
            lines.append(f"{series} {row['change']:<15} {detail}".rstrip())
            continue
        y0, y1 = row["peak_year_median_old"], row["peak_year_median_new"]
        p0, p1 = row["p_peak_by_target_old"], row["p_peak_by_target_new"]
        v0, v1 = row["peak_value_old"], row["peak_value_new"]
        lines.append(
            f"{series} {_year(y0):>11} {_year(y1):>6} {_year_shift(y0, y1):>5}  "
            f"{_p(p0, row.get('threshold')):>10} {_p(p1, row.get('threshold')):>5} {_shift(p0, p1, '.2f'):>6}  "
            f"{_num(v0, '.3f'):>12} {_num(v1, '.3f'):>9} {_shift(v0, v1, '.3f'):>8} {row.get('unit') or '':<6}  "
            f"{row['change']:<15} {'; '.join(row['causes'])}".rstrip()
        )
    moved = sum(r["change"] not in ("unchanged", "not forecast") for r in rows)
    lines += ["", f"{moved} of {len(rows)} series changed (* = one side is censored, >2060)."]
    return "\n".join(lines)
