"""The ``peakwatch`` command line."""

import argparse
import logging
import sys
import traceback
from pathlib import Path

from flows.config import DEFAULT_CONFIG, ConfigError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def _run(args: argparse.Namespace) -> int:
    from flows import alerts, scenario_report, summary
    from flows.monthly import monthly_flow

    result = monthly_flow(
        config_path=str(args.config), artifacts_dir=str(args.artifacts_dir) if args.artifacts_dir else None
    )
    warned = {(w["region_id"], w["indicator"]) for w in result["warnings"]}
    print()
    print(summary.format_table(result["series"], warned))
    print()
    if result.get("scenarios"):
        print("Scenarios (the statistical forecast first, then each scenario):")
        print(scenario_report.format_scenario_table(result["series"], result["scenarios"]))
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
