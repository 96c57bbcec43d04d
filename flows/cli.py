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
