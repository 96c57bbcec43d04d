"""The ``peakwatch`` argument parser: one builder per command."""

import argparse
from pathlib import Path

from peakwatch.cli import commands as commands_
from peakwatch.cli import deploy, webhook
from peakwatch.config import DEFAULT_CONFIG


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
    _add_run(commands, verbose, wait)
    _add_sync(commands, verbose, wait)
    _add_evaluate(commands, verbose, wait)
    _add_serve(commands, verbose, wait)
    deploy.add_parser(commands, verbose)
    webhook.add_parser(commands, verbose)
    _add_compare(commands, verbose, wait)
    _add_report(commands, verbose, wait)
    _add_validate(commands, verbose, wait)
    _add_bench(commands, verbose, wait)
    return parser


def _add_run(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    run.set_defaults(handler=commands_.run)


def _add_sync(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    sync.set_defaults(handler=commands_.sync)


def _add_evaluate(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        parents=[verbose],
        help="score the forecast engine on held-out history: peak events and hold-out years",
        description=(
            "Peak events: cut the panel at several years (default: 11, 9 and 7 years before its last year) and "
            "score P(no new high within k years, k up to the data's end) from the engine's own paths with Brier, "
            "log score and a reliability table, against the base rate of the five cuts before and a random walk "
            "with drift. Hold-out: forecast the last 5 observed years of every series with >= 10 from the years "
            "before; median MASE against the naive last value (and statsforecast's AutoETS with "
            "pip install peakwatch[bench]) and 80/95 %% coverage per horizon. Prints the engine issue's goals."
        ),
    )
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config whose sources to evaluate (default: %(default)s)")
    source.add_argument("--ceads", type=Path, default=None, help="CEADs city inventory workbook (.xlsx, sheet 'emission matrix')")
    evaluate.add_argument(
        "--bench", action="store_true",
        help="instead: time the engine on one core on the series with the longest fully observed recent stretch "
        "(cut to 20 years, at least 10 needed) against one damped log-ETS fit with the same paths",
    )
    evaluate.add_argument("--cuts", type=int, nargs="+", default=None, metavar="YEAR",
                          help="cut years of the peak-event protocol (default: 11, 9 and 7 years before the last year)")
    evaluate.add_argument("--output", type=Path, default=None, metavar="DIR",
                          help="also write the tables as CSV and the reliability diagram as PNG into DIR")
    evaluate.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N",
        help="evaluate only the first N series by name (quick look)",
    )
    evaluate.add_argument("--no-autoets", action="store_true", help="skip the statsforecast AutoETS reference")
    evaluate.set_defaults(handler=commands_.evaluate)


def _add_serve(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    serve.set_defaults(handler=commands_.serve)


def _add_compare(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    cmp.set_defaults(handler=commands_.compare)


def _add_report(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    rep.set_defaults(handler=commands_.report)


def _add_validate(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    validate.set_defaults(handler=commands_.validate)


def _add_bench(commands, verbose: argparse.ArgumentParser, wait: argparse.ArgumentParser) -> None:
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
    bench.set_defaults(handler=commands_.bench)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
