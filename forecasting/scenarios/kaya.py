"""Kaya Monte Carlo: emissions = population x GDP per capita x energy intensity
x carbon intensity of energy; energy = the first three."""

from dataclasses import dataclass

import numpy as np

from forecasting.scenarios.spec import DRIVERS, DriverPath


@dataclass(frozen=True)
class KayaPaths:
    """Simulated future paths, each of shape (n_draws, n_years)."""

    years: np.ndarray
    gdp: np.ndarray
    energy: np.ndarray
    co2: np.ndarray


def simulate_drivers(
    base_logs: dict[str, float],
    drivers: dict[str, DriverPath],
    n_draws: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Log level of each driver per draw and future year.

    Yearly log rate = scenario rate + sd x (one normal per draw) + noise x
    (one normal per draw and year). Every driver always draws the same number
    of normals in the same order, so scenarios that differ in one driver keep
    the same random numbers for the others.
    """
    logs = {}
    for name in DRIVERS:
        path = drivers[name]
        rates = np.asarray(path.rates)
        offset = rng.standard_normal(n_draws)[:, None] * path.sd
        shocks = rng.standard_normal((n_draws, len(rates))) * path.noise
        logs[name] = base_logs[name] + np.cumsum(rates[None, :] + offset + shocks, axis=1)
    return logs


def combine_kaya(logs: dict[str, np.ndarray], years: np.ndarray) -> KayaPaths:
    log_gdp = logs["population"] + logs["gdp_per_capita"]
    log_energy = log_gdp + logs["energy_intensity"]
    return KayaPaths(
        years=years,
        gdp=np.exp(log_gdp),
        energy=np.exp(log_energy),
        co2=np.exp(log_energy + logs["carbon_intensity"]),
    )


def apply_cut(paths: np.ndarray, cut: float) -> np.ndarray:
    """Scale path year k (1 = first future year) by (1 - cut)^k: a yearly cut in
    the intensity the path is divided by GDP with, GDP unchanged."""
    k = np.arange(1, paths.shape[1] + 1)
    return paths * (1.0 - cut) ** k[None, :]
