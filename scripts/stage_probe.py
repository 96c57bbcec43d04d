"""The monthly flow's memory, stage by stage: the README's stage-probe table.

Runs the monthly flow on N synthetic series (``peakwatch bench``'s panel) with
a two-model menu (ses_log, rw_drift_log; 3 backtest origins), a 2-worker
LocalCluster and a SQLite store, and prints the flow process's peak resident
memory (VmHWM, reset at each stage's start) within each stage and its RSS at
the stage's end. Stages are marked by wrapping the functions that do them,
so a renamed function fails loudly here.

    .venv/bin/python scripts/stage_probe.py --series 10000   # ~8 min on 2 cores

Probes of the same code differ by up to ~10 MB from run to run; compare sizes
within one probe's table, or probes run on an idle machine.
"""

import argparse
import functools
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


class Stages:
    """Each stage's label, peak RSS and RSS at its end, in the order entered."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.current = "start (imports, Prefect's server)"

    def enter(self, label: str) -> None:
        self.rows.append((self.current, _status_mb("VmHWM"), _status_mb("VmRSS")))
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # resets VmHWM to the current RSS
        self.current = label

    def wrap(self, module, name: str, label: str, after: str | None = None) -> None:
        """Make ``module.name`` mark ``label`` while it runs and ``after`` once it returns."""
        inner = getattr(module, name)

        @functools.wraps(inner)
        def marked(*args, **kwargs):
            self.enter(label)
            try:
                return inner(*args, **kwargs)
            finally:
                self.enter(after or f"after {label}")

        setattr(module, name, marked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10000, help="synthetic series to run on (default 10000)")
    args = parser.parse_args()
    # publishing's progress (child runs logged), as `peakwatch run` shows it (peakwatch/cli/main.py)
    for package in ("flows", "peakwatch"):
        logging.getLogger(package).setLevel(logging.INFO)

    from flows import monthly, publish, tasks
    from flows.bench import write_config
    from peakwatch.store import pending
    from peakwatch.tracking import runs

    stages = Stages()
    stages.wrap(tasks, "pull_all", "pull")
    stages.wrap(tasks, "validate_panel", "validation")
    stages.wrap(monthly, "split_series", "cutting the series")
    stages.wrap(monthly, "fit_stage", "fit", after="building the payload")
    stages.wrap(pending, "write_payload", "writing the payload")
    stages.wrap(publish, "publish_payload", "finding the run, deciding the warnings", after="after publishing")
    stages.wrap(runs, "log_children", "logging the child runs")
    stages.wrap(publish, "write_report", "writing the report")
    with tempfile.TemporaryDirectory() as tmp:
        panel = Path(tmp) / "panel.csv"
        # in a child process, so that simulating the panel does not count here
        script = f"from flows.bench import write_panel; from pathlib import Path; write_panel({args.series}, Path({str(panel)!r}))"
        subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parent.parent)
        started = time.perf_counter()
        config = write_config(
            Path(tmp), panel, {"n_workers": 2}, {"candidates": ["ses_log", "rw_drift_log"], "backtest_origins": 3}, "stage-probe"
        )
        result = monthly.monthly_flow(config_path=str(config))
        stages.enter("end")
    print(f"{len(result.summary.series)} series in {time.perf_counter() - started:.0f} s")
    print(f"{'stage':<34} {'peak MB':>8} {'at end MB':>10}")
    for label, peak, at_end in stages.rows:
        print(f"{label:<34} {peak:>8.0f} {at_end:>10.0f}")
    print(f"{'the run':<34} {max(peak for _, peak, _ in stages.rows[1:]):>8.0f}")


if __name__ == "__main__":  # Dask's worker processes import this file again
    main()
