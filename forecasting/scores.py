"""Proper scores of probabilities of a yes/no event: Brier, log score, a
reliability table, and paired-bootstrap intervals for differences of scores."""

from dataclasses import dataclass

import numpy as np

RELIABILITY_BINS = 5
LOG_SCORE_FLOOR = 1e-4  # a reference's P of exactly 0 or 1 would score infinitely


def brier_terms(p: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    return (np.asarray(p, float) - np.asarray(outcome, float)) ** 2


def log_terms(p: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Negative log-likelihood per case (natural log; lower is better)."""
    p = np.clip(np.asarray(p, float), LOG_SCORE_FLOOR, 1 - LOG_SCORE_FLOOR)
    y = np.asarray(outcome, float)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    mean_predicted: float
    observed: float
    count: int


def reliability_table(p: np.ndarray, outcome: np.ndarray, bins: int = RELIABILITY_BINS) -> list[ReliabilityBin]:
    """Equal-width bins of P: mean predicted, observed frequency, count (empty bins left out)."""
    p, y = np.asarray(p, float), np.asarray(outcome, float)
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    return [
        ReliabilityBin(float(edges[b]), float(edges[b + 1]), float(p[index == b].mean()), float(y[index == b].mean()),
                       int((index == b).sum()))
        for b in range(bins)
        if (index == b).any()
    ]


def worst_bin_gap(table: list[ReliabilityBin], min_count: int = 20) -> float:
    """Largest |mean predicted - observed| among bins with at least ``min_count`` cases (0 if none)."""
    return max((abs(b.mean_predicted - b.observed) for b in table if b.count >= min_count), default=0.0)


@dataclass(frozen=True)
class Difference:
    """Mean score of the engine minus a reference's (negative: the engine is better), 95 % interval."""

    mean: float
    low: float
    high: float


def bootstrap_difference(engine: np.ndarray, reference: np.ndarray, reps: int = 2000, seed: int = 0) -> Difference:
    """Paired bootstrap over cases of the mean score difference."""
    diff = np.asarray(engine, float) - np.asarray(reference, float)
    if len(diff) == 0:
        return Difference(np.nan, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (reps, len(diff)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return Difference(float(diff.mean()), float(low), float(high))
