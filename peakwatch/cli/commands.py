"""The ``peakwatch`` commands: each reads the config and calls into the rooms
(the flows for run and sync, tracking and reporting for compare and report)."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import SimpleNamespace

from peakwatch.cli.errors import EXIT_ERROR, EXIT_OK, EXIT_PENDING, CliError
from peakwatch.cli.output import print_run
from peakwatch.config import Config, load_config
from peakwatch.redact import redact_text
from peakwatch.store.catalog import RUN_LOG, Catalog


def paragraph(message: str) -> str:
    """One readable paragraph: the message's lines and indents joined into one line
    (the terminal wraps it; paths stay whole for copying), URLs without credentials."""
    return " ".join(redact_text(message).split())


def _config(args: SimpleNamespace) -> Config:
    config = load_config(args.config)
    if args.artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": args.artifacts_dir.resolve()})
    return config


def _open_store(config: Config):
    """The MLflow client and the run series' experiment id, or a CliError saying what is missing."""
    from peakwatch.tracking.client import connect, find_experiment, missing_local_store

    missing = missing_local_store(config.tracking_uri)
    if missing:
        raise CliError(f"no MLflow store at {missing}; run `peakwatch run` first")
    client = connect(config.tracking_uri)
    experiment_id = find_experiment(client, config.run_series)
    if experiment_id is None:
        raise CliError(f"no experiment '{config.run_series}' at {config.tracking_uri_redacted}")
    return client, experiment_id


@contextmanager
def _servers_allowed(config: Config, wait_seconds: float) -> Iterator[None]:
    """The artifacts folder's run lock, taken before any server starts (a second
    run learns at once that the folder is busy), and a watchdog that stops the
    servers and clusters this process starts if it is killed (cli/reaper.py)."""
    from peakwatch.cli.reaper import guard_children
    from peakwatch.store.runlock import run_lock

    with run_lock(config.artifacts_dir, wait_seconds):
        guard_children()
        yield


def run(args: SimpleNamespace) -> int:
    config = _config(args)  # a bad config is one paragraph before a Prefect server is started for nothing
    with _servers_allowed(config, args.wait):  # refused within a second, before the imports below
        return _run_flow(args, config)


def _run_flow(args: SimpleNamespace, config: Config) -> int:
    from flows.publish import TrackingUnavailable
    from peakwatch.results.summary import load_run_summary

    log = None if args.verbose else Catalog(config.artifacts_dir).console_log()
    try:
        with _quiet(log):
            result = _monthly_flow(args)
    except TrackingUnavailable as exc:
        folder = Path(exc.pending_dir)
        _keep_log(log, folder)
        summary = load_run_summary(folder / "summary.json")
        print_run(summary, folder / "summary.json", folder / "report.html", config.tracking_uri, args.details)
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_PENDING
    except BaseException:
        if log is not None:
            print(f"peakwatch: the libraries' log of this run: {log}", file=sys.stderr)
        raise
    _keep_log(log, result.summary_path.parent)
    print_run(result.summary, result.summary_path, result.report_path, config.tracking_uri, args.details)
    return EXIT_OK


def _monthly_flow(args: SimpleNamespace):
    from flows.monthly import monthly_flow

    snapshots = [sha for value in args.snapshot or () for sha in value.split(",") if sha.strip()]
    return monthly_flow(
        config_path=str(args.config),
        artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None,
        snapshots=snapshots or None,
        wait_seconds=args.wait,
    )


@contextmanager
def _quiet(log: Path | None, progress: bool = True) -> Iterator[None]:
    """Without ``--verbose`` (``log`` given): the libraries' output to ``log``,
    a progress bar on the terminal (a run's stages: ``progress``), no engine
    tracebacks. With it: as they print."""
    from peakwatch.cli.console_log import quiet_console_after_run, quiet_engine_tracebacks
    from peakwatch.cli.terminal import output_to, progress_bar

    if log is None:
        yield
        return
    quiet_engine_tracebacks()
    try:
        with output_to(log) as terminal, (progress_bar(terminal) if progress else nullcontext()):
            yield
    finally:
        quiet_console_after_run()


def _keep_log(log: Path | None, folder: Path) -> None:
    """The run's log into its folder (the Prefect server, still writing to it, follows)."""
    if log is not None and log.exists() and folder.is_dir():
        log.replace(folder / RUN_LOG)


def sync(args: SimpleNamespace) -> int:
    config = _config(args)  # a bad config is one paragraph before a Prefect server is started for nothing
    with _servers_allowed(config, args.wait):  # refused within a second, before the imports below
        return _sync_flow(args, config)


def _sync_flow(args: SimpleNamespace, config: Config) -> int:
    from flows.publish import TrackingUnavailable, sync_flow
    from peakwatch.store import pending

    log = None if args.verbose else Catalog(config.artifacts_dir).console_log("sync")
    try:
        with _quiet(log, progress=False):  # the run's stages are not the sync's
            synced = sync_flow(
                config_path=str(args.config),
                artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None,
                wait_seconds=args.wait,
            )
    except TrackingUnavailable as exc:
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_PENDING
    except BaseException:
        if log is not None:
            print(f"peakwatch: the libraries' log of this sync: {log}", file=sys.stderr)
        raise
    for result in synced:
        summary = result.summary
        print(f"published pending run {summary.pending_id} ({summary.run_date}) as MLflow run {summary.run_id}")
        print(f"  summary: {result.summary_path}")
    left = pending.list_payloads(Catalog(config.artifacts_dir).pending_root)
    if left:  # the store answered: these failed on their own (the log says why)
        names = ", ".join(folder.name for folder in left)
        why = log or "the log above"
        print(paragraph(f"peakwatch: {len(left)} run(s) left in pending/, not published (see {why} for why): {names}"), file=sys.stderr)
        return EXIT_ERROR
    if not synced:
        print("Nothing pending: every run is in MLflow.")
    if log is not None:
        print(f"Log: {log}")
    return EXIT_OK


def compare(args: SimpleNamespace) -> int:
    from peakwatch.reporting.compare_table import format_comparison
    from peakwatch.results.changes import compare_summaries
    from peakwatch.tracking import compare

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # keep the table clean
    config = _config(args)
    client, experiment_id = _open_store(config)
    try:
        pair = compare.resolve_runs(client, experiment_id, args.run_a, args.run_b)
        if pair.swapped:
            print(
                paragraph(f"peakwatch: note: run {pair.run_b} started after run {pair.run_a}: "
                          f"showing {pair.run_a} as A (earlier) and {pair.run_b} as B"),
                file=sys.stderr,
            )
        summary_a, summary_b = compare.load_run_summary(client, pair.run_a), compare.load_run_summary(client, pair.run_b)
    except compare.CompareError as exc:
        raise CliError(str(exc)) from None
    rows = compare_summaries(summary_a, summary_b, config.warnings.p_peak_threshold, config.warnings.threshold_overrides())
    print(format_comparison(rows, summary_a, summary_b))
    return EXIT_OK


def report(args: SimpleNamespace) -> int:
    from peakwatch.reporting.report import render_report
    from peakwatch.results.ranking import charted_series
    from peakwatch.results.tables import forecast_from_table
    from peakwatch.store.catalog import Catalog, write_atomic
    from peakwatch.tracking import compare
    from peakwatch.tracking.reads import latest_parent_run_id, load_series_tables

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one line per table is noise
    config = _config(args)
    client, experiment_id = _open_store(config)
    run_id = args.run or latest_parent_run_id(client, experiment_id)
    if run_id is None:
        raise CliError(f"no finished parent run in experiment '{config.run_series}' at {config.tracking_uri_redacted}")
    try:
        compare.check_parent_run(client, run_id, experiment_id)
        run_summary = compare.load_run_summary(client, run_id)
    except compare.CompareError as exc:
        raise CliError(str(exc)) from None
    charted = charted_series(run_summary, config.tracking.max_fan_charts)
    series = run_summary.series
    count = len(series) if charted is None else sum(r.key[:2] in charted for r in series)
    print(f"Run {run_id} ({run_summary.run_date}): downloading the tables of {count} series for the charts ...", file=sys.stderr)
    found = load_series_tables(client, experiment_id, run_id, charted)
    forecasts = {row.key: forecast_from_table(row, *found[row.key]) for row in series if row.key in found}
    names = config.regions.names()
    path = report_path(args.output) if args.output else Catalog(config.artifacts_dir).report(run_id)
    write_atomic(path, render_report(run_summary, forecasts, names, config.tracking.max_fan_charts))
    print(f"Report:      {path}")
    return EXIT_OK


def report_path(output: Path) -> Path:
    """Where ``report --output`` writes: the file named, or report.html in a folder named."""
    return output / "report.html" if output.is_dir() else output


def serve(args: SimpleNamespace) -> int:
    from prefect.settings import get_current_settings

    from flows.deployment import build_deployment, serve_deployment

    config = load_config(args.config)
    deployment = build_deployment(config.schedule, args.config, args.artifacts_dir)
    api = get_current_settings().api.url or "the ephemeral local Prefect server"
    print(
        f"Serving 'peakwatch-monthly/{config.schedule.deployment}' against {api}: "
        f"cron '{config.schedule.cron}' ({config.schedule.timezone})"
        + (", schedule paused" if config.schedule.paused else "")
        + ". Stop with Ctrl-C."
    )
    from peakwatch.cli.reaper import guard_children

    guard_children()  # each flow run's server and cluster stop with this process
    serve_deployment(deployment)
    return EXIT_OK


def evaluate(args: SimpleNamespace) -> int:
    from forecasting.series import ForecastSettings
    from peakwatch import evaluate

    if args.ceads:
        panel, settings, label = evaluate.load_ceads_panel(args.ceads), ForecastSettings(), str(args.ceads)
    else:
        config = load_config(args.config)
        panel, settings, label = evaluate.load_config_panel(config), config.forecast.settings(), str(args.config)
    if args.bench:
        try:
            print(evaluate.run_bench(panel, settings))
        except evaluate.BenchError as exc:
            raise CliError(f"{label}: {exc}") from None
        return EXIT_OK
    result = evaluate.evaluate_panel(
        panel, settings, cuts=tuple(args.cuts) if args.cuts else None, limit=args.limit, with_autoets=not args.no_autoets
    )
    print(evaluate.format_report(result, label, args.limit))
    if args.output:
        written = evaluate.write_outputs(result, args.output)
        print("written: " + ", ".join(str(p) for p in written))
    return EXIT_OK


def validate(args: SimpleNamespace) -> int:
    from peakwatch.cli.validate import validate_data
    from validation.render import format_report

    config = _config(args)
    docs_dir = None if args.no_docs else (args.docs_dir or Catalog(config.artifacts_dir).standalone_validation_dir())
    report = validate_data(config, args.file, docs_dir)
    print(format_report(report))
    if not report.passed() and not report.warned:
        print("peakwatch: nothing left to forecast: every region was quarantined", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def bench(args: SimpleNamespace) -> int:
    from flows.bench import format_table, run_bench

    rows = run_bench(tuple(args.sizes), args.workers, with_flow=not args.no_flow, ideal_sample=args.ideal_sample)
    print(format_table(rows))
    return EXIT_OK



def show(args: SimpleNamespace) -> int:
    from peakwatch.results.summary import load_run_summary

    config = _config(args)
    path = _summary_path(config, args.run)
    summary = load_run_summary(path)
    print_run(summary, path, path.parent / "report.html", config.tracking_uri, details=True)
    return EXIT_OK


def _summary_path(config: Config, run: str | None) -> Path:
    """summary.json of ``run`` (a run id, a pending id or a path), or of the newest run in the artifacts folder."""
    from peakwatch.store.runs import newest_local_summary

    catalog = Catalog(config.artifacts_dir)
    if run is None:
        newest = newest_local_summary(catalog, experiment=config.run_series)
        if newest is None:
            raise CliError(f"no run in {config.artifacts_dir}; run `peakwatch run` first")
        folder = catalog.run_dir(newest.run_id) if newest.run_id else catalog.pending_dir(newest.pending_id)
        return folder / "summary.json"
    given = Path(run)
    for path in (given, given / "summary.json", catalog.run_dir(run) / "summary.json", catalog.pending_dir(run) / "summary.json"):
        if path.is_file():
            return path
    raise CliError(f"no summary.json for run {run!r} (looked in {catalog.run_dir(run)} and {catalog.pending_dir(run)})")
