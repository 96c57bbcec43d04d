"""How honest are the forecast's far bands? The whole engine (pooling over the
simulated panel, both components, paths) on simulated log random walks with
drift, scored by how often the fan's 10-90 % band holds the true value h years
out. Prints the coverage per horizon and the panel's pooled parameters.

    .venv/bin/python scripts/far_coverage.py --series 300   # ~15 ms a series

A random walk with drift is a series whose growth never fades: the engine,
built for regions whose growth slows and stops, damps it and keeps "growth
stops now" for a share of the paths, so its far bands fall behind such a
panel (docs/engine.md, "Far bands").
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.series import ForecastSettings, SeriesInput, forecast_series, with_pooling  # noqa: E402

HORIZONS = (1, 5, 15, 35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300, help="simulated series (default 300)")
    parser.add_argument("--years", type=int, default=19, help="observed years per series (default 19, as the default panel)")
    parser.add_argument("--drift", type=float, default=0.03, help="yearly log drift (default 0.03)")
    parser.add_argument("--sigma", type=float, default=0.05, help="sd of a yearly log change (default 0.05)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    years = np.arange(2005, 2005 + args.years)
    steps = args.drift + args.sigma * rng.standard_normal((args.series, args.years - 1 + max(HORIZONS)))
    log_values = np.concatenate([np.zeros((args.series, 1)), np.cumsum(steps, axis=1)], axis=1)
    panel = [
        SeriesInput(f"walk.{i}", "co2_emissions", "MtCO2", years, np.exp(walk[: args.years]), 2030, panel_last_year=int(years[-1]))
        for i, walk in enumerate(log_values)
    ]
    settings = with_pooling(ForecastSettings(horizon_year=int(years[-1]) + max(HORIZONS)), panel)
    inside = dict.fromkeys(HORIZONS, 0)
    for series, walk in zip(panel, log_values):
        fan = forecast_series(series, settings).fan
        for h in HORIZONS:
            inside[h] += bool(fan.quantiles[0.1][h - 1] <= np.exp(walk[args.years - 1 + h]) <= fan.quantiles[0.9][h - 1])
    print(f"{args.series} log random walks (drift {args.drift}, sigma {args.sigma}), {args.years} observed years")
    print("80 % band coverage: " + ", ".join(f"{h} yr {inside[h] / args.series:.0%}" for h in HORIZONS))
    print(settings.pooling["co2_emissions"].describe())


if __name__ == "__main__":
    main()
