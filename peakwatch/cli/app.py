"""The ``peakwatch`` commands and their options, on typer.

Each command here only collects its options into an ``Args`` (with the
function that runs it as ``handler``); ``peakwatch.cli.main`` runs it, so that
every command's failures become one paragraph and an exit code in one place.
A wrong option or command is a usage error (exit code 2) with click's "Did you
mean ...?" suggestion.
"""

from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Optional

import typer

from peakwatch.cli import commands
from peakwatch.cli import deploy as deploy_
from peakwatch.cli import webhook as webhook_
from peakwatch.config import DEFAULT_CONFIG

Args = SimpleNamespace  # the options of one command, and ``handler``: the function that runs it

app = typer.Typer(
    name="peakwatch",
    help="Will each region's energy use and CO2 emissions peak before its plan's target year?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # main() turns failures into one paragraph
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

VERBOSE_HELP = "show full tracebacks on errors, and the libraries' logs on the terminal"
Verbose = Annotated[bool, typer.Option("--verbose", help=VERBOSE_HELP)]
Config = Annotated[Path, typer.Option("--config", help="run config YAML")]
ArtifactsDir = Annotated[Optional[Path], typer.Option("--artifacts-dir", help="override the config's artifacts folder")]
Wait = Annotated[
    float,
    typer.Option(
        "--wait", metavar="SECONDS",
        help="if another run holds the artifacts folder, wait up to SECONDS for it (default: exit at once, code 3)",
    ),
]


@app.callback()
def _top(ctx: typer.Context, verbose: Verbose = False) -> None:
    ctx.obj = {"verbose": verbose}  # also accepted after the command


def _args(ctx: typer.Context, handler, **options) -> Args:
    verbose = options.pop("verbose", False) or bool((ctx.obj or {}).get("verbose"))
    return Args(handler=handler, verbose=verbose, **options)


@app.command(short_help="run the monthly flow once (pull, validate, forecast on Dask, log to MLflow, warn)", help=(
    "Run the monthly flow once on a config (default: the embedded synthetic panel). Prints a one-line verdict, "
    "what changed since the previous run, the headline table (history beside forecast), and where the run "
    "report, the summary, the run's log file, the MLflow run and the Prefect flow run are. --details adds the "
    "scenario table, the sources, validation and every warning (or later: `peakwatch show`)."
))
def run(
    ctx: typer.Context,
    config: Config = DEFAULT_CONFIG,
    artifacts_dir: ArtifactsDir = None,
    snapshot: Annotated[Optional[list[str]], typer.Option(
        "--snapshot", metavar="SHA256",
        help="rerun on stored raw bytes instead of fetching: the sha256 of each source's snapshot "
        "(artifacts/raw/manifest.jsonl, or the MLflow tag data_sha256); repeat or comma-separate, one per source",
    )] = None,
    details: Annotated[bool, typer.Option("--details", help="also print the scenario table, sources, validation and every warning")] = False,
    wait: Wait = 0.0,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.run, config=config, artifacts_dir=artifacts_dir, snapshot=snapshot,
                 details=details, wait=wait, verbose=verbose)


@app.command(short_help="publish the runs kept in artifacts/pending/ while MLflow was down (each exactly once)", help=(
    "When the tracking store cannot take a run, `peakwatch run` keeps every result in <artifacts>/pending/<id>/ "
    "and exits with code 4. `peakwatch sync` publishes those runs to MLflow, oldest first, decides and sends "
    "their early warnings, and moves each to runs/<run>/. A run is published once: running sync again adds "
    "nothing. Exit code 4 while the store is still down."
))
def sync(
    ctx: typer.Context, config: Config = DEFAULT_CONFIG, artifacts_dir: ArtifactsDir = None,
    wait: Wait = 0.0, verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.sync, config=config, artifacts_dir=artifacts_dir, wait=wait, verbose=verbose)


@app.command(short_help="print a finished run again with every detail (default: the newest)", help=(
    "Print a finished run again from its summary.json (default: the newest in the artifacts folder): the "
    "verdict, the changes, the headline table and every detail (scenarios, sources, validation, warnings). "
    "RUN: an MLflow run id (runs/<RUN>/summary.json) or the path of a summary.json."
))
def show(
    ctx: typer.Context,
    run: Annotated[Optional[str], typer.Argument(metavar="RUN", help="run id or summary.json path (default: the newest)")] = None,
    config: Config = DEFAULT_CONFIG,
    artifacts_dir: ArtifactsDir = None,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.show, run=run, config=config, artifacts_dir=artifacts_dir, verbose=verbose)


@app.command(short_help="score the forecast engine on held-out history: peak events and hold-out years", help=(
    "Score the forecast engine on held-out history. Peak events: cut the panel at several years (default: 11, 9 "
    "and 7 years before its last year) and score P(no new high within k years) from the engine's own paths with "
    "Brier, log score and a reliability table, against the base rate and a random walk with drift. Hold-out: "
    "forecast the last 5 observed years of every series with >= 10 from the years before; median MASE against "
    "the naive last value (and statsforecast's AutoETS with pip install peakwatch[bench]) and 80/95 % coverage "
    "per horizon. Prints the engine issue's goals."
))
def evaluate(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option("--config", help=f"run config whose sources to evaluate [default: {DEFAULT_CONFIG}]")] = None,
    ceads: Annotated[Optional[Path], typer.Option("--ceads", help="CEADs city inventory workbook (.xlsx, sheet 'emission matrix')")] = None,
    bench: Annotated[bool, typer.Option("--bench", help=(
        "instead: time the engine on one core on the series with the longest fully observed recent stretch "
        "(cut to 20 years, at least 10 needed) against one damped log-ETS fit with the same paths"))] = False,
    cuts: Annotated[Optional[list[int]], typer.Option("--cuts", metavar="YEAR", help=(
        "cut years of the peak-event protocol, e.g. --cuts 2008 2010 2012 "
        "(default: 11, 9 and 7 years before the last year)"))] = None,
    output: Annotated[Optional[Path], typer.Option("--output", metavar="DIR", help="also write the tables as CSV and the reliability diagram as PNG into DIR")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", metavar="N", min=1, help="evaluate only the first N series by name (quick look)")] = None,
    no_autoets: Annotated[bool, typer.Option("--no-autoets", help="skip the statsforecast AutoETS reference")] = False,
    verbose: Verbose = False,
) -> Args:
    if config is not None and ceads is not None:
        raise typer.BadParameter("give --config or --ceads, not both", param_hint="--ceads")
    return _args(ctx, commands.evaluate, config=config or DEFAULT_CONFIG, ceads=ceads, bench=bench, cuts=cuts,
                 output=output, limit=limit, no_autoets=no_autoets, verbose=verbose)


@app.command(short_help="serve the monthly deployment on its cron schedule (runs until stopped)", help=(
    "Register the Prefect deployment 'peakwatch-monthly/<schedule.deployment>' with the cron schedule from the "
    "config (default 06:00 on the 1st of each month, Asia/Shanghai) and run its flow runs in this process until "
    "stopped. Uses PREFECT_API_URL when set, else the ephemeral local Prefect server. Trigger a run by hand with "
    "`prefect deployment run 'peakwatch-monthly/monthly'` or from the Prefect UI."
))
def serve(
    ctx: typer.Context, config: Config = DEFAULT_CONFIG,
    artifacts_dir: Annotated[Optional[Path], typer.Option("--artifacts-dir", help="override the config's artifacts folder in every run")] = None,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.serve, config=config, artifacts_dir=artifacts_dir, verbose=verbose)


@app.command(short_help="register prefect.yaml's work-pool deployment with the team's Prefect server", help=(
    "Register the deployments of prefect.yaml (default: 'peakwatch-monthly/team-monthly' on the work pool "
    "'peakwatch', cron from the file) with the Prefect server at PREFECT_API_URL; the pool's workers run them. "
    "See docs/how-to/team-deployment.md."
))
def deploy(
    ctx: typer.Context,
    prefect_file: Annotated[Path, typer.Option("--prefect-file", help="the deployments' file")] = deploy_.PROJECT_PREFECT_FILE,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", metavar="NAME=VALUE",
        help="override a flow parameter (VALUE read as JSON when it is, e.g. wait_seconds=600); repeatable",
    )] = None,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, deploy_.deploy_command, prefect_file=prefect_file, param=param or [], verbose=verbose)


@app.command("add-webhook", short_help="create the webhook block that receives the early warnings", help=(
    "Save a Prefect custom webhook block on the Prefect API runs use (PREFECT_API_URL, or the local one) that "
    "posts {\"text\": \"<subject>\\n<body>\"} to the URL you type (not echoed; or piped on stdin). The URL, "
    "tokens and all, is kept in the block's secrets, never in the config or logs."
))
def add_webhook(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(
        "--name", help="the block's name; the config refers to it as custom-webhook/NAME")] = webhook_.DEFAULT_NAME,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, webhook_.add_webhook, name=name, verbose=verbose)


StoreDir = Annotated[Optional[Path], typer.Option(
    "--artifacts-dir", help="override the config's artifacts folder (where the local SQLite store lives)")]


@app.command(short_help="compare two monthly runs per region and indicator (peak year, P(peak <= target), peak value)", help=(
    "Show two parent runs side by side: median peak year, P(peak <= target year) and median peak value per region "
    "and indicator in run A and run B, the change, and its cause when known (new data years, revised data, model "
    "switch). A is always the run started first: two ids given newest first are swapped (with a note); one id is "
    "compared with the latest other finished run; without either, A and B are the latest two finished runs."
))
def compare(
    ctx: typer.Context,
    run_a: Annotated[Optional[str], typer.Argument(metavar="RUN_A", help="MLflow run id of a parent run")] = None,
    run_b: Annotated[Optional[str], typer.Argument(metavar="RUN_B", help="MLflow run id of the other parent run")] = None,
    config: Config = DEFAULT_CONFIG, artifacts_dir: StoreDir = None, verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.compare, run_a=run_a, run_b=run_b, config=config, artifacts_dir=artifacts_dir, verbose=verbose)


@app.command(short_help="regenerate the HTML run report of a past run from MLflow (default: the latest)", help=(
    "Download a parent run's summary.json and its child runs' tables from MLflow and render the self-contained "
    "HTML run report again. Without RUN, the latest finished parent run. Writes <artifacts>/runs/<run>/report.html "
    "unless --output is given; the MLflow run itself is not modified."
))
def report(
    ctx: typer.Context,
    run: Annotated[Optional[str], typer.Argument(metavar="RUN", help="MLflow run id of the parent run (default: the latest)")] = None,
    config: Config = DEFAULT_CONFIG, artifacts_dir: StoreDir = None,
    output: Annotated[Optional[Path], typer.Option("--output", metavar="PATH", help="write the report to this file instead (an existing folder: PATH/report.html)")] = None,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.report, run=run, config=config, artifacts_dir=artifacts_dir, output=output, verbose=verbose)


@app.command(short_help="run the validation gate alone and print per region: passed, warned or quarantined", help=(
    "Run the Great Expectations gate on a tidy CSV FILE (contract columns) or, without FILE, on every source of the "
    "config. Prints, per region, passed / warned / quarantined with the checks at fault and their offending rows, "
    "and writes the validation pages (HTML, readable offline). Exit status 0 when the data are usable (even with "
    "some regions quarantined), 1 when they are not, 2 on a configuration error."
))
def validate(
    ctx: typer.Context,
    file: Annotated[Optional[Path], typer.Argument(metavar="FILE", help="tidy CSV to check instead of the config's sources")] = None,
    config: Config = DEFAULT_CONFIG, artifacts_dir: ArtifactsDir = None,
    docs_dir: Annotated[Optional[Path], typer.Option("--docs-dir", help="write the Data Docs here (default: <artifacts>/validate/<UTC time>/validation)")] = None,
    no_docs: Annotated[bool, typer.Option("--no-docs", help="do not write Data Docs")] = False,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.validate, file=file, config=config, artifacts_dir=artifacts_dir, docs_dir=docs_dir,
                 no_docs=no_docs, verbose=verbose)


@app.command(short_help="measure the fit stage and the whole flow on N synthetic series", help=(
    "For each size, in a fresh process with a Dask LocalCluster: the whole monthly flow on N synthetic series, "
    "its fit-stage wall time, series per second, the ideal time (single-process loop / workers), actual/ideal, "
    "whole-flow time, peak memory of the scheduler-side process and of a worker, and the workers' CPU time."
))
def bench(
    ctx: typer.Context,
    sizes: Annotated[Optional[list[int]], typer.Option("--sizes", metavar="N", help="series counts, e.g. --sizes 100 1000 [default: 100 1000 10000]")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Dask worker processes")] = 2,
    no_flow: Annotated[bool, typer.Option("--no-flow", help="time the fit stage only, not the whole flow")] = False,
    ideal_sample: Annotated[int, typer.Option("--ideal-sample", metavar="N", help=(
        "time the single-process loop on a random sample of at most N series and scale it to the size, "
        "with its 95 % margin"))] = 1000,
    verbose: Verbose = False,
) -> Args:
    return _args(ctx, commands.bench, sizes=sizes or [100, 1000, 10000], workers=workers, no_flow=no_flow,
                 ideal_sample=ideal_sample, verbose=verbose)


# Options that take several values after one flag (`--cuts 2008 2010`), as they did under argparse.
MANY_VALUED = frozenset({"--cuts", "--sizes"})


def spread_values(argv: list[str]) -> list[str]:
    """``--cuts 2008 2010`` -> ``--cuts 2008 --cuts 2010`` (click repeats the flag per value)."""
    out, flag = [], None
    for token in argv:
        if token.startswith("-"):
            flag = token if token in MANY_VALUED else None
            out.append(token)
        elif flag and out[-1] != flag:
            out += [flag, token]
        else:
            out.append(token)
    return out
