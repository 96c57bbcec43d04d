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

    result = monthly_flow(
        config_path=str(args.config), artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None
    )
    warned = {(w["region_id"], w["indicator"]) for w in result["warnings"]}
    print()
    print(summary.format_table(result["series"], warned))
    print()
    quarantined = result["validation"]["quarantined"]
    if quarantined:
        print("Quarantined by validation (not forecast):")
        for region, checks in quarantined.items():
            print(f"  {region}: {', '.join(checks)}")
    print(f"{len(result['warnings'])} warning(s): P(peak <= target year) below threshold")
    for warning in result["warnings"]:
        print(f"  ! {warning['message']}")
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


def _compare(args: argparse.Namespace) -> int:
    from flows import compare, tracking
    from flows.config import load_config

    config = load_config(args.config)
    if args.artifacts_dir:
        config = config.model_copy(update={"artifacts_dir": args.artifacts_dir.resolve()})
    missing = tracking.missing_local_store(config.tracking_uri)
    if missing:
        print(f"peakwatch: no MLflow store at {missing}; run `peakwatch run` first", file=sys.stderr)
        return EXIT_ERROR
    client = tracking.connect(config.tracking_uri)
    experiment_id = tracking.find_experiment(client, config.run_series)
    if experiment_id is None:
        print(f"peakwatch: no experiment '{config.run_series}' at {config.tracking_uri}", file=sys.stderr)
        return EXIT_ERROR
    try:
        run_a, run_b = compare.resolve_runs(client, experiment_id, args.run_a, args.run_b)
        summary_a, summary_b = compare.load_run_summary(client, run_a), compare.load_run_summary(client, run_b)
    except compare.CompareError as exc:
        print(f"peakwatch: {exc}", file=sys.stderr)
        return EXIT_ERROR
    rows = compare.compare_summaries(summary_a, summary_b, config.warnings.p_peak_threshold)
    print(compare.format_comparison(rows, summary_a, summary_b))
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
    run.set_defaults(handler=_run)

    cmp = commands.add_parser(
        "compare",
        help="compare two monthly runs per region and indicator (peak year, P(peak <= target), peak value)",
        description=(
            "Show two parent runs side by side: median peak year, P(peak <= target year) and median peak "
            "value per region and indicator in run A and run B, the change, and its cause when known "
            "(new data years, revised data, model switch). Without RUN_B, B is the latest finished run; "
            "without either, A and B are the latest two finished runs (A the older). The tracking store "
            "is the config's tracking.uri, MLFLOW_TRACKING_URI, or the config's local SQLite store."
        ),
    )
    cmp.add_argument("run_a", nargs="?", metavar="RUN_A", help="MLflow run id of the earlier parent run")
    cmp.add_argument("run_b", nargs="?", metavar="RUN_B", help="MLflow run id of the later parent run")
    cmp.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="run config YAML (default: %(default)s)")
    cmp.add_argument(
        "--artifacts-dir", type=Path, default=None,
        help="override the config's artifacts folder (where the local SQLite store lives)",
    )
    cmp.set_defaults(handler=_compare)

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
