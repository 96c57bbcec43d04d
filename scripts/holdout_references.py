"""How low can the hold-out MASE go on CEADs? Simple and standard point
forecasts through the product's own hold-out protocol (``score_holdout``: the
last 5 observed years of every series with at least 10), for docs/engine.md
("What the MASE goal would take").

    .venv/bin/python scripts/holdout_references.py    # ~1 min; needs peakwatch[bench]

Prints the median MASE of each forecaster over the series, lowest first.
The "one growth rate for every series" rows are an oracle: the panel's best
such rate is only known after the hold-out years.
"""

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from forecasting.evaluation import holdout_table, score_holdout
from forecasting.series import ForecastSettings, fill_gaps, split_series
from peakwatch import evaluate as ev

CEADS = Path(__file__).resolve().parents[2] / "shared/data/ceads-cities/The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"

Forecaster = Callable[[np.ndarray, int], np.ndarray]


def one_growth_rate(rate: float) -> Forecaster:
    """The last value growing at ``rate`` a year (log), the same for every series."""
    return lambda train, h: fill_gaps(train)[-1] * np.exp(rate * np.arange(1, h + 1))


def smoothed_level(alpha: float) -> Forecaster:
    """Simple exponential smoothing of the log values at a fixed alpha, held flat."""

    def forecast(train: np.ndarray, h: int) -> np.ndarray:
        logs = np.log(fill_gaps(train))
        level = logs[0]
        for value in logs[1:]:
            level += alpha * (value - level)
        return np.full(h, np.exp(level))

    return forecast


def mean_of_last(k: int) -> Forecaster:
    return lambda train, h: np.full(h, fill_gaps(train)[-k:].mean())


def statsforecast_model(make) -> Forecaster:
    """A statsforecast model fitted to the log values (benchmark-only dependency)."""
    return lambda train, h: np.exp(make().forecast(y=np.log(fill_gaps(train)), h=h)["mean"])


def references() -> dict[str, Forecaster]:
    from statsforecast.models import AutoARIMA, AutoTheta, SimpleExponentialSmoothingOptimized

    return {
        **{f"one growth rate for every series, {r:+.0%}/yr (oracle)": one_growth_rate(r) for r in (-0.01, 0.01, 0.02)},
        **{f"exponential smoothing, alpha {a}": smoothed_level(a) for a in (0.5, 0.7, 0.9)},
        "exponential smoothing, alpha fitted (statsforecast)": statsforecast_model(SimpleExponentialSmoothingOptimized),
        "mean of the last two years": mean_of_last(2),
        ev.AUTOETS: ev.autoets_point,
        "AutoTheta (statsforecast)": statsforecast_model(AutoTheta),
        "AutoARIMA (statsforecast)": statsforecast_model(AutoARIMA),
    }


def main(path: Path = CEADS) -> str:
    series = split_series(ev.load_ceads_panel(path), {})
    cases = score_holdout(series, ForecastSettings(), ev.HOLDOUT_YEARS, ev.MIN_OBSERVED_YEARS, references())
    overall = next(r for r in holdout_table(cases, ev.HOLDOUT_YEARS) if r.horizon == 0)
    lines = [f"Hold-out median MASE, {len(cases)} series (goal <= {ev.GOAL_MASE:.2f})", "| forecaster | MASE |", "|---|---|"]
    lines += [f"| {name} | {mase:.3f} |" for name, mase in sorted(overall.mase.items(), key=lambda item: item[1])]
    return "\n".join(lines)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else CEADS))
