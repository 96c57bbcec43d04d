"""The ``peakwatch`` command line: parse, run the command, turn failures into
one paragraph and an exit code."""

import logging
import os
import sys
import traceback

import typer
from typer.rich_utils import rich_format_error

from peakwatch import redact
from peakwatch.cli.app import Args, app, spread_values
from peakwatch.cli.commands import paragraph
from peakwatch.cli.errors import EXIT_CONFIG, EXIT_ERROR, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, CliError
from peakwatch.config import ConfigError
from peakwatch.store.runlock import RunLockedError


def parse(argv: list[str] | None = None) -> Args:
    """The command's options, with ``handler``: the function that runs it.
    A usage error is printed (with a suggestion for a misspelt option or
    command) and raises SystemExit(2); ``--help`` prints and raises SystemExit(0)."""
    argv = spread_values(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    try:
        parsed = command.main(args=argv, prog_name="peakwatch", standalone_mode=False)
    except typer.TyperException as exc:  # typer's (vendored) click usage errors
        rich_format_error(exc)
        raise SystemExit(EXIT_USAGE) from None
    except typer.Abort:
        raise SystemExit(EXIT_ERROR) from None
    if not isinstance(parsed, Args):  # --help, or no command: click printed the help
        raise SystemExit(parsed if isinstance(parsed, int) else EXIT_OK)
    return parsed


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    redact.install()  # before anything logs: MLflow's, httpx's and Prefect's texts can quote a password
    logging.getLogger("distributed").setLevel(logging.WARNING)
    # A loaded 2-core machine can need more than Prefect's default 20 s to
    # start the ephemeral API server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The ephemeral server's telemetry heartbeat races the flow for its SQLite
    # file ("database is locked" with a traceback) and sends usage data out.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The project's module loggers (publishing progress, ...) reach the log
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
