"""The ``peakwatch`` command line."""

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows import redact
from flows.config import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError
from flows.redact import redact_text, redacted_traceback
from flows.runlock import RunLockedError, run_lock

# 4: the run's results are kept in artifacts/pending/ (MLflow did not take them); `peakwatch sync` later.
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_LOCKED, EXIT_PENDING = 0, 1, 2, 3, 4
PROJECT_PREFECT_FILE = PROJECT_ROOT / "prefect.yaml"  # flows/deployment.py's, without importing Prefect here


class CliError(Exception):
    """A user-facing failure: printed as one paragraph, no traceback."""


def _config(args: argparse.Namespace):
    from flows.config import load_config

    config = load_config(args.config)
    if args.artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": args.artifacts_dir.resolve()})
    return config


def _open_store(config):
    """The MLflow client and the run series' experiment id, or a CliError saying what is missing."""
    from flows import tracking

    missing = tracking.missing_local_store(config.tracking_uri)
    if missing:
        raise CliError(f"no MLflow store at {missing}; run `peakwatch run` first")
    client = tracking.connect(config.tracking_uri)
    experiment_id = tracking.find_experiment(client, config.run_series)
    if experiment_id is None:
        raise CliError(f"no experiment '{config.run_series}' at {config.tracking_uri_redacted}")
    return client, experiment_id


def _where(result: dict, tracking_uri: str) -> list[str]:
    """Where a run's outputs are, with UI links when servers are configured.

    ``tracking_uri`` (with any credentials) only connects; what is printed is redacted."""
    from prefect.settings import get_current_settings

    from flows import tracking
    from flows.redact import redact_url

    uri, run_id = result["tracking_uri"], result["run_id"]
    ui_url = get_current_settings().ui_url
    flow_run = result["prefect_flow_run_id"]
    lines = [f"Report:      {result['report_path']}", f"Summary:     {result['summary_path']}"]
    if run_id is None:
        lines.append(f"MLflow run:  none yet: pending run {result['pending_id']} (`peakwatch sync` publishes it)")
    else:
        mlflow_url = tracking.run_url(tracking_uri, run_id)
        mlflow_url = redact_url(mlflow_url) if mlflow_url else None
        if mlflow_url is None and uri.startswith("sqlite:///"):
            mlflow_url = f"open with: mlflow ui --backend-store-uri {uri}"
        lines.append(f"MLflow run:  {run_id} (experiment '{result['experiment']}', {uri})")
        lines += [f"             {mlflow_url}"] if mlflow_url else []
    lines.append(f"Prefect run: {flow_run}" + (f" ({ui_url}/runs/flow-run/{flow_run})" if ui_url else " (ephemeral server)"))
    return lines


def _run(args: argparse.Namespace) -> int:
    config = _config(args)  # a bad config is one paragraph before a Prefect server is started for nothing
    with _servers_allowed(config, args.wait):  # refused within a second, before the imports below
        return _run_flow(args, config)


def _run_flow(args: argparse.Namespace, config) -> int:
    from flows.console_log import quiet_engine_tracebacks
    from flows.monthly import monthly_flow
    from flows.publish import TrackingUnavailable

    if not args.verbose:
        quiet_engine_tracebacks()
    snapshots = [sha for value in args.snapshot or () for sha in value.split(",") if sha.strip()]
    try:
        result = monthly_flow(
            config_path=str(args.config),
            artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None,
            snapshots=snapshots or None,
            wait_seconds=args.wait,
        )
    except TrackingUnavailable as exc:
        folder = Path(exc.pending_dir)
        result = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        _print_run(
            {**result, "summary_path": str(folder / "summary.json"), "report_path": str(folder / "report.html")},
            config.tracking_uri,
        )
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_PENDING
    _print_run(result, config.tracking_uri)
    return EXIT_OK


@contextmanager
def _servers_allowed(config, wait_seconds: float) -> Iterator[None]:
    """The artifacts folder's run lock, taken before any server starts (a second
    run learns at once that the folder is busy), and a watchdog that stops the
    servers and clusters this process starts if it is killed (flows/reaper.py)."""
    from flows.reaper import guard_children

    with run_lock(config.artifacts_dir, wait_seconds):
        guard_children()
        yield


def _print_run(result: dict, tracking_uri: str) -> None:
    """``tracking_uri``: the real one (with any credentials), to link the run; printed redacted."""
    from flows import alerts, scenario_report, summary
    from flows.report import rank_by_risk

    warned = {(w["region_id"], w["indicator"]) for w in result["warnings"]}
    print()
    print(summary.format_table(rank_by_risk(result), warned))
    print()
    print(summary.format_pull(result["pull"]))
    print()
    print(summary.format_filled(result["series"]))
    if result.get("scenarios"):
        print("Scenarios (the statistical forecast first, then each scenario):")
        print(scenario_report.format_scenario_table(result["series"], result["scenarios"]))
        print()
    validation = result["validation"]
    if validation["quarantined"]:
        print("Quarantined by validation (not forecast):")
        for region, checks in validation["quarantined"].items():
            print(f"  {region}: {', '.join(_cells_at_fault(validation, region, check) for check in checks)}")
    if validation["warned"]:
        print("Validation warnings (forecast anyway):")
        for region, checks in validation["warned"].items():
            print(f"  {region}: {', '.join(_cells_at_fault(validation, region, check) for check in checks)}")
    print(f"Validation report (GX Data Docs): {validation['docs_dir']}/index.html")
    print(f"{len(result['warnings'])} warning(s): P(peak <= target year) below threshold")
    for warning in result["warnings"]:
        print(f"  ! {warning['message']}")
    disagree = [r for r in result["series"] if r.get("directions_disagree") and r["indicator"] == "co2_emissions"]
    out_of_bounds = [r for r in result["series"] if r.get("carbon_intensity_within_bounds") is False]
    for row in disagree:
        print(f"  ~ {row['region_id']}: energy projected {row['energy_direction']}, CO2 {row['co2_direction']} (next 10 years)")
    for row in out_of_bounds:
        if row["indicator"] == "co2_emissions":
            print(
                f"  ~ {row['region_id']}: projected carbon intensity leaves (0, 3] tCO2/tce in "
                f"{row['carbon_intensity_first_year_out_of_bounds']}"
            )
    print()
    early = result.get("early_warnings") or {}
    if early.get("delivery") == "deferred":
        print("Early warnings: decided when the run reaches MLflow, which holds what was announced before.")
    elif early.get("delivery") == "superseded":
        print(f"Early warnings: not sent; run {early['superseded_by']}, computed later, is already in MLflow.")
    elif early.get("alerts"):
        print(f"New early warnings ({len(early['alerts'])}), delivery: {early['delivery']}")
        for alert in early["alerts"]:
            print(f"  {alert['message']}")
        for delivery in early.get("deliveries", []):
            error = f" ({delivery['error']})" if delivery["error"] else ""
            print(f"  via {delivery['block']}: {delivery['status']}{error}")
        if early.get("error"):  # something after the delivery broke
            print(f"  notify step error: {redact_text(early['error'])}")
    else:
        # redacted again: a summary written before the step redacted its errors may quote a password
        error = f" (notify step error: {redact_text(early['error'])})" if early.get("error") else "."
        print("No new early warnings" + error)
    if early.get("still_late"):
        print(f"Still late, not re-announced: {len(early['still_late'])} series")
    print()
    if result["previous_run_id"]:
        print(f"Changes since run {result['previous_run_id']}:")
        print(alerts.format_changes(result["changes"]))
    else:
        print("First run in this series: nothing to compare with yet.")
    print()
    print("\n".join(_where(result, tracking_uri)))


def _cells_at_fault(validation: dict, region: str, label: str) -> str:
    """A failed check's label with the indicators and years of the region's
    offending rows, e.g. ``rows.positive (...) [co2_emissions 2012]``."""
    years: dict[str, list] = {}
    for check in validation.get("checks", ()):
        if f"{check['check']} ({check['expectation']})" != label:
            continue
        for row in check["offending_rows"]:
            if row.get("region_id") == region and row.get("indicator") is not None and row.get("year") is not None:
                years.setdefault(row["indicator"], []).append(row["year"])
    where = "; ".join(f"{indicator} {', '.join(map(str, sorted(set(ys))))}" for indicator, ys in years.items())
    return f"{label} [{where}]" if where else label


def _sync(args: argparse.Namespace) -> int:
    config = _config(args)  # a bad config is one paragraph before a Prefect server is started for nothing
    with _servers_allowed(config, args.wait):  # refused within a second, before the imports below
        return _sync_flow(args, config)


def _sync_flow(args: argparse.Namespace, config) -> int:
    from flows import pending
    from flows.catalog import Catalog
    from flows.console_log import quiet_engine_tracebacks
    from flows.monthly import sync_flow
    from flows.publish import TrackingUnavailable

    if not args.verbose:
        quiet_engine_tracebacks()
    try:
        synced = sync_flow(
            config_path=str(args.config),
            artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None,
            wait_seconds=args.wait,
        )
    except TrackingUnavailable as exc:
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_PENDING
    for result in synced:
        print(f"published pending run {result['pending_id']} ({result['run_date']}) as MLflow run {result['run_id']}")
        print(f"  summary: {result['summary_path']}")
    left = pending.list_payloads(Catalog(config.artifacts_dir).pending_root)
    if left:  # the store answered: these failed on their own (the log says why)
        names = ", ".join(folder.name for folder in left)
        print(paragraph(f"peakwatch: {len(left)} run(s) left in pending/, not published (see the log above for why): {names}"), file=sys.stderr)
        return EXIT_ERROR
    if not synced:
        print("Nothing pending: every run is in MLflow.")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from flows import compare

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
    rows = compare.compare_summaries(
        summary_a, summary_b, config.warnings.p_peak_threshold, config.warnings.threshold_overrides()
    )
    print(compare.format_comparison(rows, summary_a, summary_b))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from flows import compare, tables, tracking
    from flows.catalog import Catalog, write_atomic
    from flows.report import charted_series, render_report
    from flows.summary import row_key

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one line per table is noise
    config = _config(args)
    client, experiment_id = _open_store(config)
    run_id = args.run or tracking.latest_parent_run_id(client, experiment_id)
    if run_id is None:
        raise CliError(f"no finished parent run in experiment '{config.run_series}' at {config.tracking_uri_redacted}")
    try:
        compare.check_parent_run(client, run_id, experiment_id)
        run_summary = compare.load_run_summary(client, run_id)
    except compare.CompareError as exc:
        raise CliError(str(exc)) from None
    charted = charted_series(run_summary, config.tracking.max_fan_charts)
    count = len(run_summary["series"]) if charted is None else sum(row_key(r)[:2] in charted for r in run_summary["series"])
    print(f"Run {run_id} ({run_summary['run_date']}): downloading the tables of {count} series for the charts ...", file=sys.stderr)
    found = tracking.load_series_tables(client, experiment_id, run_id, charted)
    forecasts = {
        key: tables.forecast_from_table(row, *found[key]) for row in run_summary["series"] if (key := row_key(row)) in found
    }
    names = config.regions.names()
    path = report_path(args.output) if args.output else Catalog(config.artifacts_dir).report(run_id)
    write_atomic(path, render_report(run_summary, forecasts, names, config.tracking.max_fan_charts))
    print(f"Report:      {path}")
    return EXIT_OK


def report_path(output: Path) -> Path:
    """Where ``report --output`` writes: the file named, or report.html in a folder named."""
    return output / "report.html" if output.is_dir() else output


def _serve(args: argparse.Namespace) -> int:
    from prefect.settings import get_current_settings

    from flows.config import load_config
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
    from flows.reaper import guard_children

    guard_children()  # each flow run's server and cluster stop with this process
    serve_deployment(deployment)
    return EXIT_OK


def _deploy(args: argparse.Namespace) -> int:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import get_current_settings

    from flows.deployment import pool_deployments
    from flows.redact import redact_url

    api = get_current_settings().api.url
    if not api:
        raise CliError(
            "set PREFECT_API_URL to the team's Prefect server (e.g. http://localhost:4200/api): no worker would "
            "run a work pool's deployment on the ephemeral local server. On one machine, use `peakwatch serve`."
        )
    overrides = {}
    for item in args.param:
        name, _, value = item.partition("=")
        try:
            overrides[name] = json.loads(value)
        except ValueError:
            overrides[name] = value
    for deployment in pool_deployments(args.prefect_file, overrides):
        pool = deployment.work_pool_name
        try:
            with get_client(sync_client=True) as client:
                client.read_work_pool(pool)
        except ObjectNotFound:
            raise CliError(
                f"work pool {pool!r} does not exist on {redact_url(api)}: start its worker first "
                f"(`prefect worker start --pool {pool} --type process`)"
            ) from None
        deployment_id = deployment.apply()
        crons = ", ".join(f"'{s.schedule.cron}' ({s.schedule.timezone})" for s in deployment.schedules or [])
        print(
            f"Registered '{deployment.flow_name}/{deployment.name}' on work pool {pool!r}, cron {crons or 'none'}: "
            f"{redact_url(api).removesuffix('/api')}/deployments/deployment/{deployment_id}"
        )
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from flows import evaluate
    from flows.config import load_config
    from forecasting.series import ForecastSettings

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
    result = evaluate.evaluate_panel(panel, settings, limit=args.limit, with_autoets=not args.no_autoets)
    print(f"Hold-out evaluation on {label}: last 5 observed years forecast from the years before,")
    print(f"{evaluate.describe_evaluated(result)}; MASE and sMAPE are medians over series,")
    print("coverage is pooled over held-out points.")
    print()
    print(evaluate.format_rows(result.rows))
    print()
    print(evaluate.format_goals(result.rows))
    print(evaluate.describe_peaked(result.n_peaked, result.n_series, panel))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from flows.catalog import Catalog
    from flows.gate import validate_data
    from validation.render import format_report

    config = _config(args)
    docs_dir = None if args.no_docs else (args.docs_dir or Catalog(config.artifacts_dir).standalone_validation_dir())
    report = validate_data(config, args.file, docs_dir)
    print(format_report(report))
    if not report.passed() and not report.warned:
        print("peakwatch: nothing left to forecast: every region was quarantined", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from flows.bench import format_table, run_bench

    rows = run_bench(tuple(args.sizes), args.workers, with_flow=not args.no_flow, ideal_sample=args.ideal_sample)
    print(format_table(rows))
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peakwatch",
        description="Will each region's energy use and CO2 emissions peak before its plan's target year?",
    )
    parser.add_argument("--verbose", action="store_true", help="show full tracebacks on errors")
    # Also accepted after the subcommand; SUPPRESS keeps it from resetting the top-level flag.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors")
    # Commands that take the artifacts folder's run lock.
    wait = argparse.ArgumentParser(add_help=False)
    wait.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS",
        help="if another run holds the artifacts folder, wait up to SECONDS for it (default: exit at once, code 3)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        parents=[verbose, wait],
        help="run the monthly flow once (pull, validate, forecast on Dask, log to MLflow, warn)",
        description=(
            "Run the monthly flow once on a config (default: the embedded synthetic panel). Prints the regions "
            "most at risk first, the warnings, the changes since the previous run, and where the run report "
            "(runs/<run>/report.html), the summary, the MLflow run and the Prefect flow run are."
        ),
    )
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    run.add_argument(
        "--artifacts-dir", type=Path, default=None, help="override the config's artifacts folder"
    )
    run.add_argument(
        "--snapshot",
        action="append",
        metavar="SHA256",
        help="rerun on stored raw bytes instead of fetching: the sha256 of each source's snapshot "
        "(artifacts/raw/manifest.jsonl, or the MLflow tag data_sha256); repeat or comma-separate, one per source",
    )
    run.set_defaults(handler=_run)

    sync = commands.add_parser(
        "sync",
        parents=[verbose, wait],
        help="publish the runs kept in artifacts/pending/ while MLflow was down (each exactly once)",
        description=(
            "When the tracking store cannot take a run, `peakwatch run` keeps every result in "
            "<artifacts>/pending/<id>/ and exits with code 4. `peakwatch sync` publishes those runs to MLflow, "
            "oldest first, decides and sends their early warnings, and moves each to runs/<run>/. A run is "
            "published once: running sync again adds nothing. Exit code 4 while the store is still down. "
            "(`peakwatch run` also publishes pending runs first when the store is back.)"
        ),
    )
    sync.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    sync.add_argument("--artifacts-dir", type=Path, default=None, help="override the config's artifacts folder")
    sync.set_defaults(handler=_sync)

    evaluate = commands.add_parser(
        "evaluate",
        parents=[verbose],
        help="score the forecast engine on held-out years against reference forecasts",
        description=(
            "Hold out the last 5 observed years of every series with >= 10 observed years, choose a model "
            "per series by rolling-origin backtests on the years before, and print MASE, sMAPE and 80/95 % "
            "interval coverage for the selection, every candidate, the random walk with drift and "
            "statsforecast's AutoETS (pip install peakwatch[bench]); also the number of peaked series."
        ),
    )
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config whose sources to evaluate (default: %(default)s)")
    source.add_argument("--ceads", type=Path, default=None, help="CEADs city inventory workbook (.xlsx, sheet 'emission matrix')")
    evaluate.add_argument(
        "--bench", action="store_true",
        help="instead: time fit + backtest + simulate on one core of the series with the longest fully observed "
        "recent stretch, cut to 20 years (at least 10 needed)",
    )
    evaluate.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N",
        help="evaluate only the first N series with >= 10 observed years (quick look)",
    )
    evaluate.add_argument("--no-autoets", action="store_true", help="skip the statsforecast AutoETS reference")
    evaluate.set_defaults(handler=_evaluate)

    serve = commands.add_parser(
        "serve",
        parents=[verbose],
        help="serve the monthly deployment on its cron schedule (runs until stopped)",
        description=(
            "Register the Prefect deployment 'peakwatch-monthly/<schedule.deployment>' with the cron "
            "schedule from the config (default 06:00 on the 1st of each month, Asia/Shanghai) and run "
            "its flow runs in this process until stopped. Uses PREFECT_API_URL when set, else the "
            "ephemeral local Prefect server. Trigger a run by hand with "
            "`prefect deployment run 'peakwatch-monthly/<schedule.deployment>'` (default 'peakwatch-monthly/monthly') "
            "or from the Prefect UI."
        ),
    )
    serve.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    serve.add_argument(
        "--artifacts-dir", type=Path, default=None, help="override the config's artifacts folder in every run"
    )
    serve.set_defaults(handler=_serve)

    deploy = commands.add_parser(
        "deploy",
        parents=[verbose],
        help="register prefect.yaml's work-pool deployment with the team's Prefect server",
        description=(
            "Register the deployments of prefect.yaml (default: 'peakwatch-monthly/team-monthly' on the work "
            "pool 'peakwatch', cron from the file) with the Prefect server at PREFECT_API_URL; the pool's "
            "workers run them. See docs/how-to/team-deployment.md."
        ),
    )
    deploy.add_argument(
        "--prefect-file", type=Path, default=PROJECT_PREFECT_FILE, help="the deployments' file (default: %(default)s)"
    )
    deploy.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="override a flow parameter (VALUE read as JSON when it is, e.g. wait_seconds=600); repeatable",
    )
    deploy.set_defaults(handler=_deploy)

    cmp = commands.add_parser(
        "compare",
        parents=[verbose],
        help="compare two monthly runs per region and indicator (peak year, P(peak <= target), peak value)",
        description=(
            "Show two parent runs side by side: median peak year, P(peak <= target year) and median peak "
            "value per region and indicator in run A and run B, the change, and its cause when known "
            "(new data years, revised data, model switch). A is always the run started first: two ids given "
            "newest first are swapped (with a note); one id is compared with the latest other finished run; "
            "without either, A and B are the latest two finished runs. The tracking store "
            "is the config's tracking.uri, MLFLOW_TRACKING_URI, or the config's local SQLite store."
        ),
    )
    cmp.add_argument("run_a", nargs="?", metavar="RUN_A", help="MLflow run id of a parent run (shown as A if it started first)")
    cmp.add_argument("run_b", nargs="?", metavar="RUN_B", help="MLflow run id of the other parent run (default: the latest other finished run)")
    cmp.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    cmp.add_argument(
        "--artifacts-dir", type=Path, default=None,
        help="override the config's artifacts folder (where the local SQLite store lives)",
    )
    cmp.set_defaults(handler=_compare)

    rep = commands.add_parser(
        "report",
        parents=[verbose],
        help="regenerate the HTML run report of a past run from MLflow (default: the latest)",
        description=(
            "Download a parent run's summary.json and its child runs' forecast and peak-year tables from MLflow and render "
            "the self-contained HTML run report again (headline table, fan charts, changes, validation). "
            "Without RUN, the latest finished parent run. Writes <artifacts>/runs/<run>/report.html unless "
            "--output is given; the MLflow run itself is not modified."
        ),
    )
    rep.add_argument("run", nargs="?", metavar="RUN", help="MLflow run id of the parent run (default: the latest)")
    rep.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    rep.add_argument(
        "--artifacts-dir", type=Path, default=None,
        help="override the config's artifacts folder (where the local SQLite store lives)",
    )
    rep.add_argument(
        "--output", type=Path, default=None, metavar="PATH",
        help="write the report to this file instead (an existing folder: PATH/report.html)",
    )
    rep.set_defaults(handler=_report)

    validate = commands.add_parser(
        "validate",
        parents=[verbose],
        help="run the validation gate alone and print per region: passed, warned or quarantined",
        description=(
            "Run the Great Expectations gate on a tidy CSV FILE (contract columns) or, without FILE, "
            "on every source of the config. Prints, per region, passed / warned / quarantined with the "
            "checks at fault and their offending rows, and writes GX Data Docs (HTML). Thresholds come "
            "from the config's 'validation:' block; parents for the hierarchy check from its region registry. "
            "Exit status 0 when the data are usable (even with some regions quarantined), 1 when they are not "
            "(broken schema, no rows, every region quarantined), 2 on a configuration error."
        ),
    )
    validate.add_argument("file", type=Path, nargs="?", default=None, metavar="FILE", help="tidy CSV to check instead of the config's sources")
    validate.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    validate.add_argument("--artifacts-dir", type=Path, default=None, help="override the config's artifacts folder")
    validate.add_argument(
        "--docs-dir",
        type=Path,
        default=None,
        help="write the Data Docs here (default: <artifacts>/validate/<UTC time>/validation)",
    )
    validate.add_argument("--no-docs", action="store_true", help="do not write Data Docs")
    validate.set_defaults(handler=_validate)

    bench = commands.add_parser(
        "bench",
        parents=[verbose],
        help="measure the fit stage and the whole flow on N synthetic series",
        description=(
            "For each size, in a fresh process with a Dask LocalCluster: the whole monthly flow on N synthetic "
            "series, its fit-stage wall time, series per second, the ideal time (single-process loop / workers), "
            "actual/ideal, whole-flow time, peak memory of the scheduler-side process and of a worker, and the "
            "workers' CPU time against the loop's."
        ),
    )
    bench.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000], help="series counts (default: %(default)s)")
    bench.add_argument("--workers", type=int, default=2, help="Dask worker processes (default: %(default)s)")
    bench.add_argument("--no-flow", action="store_true", help="time the fit stage only, not the whole flow")
    bench.add_argument(
        "--ideal-sample", type=int, default=1000, metavar="N",
        help="time the single-process loop on a random sample of at most N series and scale it to the size, "
        "with its 95%% margin (default: %(default)s)",
    )
    bench.set_defaults(handler=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    redact.install()  # before anything logs: MLflow's, httpx's and Prefect's texts can quote a password
    logging.getLogger("distributed").setLevel(logging.WARNING)
    # A loaded 2-core machine can need more than Prefect's default 20 s to
    # start the ephemeral API server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The project's module loggers (publishing progress, ...) reach the console
    # through Prefect's root handler, which lets only warnings through by default.
    logging.getLogger("flows").setLevel(logging.INFO)
    try:
        return args.handler(args)
    except RunLockedError as exc:
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_LOCKED
    except ConfigError as exc:
        print(paragraph(f"peakwatch: configuration error: {exc}"), file=sys.stderr)
        return EXIT_CONFIG
    except CliError as exc:
        print(paragraph(f"peakwatch: {exc}"), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if args.verbose:
            print(redacted_traceback(exc), file=sys.stderr)
        hint = "" if args.verbose else " (run with --verbose for the full traceback)"
        print(paragraph(f"peakwatch: {type(exc).__name__}: {exc}{hint}"), file=sys.stderr)
        return EXIT_ERROR


def paragraph(message: str) -> str:
    """One readable paragraph: the message's lines and indents joined into one line
    (the terminal wraps it; paths stay whole for copying), URLs without credentials."""
    return " ".join(redact_text(message).split())


if __name__ == "__main__":
    sys.exit(main())
