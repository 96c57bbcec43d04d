"""``peakwatch evaluate``: how far to trust the engine on a panel, printed as
tables with the issue's goals, and written as CSV and a reliability diagram.
Wiring and printing only; the protocols live in ``forecasting.evaluation``."""

import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from forecasting.evaluation import (
    BASE_RATE,
    ENGINE,
    NAIVE,
    EventScores,
    HorizonRow,
    count_peaked,
    holdout_table,
    score_holdout,
    score_peak_events,
)
from forecasting.models import fit_log_ets
from forecasting.peaks import PEAKED_MIN_DROP, PEAKED_MIN_YEARS
from forecasting.scores import log_terms, worst_bin_gap
from forecasting.series import ForecastSettings, SeriesInput, forecast_series, split_series, with_pooling
from peakwatch import contract as c
from peakwatch.config import Config
from peakwatch.sources.ceads import read_ceads_emissions
from peakwatch.store.catalog import Catalog

# The hold-out: the last 5 observed years of every series with at least 10.
HOLDOUT_YEARS, MIN_OBSERVED_YEARS = 5, 10
# Default cuts: 7, 9 and 11 years before the panel's last year (2012, 2010, 2008 on CEADs).
DEFAULT_CUT_OFFSETS = (11, 9, 7)
BENCH_YEARS = 20
AUTOETS = "statsforecast AutoETS"

# The goals of the forecast-engine issue, printed beside the figures (never asserted in tests).
GOAL_MASE = 1.40
GOAL_COVERAGE_80 = (0.76, 0.84)
GOAL_COVERAGE_80_PER_HORIZON = 0.70
GOAL_BRIER, GOAL_LOG_SCORE, GOAL_BIN_GAP = 0.18, 0.55, 0.08
GOAL_COST_RATIO = 3.0


def load_config_panel(config: Config) -> pl.DataFrame:
    """The config's sources, fetched, parsed and merged; nothing is written."""
    from peakwatch.sources.pull import read_panel

    return read_panel(config.sources, config.regions, Catalog(config.artifacts_dir))


def load_ceads_panel(path: Path) -> pl.DataFrame:
    return read_ceads_emissions(path)


def default_cuts(panel: pl.DataFrame) -> tuple[int, ...]:
    last = int(panel[c.YEAR].max())
    return tuple(last - k for k in DEFAULT_CUT_OFFSETS)


def autoets_point(train: np.ndarray, horizon: int) -> np.ndarray:
    """statsforecast's AutoETS (non-seasonal, on levels) median forecast."""
    from statsforecast.models import AutoETS  # benchmark-only dependency: pip install peakwatch[bench]

    from forecasting.series import fill_gaps

    return AutoETS(season_length=1).fit(fill_gaps(train)).predict(horizon)["mean"]


@dataclass(frozen=True)
class PanelEvaluation:
    holdout: list[HorizonRow]
    n_holdout: int  # series scored in the hold-out
    events: list[EventScores]
    n_series: int
    n_peaked: int
    last_year: int


def evaluate_panel(
    panel: pl.DataFrame,
    settings: ForecastSettings,
    cuts: tuple[int, ...] | None = None,
    limit: int | None = None,
    with_autoets: bool = True,
) -> PanelEvaluation:
    """Both protocols on the panel (the first ``limit`` series by name, when set)."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    series = sorted(split_series(panel, {}), key=lambda s: (s.region_id, s.indicator))[:limit]
    references = {AUTOETS: autoets_point} if with_autoets else {}
    started = time.monotonic()
    with threadpool_limits(1):
        holdout = score_holdout(series, settings, HOLDOUT_YEARS, MIN_OBSERVED_YEARS, references)
        print(f"  hold-out: {len(holdout)} series ({time.monotonic() - started:.0f}s)", file=sys.stderr)
        events = []
        for cut in cuts or default_cuts(panel):
            events.append(score_peak_events(series, cut, settings))
            print(f"  events cut at {cut}: {events[-1].n} series ({time.monotonic() - started:.0f}s)", file=sys.stderr)
    return PanelEvaluation(
        holdout_table(holdout, HOLDOUT_YEARS), len(holdout), events, len(series), count_peaked(series),
        int(panel[c.YEAR].max()),
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def format_holdout(rows: list[HorizonRow]) -> str:
    if not rows:
        return "hold-out: no series with enough observed years"
    forecasters = list(rows[0].mase)
    header = f"{'horizon':>7} {'points':>6} " + " ".join(f"{f[:22]:>22}" for f in forecasters) + f" {'cov80':>6} {'cov95':>6}"
    lines = ["Median MASE (scaled by the training years' mean yearly change) and the engine's interval coverage:",
             header, "-" * len(header)]
    for row in rows:
        label = "all" if row.horizon == 0 else str(row.horizon)
        lines.append(
            f"{label:>7} {row.n_points:>6} " + " ".join(f"{row.mase[f]:>22.3f}" for f in forecasters)
            + f" {row.coverage_80:>6.1%} {row.coverage_95:>6.1%}"
        )
    return "\n".join(lines)


def format_events(events: list[EventScores]) -> str:
    lines = ["Peak events: P(no year in cut+1..cut+k above the maximum up to the cut); Brier and log score, lower is better.",
             "Differences are engine minus reference with a paired-bootstrap 95 % interval (negative: the engine is better)."]
    for scores in events:
        if not scores.cases:
            lines.append(f"\ncut {scores.cut}: no series observed at the cut with an observed year after it")
            continue
        lines.append(f"\ncut {scores.cut}, k = {scores.window}: {scores.n} series, event rate {scores.event_rate:.1%}")
        header = f"  {'forecaster':<28} {'Brier':>6} {'log':>6}   {'Brier diff [95 %]':<24} {'log diff [95 %]':<24}"
        lines += [header, "  " + "-" * (len(header) - 2)]
        for name in scores.forecasters:
            if name == ENGINE:
                diffs = ""
            else:
                b = scores.difference(name)
                lg = scores.difference(name, log_terms)
                diffs = f"   {b.mean:+.3f} [{b.low:+.3f}, {b.high:+.3f}]    {lg.mean:+.3f} [{lg.low:+.3f}, {lg.high:+.3f}]"
            label = name if name != BASE_RATE else f"{name} = {scores.base_rate:.2f}"
            lines.append(f"  {label:<28} {scores.brier(name):>6.3f} {scores.log_score(name):>6.3f}{diffs}")
        lines.append("  reliability (engine): bin, mean predicted, observed, cases")
        for b in scores.reliability():
            lines.append(f"    {b.lower:.1f}-{b.upper:.1f}  {b.mean_predicted:>6.3f} {b.observed:>6.3f} {b.count:>5}")
    return "\n".join(lines)


def format_goals(result: PanelEvaluation) -> str:
    lines = []
    overall = next((r for r in result.holdout if r.horizon == 0), None)
    if overall is not None:
        mase, naive = overall.mase[ENGINE], overall.mase[NAIVE]
        lines.append(f"goal median MASE <= {GOAL_MASE:.2f} (naive {naive:.3f}): {mase:.3f} -> {_verdict(mase <= GOAL_MASE)}")
        lo, hi = GOAL_COVERAGE_80
        lines.append(f"goal pooled 80 % coverage in [{lo:.0%}, {hi:.0%}]: {overall.coverage_80:.1%} -> "
                     f"{_verdict(lo <= overall.coverage_80 <= hi)}")
        per_h = [r for r in result.holdout if r.horizon > 0]
        worst = min(per_h, key=lambda r: r.coverage_80)
        lines.append(f"goal 80 % coverage >= {GOAL_COVERAGE_80_PER_HORIZON:.0%} at every horizon: lowest "
                     f"{worst.coverage_80:.1%} at {worst.horizon} -> {_verdict(worst.coverage_80 >= GOAL_COVERAGE_80_PER_HORIZON)}")
    for scores in result.events:
        if not scores.cases:
            continue
        brier, logs, gap = scores.brier(ENGINE), scores.log_score(ENGINE), worst_bin_gap(scores.reliability())
        ok = brier <= GOAL_BRIER and logs <= GOAL_LOG_SCORE and gap <= GOAL_BIN_GAP
        lines.append(f"goal cut {scores.cut}: Brier <= {GOAL_BRIER} ({brier:.4f}), log <= {GOAL_LOG_SCORE} ({logs:.4f}), "
                     f"bins of >= 20 within {GOAL_BIN_GAP} ({gap:.3f}) -> {_verdict(ok)}")
    return "\n".join(lines)


def format_report(result: PanelEvaluation, label: str, limit: int | None = None) -> str:
    """Everything ``peakwatch evaluate`` prints: what was scored, both tables, the goals, the peaked count."""
    scope = f", the first {limit} by name" if limit else ""
    return "\n".join([
        f"Evaluation of the forecast engine on {label} ({result.n_series} series{scope}).",
        f"Hold-out: the last {HOLDOUT_YEARS} observed years of {result.n_holdout} series with >= "
        f"{MIN_OBSERVED_YEARS} observed years, forecast from the years before.",
        format_holdout(result.holdout),
        "",
        format_events(result.events),
        "",
        format_goals(result),
        describe_peaked(result),
    ])


def describe_peaked(result: PanelEvaluation) -> str:
    return (
        f"peaked by {result.last_year}: {result.n_peaked} of {result.n_series} series (C40: maximum more than "
        f"{PEAKED_MIN_YEARS} years before {result.last_year}, latest point at most {PEAKED_MIN_YEARS} years old "
        f"and at least {PEAKED_MIN_DROP:.0%} below the maximum)"
    )


def write_outputs(result: PanelEvaluation, folder: Path) -> list[Path]:
    """evaluation_holdout.csv, evaluation_events.csv, evaluation_reliability.csv and
    reliability.png in ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    holdout = pl.DataFrame(
        [{"horizon": r.horizon or "all", "points": r.n_points, **{f"mase_{k}": v for k, v in r.mase.items()},
          "coverage_80": r.coverage_80, "coverage_95": r.coverage_95} for r in result.holdout]
    , strict=False)
    events = pl.DataFrame(
        [{"cut": s.cut, "k": s.window, "series": s.n, "event_rate": s.event_rate, "forecaster": name,
          "brier": s.brier(name), "log_score": s.log_score(name)}
         for s in result.events if s.cases for name in s.forecasters]
    )
    reliability = pl.DataFrame(
        [{"cut": s.cut, "bin_lower": b.lower, "bin_upper": b.upper, "mean_predicted": b.mean_predicted,
          "observed": b.observed, "count": b.count} for s in result.events for b in s.reliability()]
    )
    paths = [folder / "evaluation_holdout.csv", folder / "evaluation_events.csv", folder / "evaluation_reliability.csv"]
    for frame, path in zip((holdout, events, reliability), paths):
        frame.write_csv(path)
    png = folder / "reliability.png"
    plot_reliability(result.events, png)
    return [*paths, png]


def plot_reliability(events: list[EventScores], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 5))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfectly reliable")
    for scores in events:
        table = scores.reliability()
        if not table:
            continue
        x = [b.mean_predicted for b in table]
        y = [b.observed for b in table]
        ax.plot(x, y, marker="o", label=f"cut {scores.cut} (k={scores.window}, n={scores.n}, Brier {scores.brier(ENGINE):.3f})")
        for b in table:
            ax.annotate(str(b.count), (b.mean_predicted, b.observed), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="P(no new high) predicted (bin mean)", ylabel="observed frequency",
           title="Reliability of the peak-event probability")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


class BenchError(ValueError):
    """The panel has no series long enough to benchmark."""


def _observed_tail(values: np.ndarray) -> int:
    """How many of the last years are observed, back to the first gap."""
    gaps = np.flatnonzero(np.isnan(values))
    return len(values) - (gaps[-1] + 1 if len(gaps) else 0)


def bench_series(panel: pl.DataFrame) -> tuple[SeriesInput, list[SeriesInput]]:
    """The series with the longest fully observed recent stretch (the first of
    equals), cut to its last BENCH_YEARS at most, and the whole panel."""
    series = split_series(panel, {})
    best = max(series, key=lambda s: min(_observed_tail(s.values), BENCH_YEARS), default=None)
    n = min(_observed_tail(best.values), BENCH_YEARS) if best else 0
    if n < MIN_OBSERVED_YEARS:
        raise BenchError(
            f"no series with {MIN_OBSERVED_YEARS} consecutive observed years to benchmark (the longest has {n}); "
            "benchmark the CEADs inventory with --ceads FILE"
        )
    return replace(best, years=best.years[-n:], values=best.values[-n:], drivers={}), series


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: imports and first-call caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_bench(panel: pl.DataFrame, settings: ForecastSettings, repeats: int = 7) -> str:
    """The whole engine on one series (pooled parameters given) against one
    damped log-ETS fit with the same number of paths, on one core."""
    series, panel_series = bench_series(panel)
    horizon = settings.horizon_year - int(series.years[-1])
    lines = [f"benchmark: {series.region_id}/{series.indicator}, {len(series.values)} years, "
             f"{settings.n_paths} paths to {settings.horizon_year}, one thread"]
    with threadpool_limits(1):
        started = time.perf_counter()
        pooled = with_pooling(settings, panel_series)
        pooling_s = time.perf_counter() - started
        engine_ms = _median_ms(lambda: forecast_series(series, pooled), repeats)
        rng = np.random.default_rng(0)
        ets_ms = _median_ms(lambda: fit_log_ets(series.values).simulate(horizon, settings.n_paths, rng), repeats)
    ratio = engine_ms / ets_ms
    lines += [
        f"  engine per series (filters, paths, peak statistics)  median {engine_ms:7.1f} ms",
        f"  one damped log-ETS fit + {settings.n_paths} paths             median {ets_ms:7.1f} ms",
        f"  ratio {ratio:.2f} (goal <= {GOAL_COST_RATIO:.0f}) -> {_verdict(ratio <= GOAL_COST_RATIO)}",
        f"  pooling, once per run for the whole panel ({len(panel_series)} series): {pooling_s:.1f} s",
    ]
    return "\n".join(lines)
