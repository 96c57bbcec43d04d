"""``peakwatch evaluate``: hold-out scores of the engine on a panel, against
references, the peaked-series count, and the cost benchmark. Wiring and
printing only; the protocol lives in ``forecasting.evaluation``."""

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from peakwatch.store.catalog import Catalog
from peakwatch.sources.ceads import read_ceads_emissions
from peakwatch.config import Config
from peakwatch import contract as c
from forecasting.evaluation import (
    AUTOETS,
    SELECTED,
    EvaluationRow,
    count_peaked,
    evaluate_series,
    holdout_split,
    summarize_evaluations,
)
from forecasting.models import REFERENCE, candidates_for
from forecasting.peaks import PEAKED_MIN_YEARS
from forecasting.series import ForecastSettings, SeriesInput, forecast_series, split_series

# The hold-out: the last 5 observed years of every series with at least 10.
HOLDOUT_YEARS, MIN_OBSERVED_YEARS = 5, 10
# The benchmark's series length (the goal is per 20-year series).
BENCH_YEARS = 20

# The goals, printed next to the figures (never asserted in tests).
GOAL_COVERAGE_80 = (0.75, 0.85)
GOAL_MS_PER_SERIES = 50.0


def load_config_panel(config: Config) -> pl.DataFrame:
    """The config's sources, fetched, parsed and merged; nothing is written."""
    from peakwatch.sources.pull import read_panel

    return read_panel(config.sources, config.regions, Catalog(config.artifacts_dir))


def load_ceads_panel(path: Path) -> pl.DataFrame:
    return read_ceads_emissions(path)


@dataclass(frozen=True)
class PanelEvaluation:
    rows: list[EvaluationRow]
    n_evaluated: int  # the first ``limit`` of the eligible, or all of them
    n_eligible: int  # series with enough observed years for the hold-out
    n_series: int  # series in the panel
    n_peaked: int


def evaluate_panel(
    panel: pl.DataFrame, settings: ForecastSettings, limit: int | None = None, with_autoets: bool = True
) -> PanelEvaluation:
    """Hold-out scores of the panel's series with enough observed years (the first ``limit`` of them)."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    series = split_series(panel, {})
    eligible = [s for s in series if holdout_split(s, HOLDOUT_YEARS, MIN_OBSERVED_YEARS) is not None]
    chosen = eligible[:limit]
    evaluations = []
    started = time.monotonic()
    with threadpool_limits(1):
        for i, s in enumerate(chosen, 1):
            result = evaluate_series(s, settings, HOLDOUT_YEARS, MIN_OBSERVED_YEARS, with_autoets=with_autoets)
            if result is not None:
                evaluations.append(result)
            if i % 25 == 0:
                print(f"  evaluated {i}/{len(chosen)} series ({time.monotonic() - started:.0f}s)", file=sys.stderr)
    return PanelEvaluation(summarize_evaluations(evaluations), len(chosen), len(eligible), len(series), count_peaked(series))


def describe_evaluated(result: PanelEvaluation) -> str:
    """Which series the table covers: --limit cuts the eligible ones, not the panel."""
    text = f"{result.n_eligible} of {result.n_series} series with >= {MIN_OBSERVED_YEARS} observed years"
    if result.n_evaluated < result.n_eligible:
        text += f", the first {result.n_evaluated} evaluated (--limit)"
    return text


def format_rows(rows: list[EvaluationRow]) -> str:
    header = f"{'model':<24} {'series':>6} {'MASE':>6} {'sMAPE%':>7} {'cov80':>6} {'cov95':>6} {'points':>7}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.model:<24} {row.n_series:>6} {row.median_mase:>6.3f} {row.median_smape:>7.2f} "
            f"{row.coverage_80:>6.1%} {row.coverage_95:>6.1%} {row.n_points:>7}"
        )
    return "\n".join(lines)


def format_goals(rows: list[EvaluationRow]) -> str:
    by_model = {r.model: r for r in rows}
    selected, rw, autoets = by_model.get(SELECTED), by_model.get(REFERENCE.name), by_model.get(AUTOETS)
    if selected is None:
        return "goals: no series could be evaluated"
    lines = []
    if rw:
        verdict = "met" if selected.median_mase < rw.median_mase else "MISSED"
        lines.append(
            f"goal MASE < random walk with drift: {selected.median_mase:.3f} vs {rw.median_mase:.3f} -> {verdict}"
        )
    if autoets:
        verdict = "met" if selected.median_mase <= autoets.median_mase else "MISSED"
        lines.append(f"goal MASE <= AutoETS: {selected.median_mase:.3f} vs {autoets.median_mase:.3f} -> {verdict}")
    lo, hi = GOAL_COVERAGE_80
    verdict = "met" if lo <= selected.coverage_80 <= hi else "MISSED"
    lines.append(f"goal 80 % coverage in [{lo:.0%}, {hi:.0%}]: {selected.coverage_80:.1%} -> {verdict}")
    return "\n".join(lines)


class BenchError(ValueError):
    """The panel has no series long enough to benchmark."""


def _observed_tail(values: np.ndarray) -> int:
    """How many of the last years are observed, back to the first gap."""
    gaps = np.flatnonzero(np.isnan(values))
    return len(values) - (gaps[-1] + 1 if len(gaps) else 0)


def bench_series(panel: pl.DataFrame, settings: ForecastSettings) -> SeriesInput:
    """The series with the longest fully observed recent stretch (the first of
    equals), cut to its last BENCH_YEARS at most: the shipped panel has 19 years,
    the CEADs inventory 20 or more."""
    series = split_series(panel, {})
    best = max(series, key=lambda s: min(_observed_tail(s.values), BENCH_YEARS), default=None)
    n = min(_observed_tail(best.values), BENCH_YEARS) if best else 0
    if n < MIN_OBSERVED_YEARS:
        raise BenchError(
            f"no series with {MIN_OBSERVED_YEARS} consecutive observed years to benchmark (the longest has {n}); "
            "benchmark the CEADs inventory with --ceads FILE"
        )
    drivers = {k: v[-n:] for k, v in best.drivers.items()}
    return SeriesInput(best.region_id, best.indicator, best.unit, best.years[-n:], best.values[-n:], 2030, drivers)


def run_bench(panel: pl.DataFrame, settings: ForecastSettings, repeats: int = 5) -> str:
    """Wall time of fit + backtest + simulate for one series (bench_series) on one core."""
    series = bench_series(panel, settings)
    lines = [f"benchmark: {series.region_id}/{series.indicator}, {len(series.values)} years, "
             f"{settings.n_paths} paths to {settings.horizon_year}, {settings.backtest_origins} origins, one thread"]
    with threadpool_limits(1):
        forecast_series(series, settings)  # warm-up: imports and first-call caches
        for label, variant in (
            ("full (all candidates, backtests)", settings),
            (
                "damped ETS only, no backtests",
                ForecastSettings(**{**settings.__dict__, "candidates": ("ets_damped_log",), "backtest_origins": 0}),
            ),
        ):
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                result = forecast_series(series, variant)
                times.append((time.perf_counter() - started) * 1000)
            lines.append(
                f"  {label:<34} median {statistics.median(times):7.1f} ms  (min {min(times):.1f}; goal < "
                f"{GOAL_MS_PER_SERIES:.0f} ms; chose {result.model})"
            )
        lines.append("  per candidate (its backtests + final fit + 1000 paths):")
        for cand in candidates_for(series.drivers, settings.candidates):
            alone = ForecastSettings(**{**settings.__dict__, "candidates": (cand.name,)})
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                forecast_series(series, alone)
                times.append((time.perf_counter() - started) * 1000)
            lines.append(f"    {cand.name:<16} {statistics.median(times):7.1f} ms")
    return "\n".join(lines)


def describe_peaked(n_peaked: int, n_series: int, panel: pl.DataFrame) -> str:
    last = int(panel[c.YEAR].max())
    return (
        f"peaked by {last}: {n_peaked} of {n_series} series (maximum at least {PEAKED_MIN_YEARS} years before "
        f"the last observed year and below it in every observed year since)"
    )
