"""The ``peakwatch`` command line: parse, run the command, turn failures into
one paragraph and an exit code."""

import logging
import os
import sys
import traceback

from peakwatch.cli.commands import paragraph
from peakwatch.cli.errors import EXIT_CONFIG, EXIT_ERROR, EXIT_LOCKED, CliError
from peakwatch.cli.parser import build_parser
from peakwatch import redact
from peakwatch.config import ConfigError
from peakwatch.store.runlock import RunLockedError


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
    for package in ("flows", "peakwatch"):
        logging.getLogger(package).setLevel(logging.INFO)
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
            traceback.print_exc()
        hint = "" if args.verbose else " (run with --verbose for the full traceback)"
        print(paragraph(f"peakwatch: {type(exc).__name__}: {exc}{hint}"), file=sys.stderr)
        return EXIT_ERROR
