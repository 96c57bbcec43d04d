"""The terminal of `peakwatch run`: a progress bar while it runs, the answer
after; everything the libraries print goes to a log file.

Prefect, Dask, GX and MLflow log to stderr from this process, from the
Prefect server and from the Dask workers it starts (children inherit the
file descriptors), so the redirection is of file descriptors 1 and 2, not of
Python's ``sys.stdout``: nothing a child writes reaches the terminal.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from peakwatch import progress

# What the run does after each stage the flow reports done (peakwatch.killpoints.STAGES).
NEXT_STEP = {
    "start": "starting Prefect, pulling the sources",
    "pull": "validating the data (GX)",
    "gate": "fitting on Dask",
    "fit": "writing the run's payload",
    "payload": "publishing to MLflow, deciding warnings",
    "publish": "writing the report",
    "report": "done",
}


@contextmanager
def output_to(log: Path) -> Iterator[TextIO]:
    """File descriptors 1 and 2 (this process's and its children's) to ``log``
    while the block runs; yields a stream on the terminal's stderr."""
    log.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[1]), "w", encoding="utf-8", errors="replace")
    with log.open("a", encoding="utf-8") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            yield terminal
        finally:
            for stream in (sys.stdout, sys.stderr, terminal):
                stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.close()


@contextmanager
def progress_bar(terminal: TextIO) -> Iterator[None]:
    """The run's stages and the series fitted, as the flow reports them; the
    bar leaves the screen when the run ends (the answer follows)."""
    if not terminal.isatty():  # a log or a pipe: the answer is what counts
        yield
        return
    bar = Progress(
        TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(file=terminal, stderr=True), transient=True,
    )
    stages = bar.add_task(NEXT_STEP["start"], total=len(NEXT_STEP) - 1)
    fit = bar.add_task("series fitted", total=None, visible=False)

    def heard(stage: str, done: int | None, total: int | None) -> None:
        if stage == "fitting":
            bar.update(fit, completed=done, total=total, visible=True)
        elif stage in NEXT_STEP:
            bar.update(stages, advance=1, description=NEXT_STEP[stage])

    with bar, progress.listening(heard):
        yield
