"""Typed inputs and outputs of the scenario simulation (frozen, no I/O).

The flow layer parses YAML into these; nothing here knows about files.
"""

from dataclasses import dataclass, field

import numpy as np

from forecasting.peaks import HORIZON_YEAR, PeakStatistics

# Kaya drivers, in the fixed order random numbers are drawn in.
POPULATION = "population"
GDP_PER_CAPITA = "gdp_per_capita"
ENERGY_INTENSITY = "energy_intensity"
CARBON_INTENSITY = "carbon_intensity"
DRIVERS = (POPULATION, GDP_PER_CAPITA, ENERGY_INTENSITY, CARBON_INTENSITY)

# Where a driver's yearly rates come from.
STATISTICAL = "statistical"  # fitted to the driver's history with forecasting.models
PLAN = "plan"  # the region's plan targets met on schedule
FIXED = "fixed"  # rates written in the scenario file
SOURCES = (STATISTICAL, PLAN, FIXED)

# Which planned-capacity events a scenario applies.
EVENTS_NONE, EVENTS_COMMITTED, EVENTS_ALL = "none", "committed", "all"

FOSSIL_FUELS = ("coal", "gas", "oil")
NON_FOSSIL_FUELS = ("wind", "solar", "hydro", "biomass", "nuclear")

ENERGY_SECTOR = "energy_sector"
WHOLE_ECONOMY = "whole_economy"


@dataclass(frozen=True)
class DriverSpec:
    """How one driver moves in a scenario.

    ``rates`` (fixed source) are yearly fractional changes, each applying from
    its year until the next one, the first also before its year:
    ``((2024, -0.04),)`` = -4 %/yr from 2024 on (and before, if simulated).
    ``sd`` is the spread of a per-draw persistent offset to the yearly log rate,
    ``noise`` the spread of independent yearly shocks (both on the log scale).
    For the statistical source both are fitted and these are ignored.
    """

    source: str = STATISTICAL
    rates: tuple[tuple[int, float], ...] = ()
    sd: float = 0.0
    noise: float = 0.0
    # plan carbon intensity: the non-fossil share (percent) assumed in the last
    # observed year when the data carry none.
    base_non_fossil_share: float = 18.0

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"driver source must be one of {SOURCES}, got {self.source!r}")
        if self.source == FIXED and not self.rates:
            raise ValueError("a fixed driver needs at least one (year, rate)")


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    description: str
    drivers: dict[str, DriverSpec]  # every driver in DRIVERS
    events: str = EVENTS_COMMITTED
    # A yearly cut applied on top of the scenario to the carbon intensity of
    # GDP (emissions) and to energy intensity (energy): the solver's lever.
    extra_cut_co2: float = 0.0
    extra_cut_energy: float = 0.0


@dataclass(frozen=True)
class PlantEvent:
    """A plant commissioned (or retired) in a year drawn from a triangular law.

    Fossil plants add ``capacity x hours x heat rate`` of energy and that times
    the emission factor of CO2; non-fossil plants add no fossil energy and
    remove the CO2 of the fossil generation they displace (heat rate and
    emission factor then describe the displaced fuel). Retiring reverses the sign.
    """

    event_id: str
    region_id: str
    fuel: str
    capacity_mw: float
    year_min: int
    year_mode: int
    year_max: int
    hours: float  # utilisation hours per year
    heat_rate_gce_per_kwh: float
    emission_factor_tco2_per_tce: float
    action: str = "commission"  # or "retire"
    status: str = "planned"  # or "committed" (under construction: in every scenario)
    export_share: float = 0.0  # output consumed outside the region (whole-economy plans net it out)

    @property
    def fossil(self) -> bool:
        return self.fuel in FOSSIL_FUELS

    @property
    def sign(self) -> float:
        return -1.0 if self.action == "retire" else 1.0

    @property
    def fuel_mtce(self) -> float:
        """Coal-equivalent fuel burnt (or displaced) per full year, Mtce.

        MW x h = MWh; x 1000 = kWh; x gce/kWh = g; / 1e12 = Mt.
        """
        return self.capacity_mw * self.hours * 1e3 * self.heat_rate_gce_per_kwh / 1e12

    def steps(self, scope: str) -> tuple[float, float]:
        """(energy Mtce, CO2 MtCO2) this event adds per full year to a region of ``scope``.

        An energy-sector plan counts all the plant's output where it is made,
        exports included; a whole-economy plan nets out the exported share.
        """
        counted = 1.0 if scope == ENERGY_SECTOR else 1.0 - self.export_share
        co2 = self.fuel_mtce * self.emission_factor_tco2_per_tce * counted * self.sign
        if self.fossil:
            return self.fuel_mtce * counted * self.sign, co2
        return 0.0, -co2


@dataclass(frozen=True)
class PlanTargets:
    scope: str = WHOLE_ECONOMY
    non_fossil_share: dict[int, float] | None = None  # year -> percent
    # (first year, last year, percent): intensity cut over the period vs the year before it
    energy_intensity_cut: tuple[int, int, float] | None = None


@dataclass(frozen=True)
class ScenarioSettings:
    n_draws: int = 1000
    seed: int = 20300101
    horizon_year: int = HORIZON_YEAR
    min_observed_years: int = 8
    probability: float = 0.8  # the solver's P(peak <= target year)
    cut_bounds: tuple[float, float] = (-0.10, 0.30)  # extra yearly cut searched
    tolerance: float = 1e-4


@dataclass(frozen=True)
class RegionInput:
    """One region's history of the four contract indicators on consecutive years."""

    region_id: str
    target_year: int
    years: np.ndarray
    population: np.ndarray  # NaN where missing
    gdp: np.ndarray
    energy: np.ndarray
    co2: np.ndarray
    plan: PlanTargets = PlanTargets()
    events: tuple[PlantEvent, ...] = ()
    non_fossil_share: float | None = None  # last observed, percent, if the data carry it


@dataclass(frozen=True)
class DriverPath:
    """Resolved yearly log rates of one driver for one region."""

    rates: tuple[float, ...]  # one per future year
    sd: float
    noise: float
    origin: str


@dataclass(frozen=True)
class WhatItTakes:
    """The smallest extra yearly cut that gives P(peak <= target) >= probability."""

    lever: str  # "carbon_intensity_of_gdp" or "energy_intensity"
    probability: float
    reachable: bool
    extra_cut: float | None  # yearly, on top of the scenario (negative = slack)
    scenario_cut: float  # median yearly decline of the lever, last observed -> target, in the scenario
    required_cut: float | None  # yearly decline the lever needs in total
    achieved_probability: float  # at extra_cut (or at the upper bound when unreachable)
    # Cuts from the first giving P >= probability - 2 SE to the first giving
    # P >= probability + 2 SE (SE of a Monte Carlo share from n draws; the
    # upper bound when never): P is indistinguishable from the target over it.
    noise_range: tuple[float, float] | None = None
    close_call: bool = False  # noise_range wider than CLOSE_CALL_WIDTH: the cut is Monte Carlo noise


@dataclass(frozen=True)
class ScenarioResult:
    region_id: str
    scenario: str
    indicator: str
    unit: str
    last_observed_year: int = 0
    peaks: PeakStatistics | None = None
    what_it_takes: WhatItTakes | None = None
    value_at_target_median: float | None = None
    drivers: dict[str, str] = field(default_factory=dict)  # driver -> origin
    events: tuple[str, ...] = ()  # applied: "id: +X Mtce, +Y MtCO2 from ~year"
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
