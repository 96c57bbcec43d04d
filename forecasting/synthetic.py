"""Deterministic Kaya simulator for the embedded default panel and for scale tests.

emissions = population x GDP per capita x energy intensity x carbon intensity,
energy    = population x GDP per capita x energy intensity.

Each driver follows piecewise-constant yearly growth rates with small AR(1)
noise on the log scale, from a level in an anchor year. THESE ARE NOT OFFICIAL
STATISTICS: the seed plans carry targets, not history, so the levels below are
calibrated to what the plans and public sources state, and every choice is
written next to its number. Rows are marked synthetic in ``source``.

Regenerate the bundled file with ``python scripts/generate_default_panel.py``.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from peakwatch import contract as c

SOURCE_TAG = "synthetic:peakwatch-kaya-v1 (not official statistics)"
FIRST_YEAR, LAST_YEAR = 2005, 2023


@dataclass(frozen=True)
class KayaCalibration:
    region_id: str
    anchor_year: int
    population: float  # 10k persons in the anchor year
    gdp: float  # CNY_100M (constant prices) in the anchor year
    energy: float  # Mtce in the anchor year
    carbon_intensity: float  # tCO2 per tce in the anchor year
    # Yearly growth rates; each applies from its key year (the change from the
    # previous year into that year) until the next key.
    population_growth: dict[int, float]
    gdp_growth: dict[int, float]
    energy_intensity_growth: dict[int, float]
    carbon_intensity_growth: dict[int, float]
    noise: float = 0.015  # sd of yearly log shocks on both intensities


# Sources: seed plan notes in shared/seeds/notes/ (004 = Yueyang, 001 = Zhuzhou,
# 002 = Jiangyong, 003 = Leiyang, 000 = Pingjiang); census counts 2010/2020;
# CEADs city inventories (Shan et al. 2022) for emission levels of Yueyang and
# Zhuzhou. "assumption" marks a number no source gives, chosen to be plausible
# and consistent (a county well below its city).
SEED_CALIBRATIONS: tuple[KayaCalibration, ...] = (
    KayaCalibration(
        region_id="hunan.yueyang",
        anchor_year=2020,
        population=505.2,  # 2020 census 505.19万 (2010: 547.76万)
        gdp=4001.7,  # published 2020 GDP, 亿元 (approximate)
        # 004 H1/H4: +2.6 %/yr over 2016-2020 adding 209.13万tce
        # -> 2015 = 2.0913 / (1.026^5 - 1) = 15.28 Mtce, 2020 = 17.37 Mtce
        energy=17.37,
        # CEADs 2015: 30.98 MtCO2 / 15.28 Mtce = 2.03; slow decline after
        carbon_intensity=1.95,
        population_growth={2006: 0.003, 2011: -0.008, 2021: -0.006},  # census 2010 -> 2020
        gdp_growth={2006: 0.135, 2011: 0.105, 2016: 0.071, 2021: 0.05},  # 004 H2: 7.1 %/yr 2016-20
        # 004 H3: intensity -19.02 % over 2016-20 = 1.026/1.071 - 1 = -4.2 %/yr;
        # 2021+: Hunan's 14th-FYP cut of ~14 % (~ -3 %/yr), assumption
        energy_intensity_growth={2006: -0.065, 2011: -0.06, 2016: -0.042, 2021: -0.032},
        # gives 2005 CO2 ~ 19.6 Mt (CEADs 2005: 19.25 Mt)
        carbon_intensity_growth={2006: -0.003, 2016: -0.008, 2021: -0.010},
        noise=0.008,  # the plan's 2015-2020 figures must survive the noise
    ),
    KayaCalibration(
        region_id="hunan.yueyang.pingjiang",
        anchor_year=2020,
        population=88.0,  # resident population, approximate
        gdp=330.0,  # approximate
        energy=1.15,  # assumption: a rural county before the Huadian 2x1000 MW plant (000 §4)
        carbon_intensity=2.15,  # assumption: coal-based heat and industry
        population_growth={2006: 0.002, 2011: -0.006},
        gdp_growth={2006: 0.13, 2011: 0.11, 2016: 0.08, 2021: 0.055},
        energy_intensity_growth={2006: -0.06, 2011: -0.06, 2016: -0.045, 2021: -0.03},
        carbon_intensity_growth={2006: 0.0, 2016: -0.005},
    ),
    KayaCalibration(
        region_id="hunan.zhuzhou",
        anchor_year=2020,
        population=390.3,  # 2020 census 390.27万 (2010: 385.6万)
        gdp=3105.8,  # published 2020 GDP, approximate
        # CEADs: ~24.7 Mt in 2005 and 2010, 25.6 in 2013, 19.9 in 2015 (heavy
        # industry closures); with 2005 at 9.5 Mtce x 2.6 the rates below give
        # 2020 = 9.84 Mtce and CI 1.89
        energy=9.84,
        carbon_intensity=1.89,
        population_growth={2006: 0.001},
        gdp_growth={2006: 0.14, 2011: 0.11, 2014: 0.08, 2021: 0.045},
        # 001 target: energy intensity -15 % over 2021-2025 = -3.2 %/yr
        energy_intensity_growth={2006: -0.11, 2011: -0.085, 2014: -0.085, 2021: -0.032},
        carbon_intensity_growth={2006: -0.015, 2011: -0.01, 2014: -0.03, 2021: -0.015},
    ),
    KayaCalibration(
        region_id="hunan.yongzhou.jiangyong",
        anchor_year=2020,
        population=25.5,  # approximate
        gdp=95.0,  # approximate
        energy=0.38,  # assumption: small agricultural county
        carbon_intensity=1.55,  # hydro and 470 MW of wind by 2022 (002 H1)
        population_growth={2006: 0.005, 2011: 0.0, 2021: -0.005},
        gdp_growth={2006: 0.12, 2011: 0.10, 2016: 0.075, 2021: 0.05},
        # 002: energy intensity -14.5 % vs 2020 by 2025 = -3.1 %/yr
        energy_intensity_growth={2006: -0.05, 2011: -0.05, 2016: -0.04, 2021: -0.031},
        carbon_intensity_growth={2006: 0.0, 2016: -0.03, 2021: -0.04},  # wind farms from ~2016
    ),
    KayaCalibration(
        region_id="hunan.hengyang.leiyang",
        anchor_year=2020,
        population=115.0,  # approximate
        gdp=480.0,  # approximate
        # assumption: coal mines (23, 003 H5), Datang Leiyang plant, a 5500 t/d
        # clinker line (003 H9) make it energy-heavy for its size
        energy=3.6,
        carbon_intensity=2.45,
        population_growth={2006: 0.004, 2011: -0.003, 2021: -0.005},
        gdp_growth={2006: 0.14, 2011: 0.11, 2016: 0.075, 2021: 0.05},
        energy_intensity_growth={2006: -0.07, 2011: -0.06, 2016: -0.045, 2021: -0.025},
        carbon_intensity_growth={2006: 0.0, 2016: -0.005, 2021: -0.01},
    ),
)


def _rate_path(rates: dict[int, float], years: np.ndarray) -> np.ndarray:
    """Growth rate in effect in each year (the latest key at or before it)."""
    keys = sorted(rates)
    return np.array([rates[max([k for k in keys if k <= y], default=keys[0])] for y in years])


def _level_path(level: float, anchor_year: int, rates: dict[int, float], years: np.ndarray) -> np.ndarray:
    """Levels over ``years`` from a level in the anchor year and yearly rates."""
    log_growth = np.log1p(_rate_path(rates, years))
    cumulative = np.cumsum(log_growth)
    anchor_index = int(np.searchsorted(years, anchor_year))
    return level * np.exp(cumulative - cumulative[anchor_index])


def _ar1_noise(rng: np.random.Generator, n: int, sigma: float, rho: float = 0.5) -> np.ndarray:
    shocks = rng.normal(0.0, sigma, n)
    noise = np.empty(n)
    noise[0] = shocks[0]
    for i in range(1, n):
        noise[i] = rho * noise[i - 1] + shocks[i]
    return noise


def simulate_region(
    calibration: KayaCalibration,
    rng: np.random.Generator,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> pl.DataFrame:
    years = np.arange(first_year, last_year + 1)
    cal = calibration
    population = _level_path(cal.population, cal.anchor_year, cal.population_growth, years)
    gdp = _level_path(cal.gdp, cal.anchor_year, cal.gdp_growth, years)
    energy_intensity = _level_path(cal.energy / cal.gdp, cal.anchor_year, cal.energy_intensity_growth, years)
    carbon_intensity = _level_path(cal.carbon_intensity, cal.anchor_year, cal.carbon_intensity_growth, years)
    n = len(years)
    population *= np.exp(_ar1_noise(rng, n, cal.noise / 8))
    gdp_per_capita = gdp / population * np.exp(_ar1_noise(rng, n, cal.noise / 3))
    energy_intensity *= np.exp(_ar1_noise(rng, n, cal.noise))
    carbon_intensity *= np.exp(_ar1_noise(rng, n, cal.noise))
    gdp = population * gdp_per_capita
    energy = gdp * energy_intensity
    emissions = energy * carbon_intensity
    columns = {c.POPULATION: population, c.GDP: gdp, c.ENERGY: energy, c.CO2: emissions}
    return pl.concat(
        pl.DataFrame(
            {
                c.REGION_ID: cal.region_id,
                c.YEAR: years,
                c.INDICATOR: indicator,
                c.VALUE: np.round(values, 4),
                c.UNIT: c.UNITS[indicator],
                c.SOURCE: SOURCE_TAG,
            }
        )
        for indicator, values in columns.items()
    ).pipe(c.conform)


def simulate_panel(
    calibrations: tuple[KayaCalibration, ...] = SEED_CALIBRATIONS,
    seed: int = 2005,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> pl.DataFrame:
    """The tidy contract frame for all calibrated regions, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    frames = [simulate_region(cal, rng, first_year, last_year) for cal in calibrations]
    return pl.concat(frames).sort([c.REGION_ID, c.INDICATOR, c.YEAR])


def random_calibrations(n: int, seed: int = 0, prefix: str = "synthetic.region") -> tuple[KayaCalibration, ...]:
    """``n`` regions with random but realistic parameters, for benchmarks and scale tests."""
    rng = np.random.default_rng(seed)
    width = len(str(n))
    calibrations = []
    for i in range(n):
        late_gdp = rng.uniform(0.03, 0.07)
        calibrations.append(
            KayaCalibration(
                region_id=f"{prefix}{i:0{width}d}",
                anchor_year=2020,
                population=float(rng.lognormal(np.log(80), 0.8)),
                gdp=float(rng.lognormal(np.log(400), 0.9)),
                energy=float(rng.lognormal(np.log(1.5), 1.0)),
                # kept so that 2005 levels stay below pure coal (~2.7 tCO2/tce)
                carbon_intensity=float(rng.uniform(1.3, 2.1)),
                population_growth={2006: rng.uniform(-0.005, 0.01), 2016: rng.uniform(-0.01, 0.005)},
                gdp_growth={2006: rng.uniform(0.09, 0.15), 2014: rng.uniform(0.06, 0.09), 2021: late_gdp},
                energy_intensity_growth={2006: rng.uniform(-0.08, -0.03), 2016: rng.uniform(-0.07, -0.02)},
                carbon_intensity_growth={2006: rng.uniform(-0.01, 0.005), 2016: rng.uniform(-0.03, 0.0)},
                noise=float(rng.uniform(0.01, 0.03)),
            )
        )
    return tuple(calibrations)
