"""How honest are the forecast's far bands? The whole engine (candidate menu,
backtests, selection, calibration, paths) on simulated log random walks with
drift, scored by how often the fan's 10-90 % band holds the true value h years
out. Prints the coverage per horizon and which models were chosen.

    .venv/bin/python scripts/far_coverage.py --series 200   # ~0.3 s a series

A random walk with drift is the simplest series the menu must handle: its
80 % band should hold the truth 80 % of the time at every horizon.
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.series import ForecastSettings, SeriesInput, forecast_series  # noqa: E402

HORIZONS = (1, 5, 15, 35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200, help="simulated series (default 200)")
    parser.add_argument("--years", type=int, default=19, help="observed years per series (default 19, as the default panel)")
    parser.add_argument("--drift", type=float, default=0.03, help="yearly log drift (default 0.03)")
    parser.add_argument("--sigma", type=float, default=0.05, help="sd of a yearly log change (default 0.05)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    years = np.arange(2005, 2005 + args.years)
    settings = ForecastSettings(horizon_year=int(years[-1]) + max(HORIZONS))
    inside, chosen = Counter(), Counter()
    for i in range(args.series):
        steps = args.drift + args.sigma * rng.standard_normal(args.years - 1 + max(HORIZONS))
        log_values = np.concatenate([[0.0], np.cumsum(steps)])
        series = SeriesInput(f"walk.{i}", "co2_emissions", "MtCO2", years, np.exp(log_values[: args.years]), 2030)
        forecast = forecast_series(series, settings)
        chosen[forecast.model] += 1
        for h in HORIZONS:
            low, high = forecast.fan.quantiles[0.1][h - 1], forecast.fan.quantiles[0.9][h - 1]
            inside[h] += bool(low <= np.exp(log_values[args.years - 1 + h]) <= high)
    print(f"{args.series} log random walks (drift {args.drift}, sigma {args.sigma}), {args.years} observed years")
    print("80 % band coverage: " + ", ".join(f"{h} yr {inside[h] / args.series:.0%}" for h in HORIZONS))
    print("chosen: " + ", ".join(f"{m} {n}" for m, n in chosen.most_common()))


if __name__ == "__main__":
    main()
