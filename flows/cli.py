"""The ``peakwatch`` command line."""

import argparse
import logging
import sys
import traceback
from pathlib import Path

from flows.config import DEFAULT_CONFIG, ConfigError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def _run(args: argparse.Namespace) -> int:
    from flows import alerts, summary
    from flows.monthly import monthly_flow

    snapshots = [sha for value in args.snapshot or () for sha in value.split(",") if sha.strip()]
    result = monthly_flow(
        config_path=str(args.config),
        artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None,
        snapshots=snapshots or None,
    )
    warned = {(w["region_id"], w["indicator"]) for w in result["warnings"]}
    print()
    print(summary.format_table(result["series"], warned))
    print()
    print(summary.format_pull(result["pull"]))
    print()
    print(summary.format_filled(result["series"]))
    validation = result["validation"]
    if validation["quarantined"]:
        print("Quarantined by validation (not forecast):")
        for region, checks in validation["quarantined"].items():
            print(f"  {region}: {', '.join(checks)}")
    if validation["warned"]:
        print("Validation warnings (forecast anyway):")
        for region, checks in validation["warned"].items():
            print(f"  {region}: {', '.join(checks)}")
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
    if result["previous_run_id"]:
        print(f"Changes since run {result['previous_run_id']}:")
        print(alerts.format_changes(result["changes"]))
    else:
        print("First run in this series: nothing to compare with yet.")
    print()
    print(f"Summary:     {result['summary_path']}")
    print(f"MLflow run:  {result['run_id']} (experiment '{result['experiment']}', {result['tracking_uri']})")
    print(f"Prefect run: {result['prefect_flow_run_id']}")
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
        print(evaluate.run_bench(panel, settings))
        return EXIT_OK
    rows, n_evaluated, n_series, n_peaked = evaluate.evaluate_panel(
        panel, settings, limit=args.limit, with_autoets=not args.no_autoets
    )
    print(f"Hold-out evaluation on {label}: last 5 observed years forecast from the years before,")
    print(f"{n_evaluated} of {n_series} series with >= 10 observed years; MASE and sMAPE are medians over series,")
    print("coverage is pooled over held-out points.")
    print()
    print(evaluate.format_rows(rows))
    print()
    print(evaluate.format_goals(rows))
    print(evaluate.describe_peaked(n_peaked, n_series, panel))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from flows.catalog import Catalog
    from flows.config import load_config
    from flows.gate import validate_data
    from validation.render import format_report

    config = load_config(args.config)
    if args.artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": args.artifacts_dir.resolve()})
    docs_dir = None if args.no_docs else (args.docs_dir or Catalog(config.artifacts_dir).standalone_validation_dir())
    report = validate_data(config, args.file, docs_dir)
    print(format_report(report))
    if not report.passed() and not report.warned:
        print("peakwatch: nothing left to forecast: every region was quarantined", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from flows.bench import format_table, run_bench

    rows = run_bench(tuple(args.sizes), args.workers, with_flow=not args.no_flow)
    print(format_table(rows))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peakwatch",
        description="Will each region's energy use and CO2 emissions peak before its plan's target year?",
    )
    parser.add_argument("--verbose", action="store_true", help="show full tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the monthly flow once (pull, validate, forecast on Dask, log to MLflow, warn)",
        description="Run the monthly flow once on a config (default: the embedded synthetic panel).",
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

    evaluate = commands.add_parser(
        "evaluate",
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
    evaluate.add_argument("--bench", action="store_true", help="instead: time fit + backtest + simulate of one 20-year series on one core")
    evaluate.add_argument("--limit", type=int, default=None, help="evaluate only the first N series (quick look)")
    evaluate.add_argument("--no-autoets", action="store_true", help="skip the statsforecast AutoETS reference")
    evaluate.set_defaults(handler=_evaluate)

    validate = commands.add_parser(
        "validate",
        help="run the validation gate alone and print per region: passed, warned or quarantined",
        description=(
            "Run the Great Expectations gate on a tidy CSV FILE (contract columns) or, without FILE, "
            "on every source of the config. Prints, per region, passed / warned / quarantined with the "
            "checks at fault and their offending rows, and writes GX Data Docs (HTML). Thresholds come "
            "from the config's 'validation:' block; parents for the hierarchy check from its region registry. "
            "Exit status 0 when the data are usable (even with quarantined regions), 1 when they are not "
            "(broken schema, no rows), 2 on a configuration error."
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
        help="measure the fit stage and the whole flow on N synthetic series",
        description=(
            "For each size: fit-stage wall time on a Dask LocalCluster, series per second, the ideal time "
            "(single-process loop / workers), actual/ideal, whole-flow time, and peak memory of the "
            "scheduler-side process and of a worker. Each size runs in a fresh process."
        ),
    )
    bench.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000], help="series counts (default: %(default)s)")
    bench.add_argument("--workers", type=int, default=2, help="Dask worker processes (default: %(default)s)")
    bench.add_argument("--no-flow", action="store_true", help="time the fit stage only, not the whole flow")
    bench.set_defaults(handler=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.WARNING)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"peakwatch: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"peakwatch: {type(exc).__name__}: {exc}", file=sys.stderr)
        if not args.verbose:
            print("(run with --verbose for the full traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
