"""The ``peakwatch`` command line (console script ``peakwatch``, or
``python -m peakwatch.cli``): the commands and options (typer), one function
per command, what a run prints. The top room: it may import every other."""

from peakwatch.cli.commands import paragraph, report_path
from peakwatch.cli.errors import EXIT_CONFIG, EXIT_ERROR, EXIT_LOCKED, EXIT_OK, EXIT_PENDING, EXIT_USAGE, CliError
from peakwatch.cli.main import main, parse

__all__ = [
    "EXIT_CONFIG", "EXIT_ERROR", "EXIT_LOCKED", "EXIT_OK", "EXIT_PENDING", "EXIT_USAGE", "CliError",
    "main", "paragraph", "parse", "report_path",
]
