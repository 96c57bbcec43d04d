"""How far to trust the engine, scored on held-out history (``peakwatch evaluate``
and every run's calibration check). Pure: series in, tables out.

Two protocols, both with the pooled parameters estimated from the panel as
it stood at the cut (nothing after it):

* **Peak events.** Cut the panel at year c; for each series observed at c,
  the event "no year in c+1..c+k exceeds the maximum up to c" (k up to the
  data's end), P from the engine's own paths (``simulate_paths``), the outcome
  from the data. Scored by Brier and log score, with a reliability table,
  against (a) the base rate of the same event at the five cuts before c and
  (b) a random walk with drift on logs with drift uncertainty; paired
  bootstrap intervals for the differences.
* **Hold-out.** The last ``n_test`` observed years of every series with at
  least ``min_observed`` are forecast from the years before: MASE against the
  naive last value, and 80 % / 95 % coverage, per horizon and pooled.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from forecasting.models import fit_log_drift
from forecasting.peaks import PEAKED, classify_history, share_of_paths
from forecasting.scores import (
    Difference,
    ReliabilityBin,
    bootstrap_difference,
    brier_terms,
    log_terms,
    reliability_table,
)
from forecasting.series import (
    ForecastSettings,
    SeriesInput,
    fill_gaps,
    forecastable,
    pool_panel,
    series_seed,
    simulate_paths,
)

log = logging.getLogger(__name__)

ENGINE = "engine"
RANDOM_WALK = "random walk with drift"
BASE_RATE = "base rate (5 earlier cuts)"
NAIVE = "naive (last value)"
BASE_RATE_CUTS = 5


# --- peak events ------------------------------------------------------------


@dataclass(frozen=True)
class EventCase:
    region_id: str
    indicator: str
    p: dict[str, float]  # forecaster -> P(no new high within the window)
    happened: bool


@dataclass(frozen=True)
class EventScores:
    cut: int
    window: int  # k: the years c+1..c+k
    cases: tuple[EventCase, ...]
    base_rate: float  # NaN when no earlier cut has cases

    @property
    def n(self) -> int:
        return len(self.cases)

    @property
    def event_rate(self) -> float:
        return float(np.mean([c.happened for c in self.cases])) if self.cases else np.nan

    def probabilities(self, forecaster: str) -> np.ndarray:
        return np.array([c.p[forecaster] for c in self.cases])

    def outcomes(self) -> np.ndarray:
        return np.array([c.happened for c in self.cases])

    def brier(self, forecaster: str) -> float:
        return float(brier_terms(self.probabilities(forecaster), self.outcomes()).mean())

    def log_score(self, forecaster: str) -> float:
        return float(log_terms(self.probabilities(forecaster), self.outcomes()).mean())

    def reliability(self, forecaster: str = ENGINE) -> list[ReliabilityBin]:
        return reliability_table(self.probabilities(forecaster), self.outcomes())

    def difference(self, reference: str, score: Callable = brier_terms, seed: int = 0) -> Difference:
        y = self.outcomes()
        return bootstrap_difference(score(self.probabilities(ENGINE), y), score(self.probabilities(reference), y), seed=seed)

    @property
    def forecasters(self) -> tuple[str, ...]:
        return tuple(self.cases[0].p) if self.cases else ()

    def as_summary(self) -> dict:
        """JSON-ready: the cut, the scores of every forecaster and the engine's reliability table."""
        return {
            "cut": self.cut,
            "window": self.window,
            "series": self.n,
            "event_rate": self.event_rate if self.cases else None,
            "base_rate": self.base_rate if np.isfinite(self.base_rate) else None,
            "brier": {name: self.brier(name) for name in self.forecasters},
            "log_score": {name: self.log_score(name) for name in self.forecasters},
            "reliability": [b.__dict__ for b in self.reliability()] if self.cases else [],
        }


def cut_series(series: SeriesInput, cut: int) -> SeriesInput | None:
    """The series as it stood at ``cut`` (None when it has no year up to it)."""
    keep = series.years <= cut
    if not keep.any():
        return None
    observed = keep & ~np.isnan(series.values)
    if not observed.any():
        return None
    last = int(np.flatnonzero(observed)[-1]) + 1
    return replace(
        series,
        years=series.years[:last],
        values=series.values[:last],
        drivers={k: v[:last] for k, v in series.drivers.items()},
        panel_last_year=cut,
    )


def new_high_ahead(series: SeriesInput, cut: int, window: int) -> bool | None:
    """Whether an observed year in cut+1..cut+window exceeds the maximum up to
    ``cut`` (None when none of those years is observed)."""
    past = (series.years <= cut) & ~np.isnan(series.values)
    ahead = (series.years > cut) & (series.years <= cut + window) & ~np.isnan(series.values)
    if not past.any() or not ahead.any():
        return None
    return bool(series.values[ahead].max() > series.values[past].max())


def eligible_at(series: SeriesInput, cut: int, settings: ForecastSettings) -> SeriesInput | None:
    """The series cut at ``cut`` if it is observed that year and can be forecast."""
    at = cut_series(series, cut)
    if at is None or at.years[-1] != cut or forecastable(at, settings) is not None:
        return None
    return at


def drift_probability(series: SeriesInput, window: int, n_paths: int, seed: int) -> float:
    """P(no new high within ``window``) under the log random walk with drift
    (each path draws its drift from the estimate's sampling distribution)."""
    values = fill_gaps(series.values)
    model = fit_log_drift(values)
    paths = model.simulate(window, n_paths, np.random.default_rng(seed))
    return share_of_paths(paths.max(axis=1) <= np.nanmax(series.values))


def base_rate(series_list: list[SeriesInput], cut: int, window: int, settings: ForecastSettings) -> float:
    """How often "no new high within ``window``" happened at the ``BASE_RATE_CUTS``
    cuts before ``cut``, pooled over the series eligible at each (their
    windows may reach past ``cut``: the reference knows the outcome period)."""
    outcomes = []
    for earlier in range(cut - BASE_RATE_CUTS, cut):
        for series in series_list:
            if eligible_at(series, earlier, settings) is not None:
                new_high = new_high_ahead(series, earlier, window)
                if new_high is not None:
                    outcomes.append(not new_high)
    return float(np.mean(outcomes)) if outcomes else np.nan


def score_peak_events(
    series_list: list[SeriesInput], cut: int, settings: ForecastSettings, window: int | None = None,
    max_series: int | None = None,
) -> EventScores:
    """The peak-event protocol at one cut (module docstring). ``window``: k,
    default up to the panel's last year; ``max_series`` caps the series scored
    (taken in name order), for the calibration check of big panels."""
    last_year = max(int(s.years[-1]) for s in series_list)
    window = window or last_year - cut
    at_cut = {id(s): eligible_at(s, cut, settings) for s in series_list}
    panel_at_cut = [a for s in series_list if (a := cut_series(s, cut)) is not None]
    pooled = replace(settings, pooling=pool_panel(panel_at_cut, settings))
    cases = []
    candidates = sorted((s for s in series_list if at_cut[id(s)] is not None), key=lambda s: (s.region_id, s.indicator))
    for series in candidates[:max_series]:
        new_high = new_high_ahead(series, cut, window)
        if new_high is None:
            continue
        at = at_cut[id(series)]
        _, paths = simulate_paths(at, pooled)
        seed = series_seed(settings.seed, series.region_id, f"{series.indicator}|reference")
        cases.append(
            EventCase(
                series.region_id,
                series.indicator,
                {
                    ENGINE: share_of_paths(paths[:, :window].max(axis=1) <= np.nanmax(at.values)),
                    RANDOM_WALK: drift_probability(at, window, settings.n_paths, seed),
                },
                happened=not new_high,
            )
        )
    rate = base_rate(series_list, cut, window, settings)
    if np.isfinite(rate):
        cases = [replace(c, p={**c.p, BASE_RATE: rate}) for c in cases]
    return EventScores(cut, window, tuple(cases), rate)


# Every run scores itself on its own panel: cut this many years before its
# last year, at most this many series per cut (by name), so that the check
# costs seconds, not another fit stage, on a big panel.
CHECK_WINDOWS = (5, 7)
CHECK_MAX_SERIES = 300


def calibration_check(
    series_list: list[SeriesInput], settings: ForecastSettings, windows: tuple[int, ...] = CHECK_WINDOWS,
    max_series: int = CHECK_MAX_SERIES,
) -> list[EventScores]:
    """The peak-event protocol on the run's own panel, cut ``windows`` years
    before its last year: how far to trust today's P on this very data."""
    if not series_list:
        return []
    last_year = max(int(s.years[-1]) for s in series_list)
    return [score_peak_events(series_list, last_year - k, settings, k, max_series) for k in windows]


# --- hold-out ---------------------------------------------------------------


@dataclass(frozen=True)
class HoldoutCase:
    region_id: str
    indicator: str
    scale: float  # MASE denominator: mean absolute yearly change over the training years
    actual: np.ndarray  # held-out years (NaN = not observed)
    point: dict[str, np.ndarray]  # forecaster -> median forecast
    inside_80: np.ndarray  # engine's band held the actual (False where unobserved)
    inside_95: np.ndarray

    def scaled_errors(self, forecaster: str) -> np.ndarray:
        return np.abs(self.actual - self.point[forecaster]) / self.scale

    def mase(self, forecaster: str) -> float:
        return float(np.nanmean(self.scaled_errors(forecaster)))


def naive_scale(train: np.ndarray) -> float:
    """MASE denominator: mean absolute one-step naive error over the training years
    (interpolated years included: they carry the trend between observations)."""
    diffs = np.abs(np.diff(fill_gaps(train)))
    return float(diffs.mean()) if len(diffs) else np.nan


def holdout_split(series: SeriesInput, n_test: int = 5, min_observed: int = 10) -> tuple[SeriesInput, np.ndarray] | None:
    """(the series up to its last training year, the held-out values), or None."""
    observed = np.flatnonzero(~np.isnan(series.values))
    if len(observed) < min_observed:
        return None
    train_end = int(observed[-n_test - 1])
    train = cut_series(series, int(series.years[train_end]))
    return train, series.values[train_end + 1 :]


PointReference = Callable[[np.ndarray, int], np.ndarray]  # (training values, years ahead) -> median


def score_holdout(
    series_list: list[SeriesInput],
    settings: ForecastSettings,
    n_test: int = 5,
    min_observed: int = 10,
    references: dict[str, PointReference] | None = None,
) -> list[HoldoutCase]:
    """The hold-out protocol (module docstring); the pooled parameters are
    estimated on the panel cut at each series' last training year.
    ``references``: more point forecasts to score beside the naive value and
    the random walk with drift (one that fails on a series drops it)."""
    pooled_at: dict[int, ForecastSettings] = {}
    cases = []
    for series in series_list:
        split = holdout_split(series, n_test, min_observed)
        if split is None or forecastable(split[0], settings) is not None:
            continue
        train, actual = split
        cut = int(train.years[-1])
        if cut not in pooled_at:
            panel = [a for s in series_list if (a := cut_series(s, cut)) is not None]
            pooled_at[cut] = replace(settings, pooling=pool_panel(panel, settings))
        _, paths = simulate_paths(train, pooled_at[cut])
        paths = paths[:, : len(actual)]
        lo80, hi80, lo95, hi95 = np.quantile(paths, [0.1, 0.9, 0.025, 0.975], axis=0)
        observed = ~np.isnan(actual)
        last = train.values[~np.isnan(train.values)][-1]
        points = {
            ENGINE: np.median(paths, axis=0),
            NAIVE: np.full(len(actual), last),
            RANDOM_WALK: fit_log_drift(fill_gaps(train.values)).forecast(len(actual)),
        }
        try:
            points.update({name: np.asarray(f(train.values, len(actual))) for name, f in (references or {}).items()})
        except Exception as exc:  # a reference's own failure is not the engine's
            log.info("reference failed on %s/%s: %s", series.region_id, series.indicator, exc)
            continue
        cases.append(
            HoldoutCase(
                series.region_id,
                series.indicator,
                naive_scale(train.values),
                actual,
                points,
                observed & (actual >= lo80) & (actual <= hi80),
                observed & (actual >= lo95) & (actual <= hi95),
            )
        )
    return cases


@dataclass(frozen=True)
class HorizonRow:
    horizon: int  # 0 = all horizons pooled
    n_points: int
    mase: dict[str, float]  # forecaster -> median over series of the scaled error at that horizon
    coverage_80: float
    coverage_95: float


def holdout_table(cases: list[HoldoutCase], n_test: int = 5) -> list[HorizonRow]:
    """Per horizon 1..n_test and pooled (horizon 0): median MASE per forecaster, engine coverage."""
    if not cases:
        return []
    forecasters = tuple(cases[0].point)
    rows = []
    for h in range(0, n_test + 1):
        if h == 0:
            mase = {f: float(np.median([c.mase(f) for c in cases])) for f in forecasters}
            seen = np.concatenate([~np.isnan(c.actual) for c in cases])
            inside80 = np.concatenate([c.inside_80 for c in cases])[seen]
            inside95 = np.concatenate([c.inside_95 for c in cases])[seen]
        else:
            at = [c for c in cases if len(c.actual) >= h and not np.isnan(c.actual[h - 1])]
            if not at:
                continue
            mase = {f: float(np.median([c.scaled_errors(f)[h - 1] for c in at])) for f in forecasters}
            inside80 = np.array([c.inside_80[h - 1] for c in at])
            inside95 = np.array([c.inside_95[h - 1] for c in at])
        rows.append(HorizonRow(h, len(inside80), mase, float(inside80.mean()), float(inside95.mean())))
    return rows


def count_peaked(series_list: list[SeriesInput]) -> int:
    """Series whose observed history is ``peaked`` (C40 criterion, from each series' panel year)."""
    return sum(
        classify_history(s.years, s.values, s.panel_last_year) == PEAKED
        for s in series_list
        if np.any(~np.isnan(s.values))
    )
