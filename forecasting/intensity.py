"""Energy and emissions of one region, read together.

The carbon intensity of energy (CO2 / energy, tCO2 per tce) implied by the two
median forecasts must stay within physical bounds, and the two forecasts
should not point in opposite directions without anyone noticing.
"""

from dataclasses import dataclass

import numpy as np

from peakwatch import contract as c
from forecasting.series import SeriesForecast

# tCO2 per tce: 0 for all-non-fossil energy; burning coal emits ~2.7, and the
# inventories add process CO2 (cement, steel), so 3.0 is the ceiling.
INTENSITY_BOUNDS = (0.0, 3.0)
DIRECTION_YEARS = 10  # compare directions over the next decade of medians
FLAT_GROWTH = 0.005  # |mean yearly growth| below this counts as flat

UP, DOWN, FLAT = "up", "down", "flat"


@dataclass(frozen=True)
class IntensityCheck:
    region_id: str
    energy_direction: str
    co2_direction: str
    directions_disagree: bool
    intensity_last_observed: float
    intensity_end: float  # at the horizon, from the medians
    within_bounds: bool
    first_year_out_of_bounds: int | None

    def as_row(self) -> dict:
        return {
            "energy_direction": self.energy_direction,
            "co2_direction": self.co2_direction,
            "directions_disagree": self.directions_disagree,
            "carbon_intensity_last": self.intensity_last_observed,
            "carbon_intensity_end": self.intensity_end,
            "carbon_intensity_within_bounds": self.within_bounds,
            "carbon_intensity_first_year_out_of_bounds": self.first_year_out_of_bounds,
        }


def last_observed(forecast: SeriesForecast) -> float:
    values = np.asarray(forecast.history, dtype=float)
    return float(values[~np.isnan(values)][-1])


def observed_by_year(forecast: SeriesForecast) -> dict[int, float]:
    values = np.asarray(forecast.history, dtype=float)
    return {forecast.first_year + i: float(v) for i, v in enumerate(values) if not np.isnan(v)}


def direction(forecast: SeriesForecast, years: int = DIRECTION_YEARS) -> str:
    """Up, down or flat: mean yearly growth of the median over the next ``years``."""
    point = np.asarray(forecast.point_forecast[:years])
    growth = (point[-1] / last_observed(forecast)) ** (1 / len(point)) - 1
    return UP if growth > FLAT_GROWTH else DOWN if growth < -FLAT_GROWTH else FLAT


def check_intensity(energy: SeriesForecast, co2: SeriesForecast) -> IntensityCheck | None:
    """The check on the years both forecasts cover, or None when they share none.

    A region's energy and CO2 statistics may end in different years (an
    inventory a year behind the yearbook): the intensity is then read where
    both are forecast, and its last observed value in the last year both are
    observed."""
    years, in_energy, in_co2 = np.intersect1d(energy.fan.years, co2.fan.years, return_indices=True)
    energy_seen, co2_seen = observed_by_year(energy), observed_by_year(co2)
    both_seen = sorted(set(energy_seen) & set(co2_seen))
    if len(years) == 0 or not both_seen:
        return None
    intensity = np.asarray(co2.point_forecast)[in_co2] / np.asarray(energy.point_forecast)[in_energy]
    low, high = INTENSITY_BOUNDS
    outside = (intensity <= low) | (intensity > high) | ~np.isfinite(intensity)
    energy_dir, co2_dir = direction(energy), direction(co2)
    return IntensityCheck(
        region_id=co2.region_id,
        energy_direction=energy_dir,
        co2_direction=co2_dir,
        directions_disagree={energy_dir, co2_dir} == {UP, DOWN},
        intensity_last_observed=co2_seen[both_seen[-1]] / energy_seen[both_seen[-1]],
        intensity_end=float(intensity[-1]),
        within_bounds=not outside.any(),
        first_year_out_of_bounds=int(years[outside][0]) if outside.any() else None,
    )


def check_regions(forecasts: list[SeriesForecast]) -> dict[str, IntensityCheck]:
    """One check per region that has both an energy and a CO2 forecast over a shared year."""
    by_key = {(f.region_id, f.indicator): f for f in forecasts if f.ok and f.point_forecast}
    checks = {
        region: check_intensity(by_key[(region, c.ENERGY)], by_key[(region, c.CO2)])
        for region, indicator in by_key
        if indicator == c.CO2 and (region, c.ENERGY) in by_key
    }
    return {region: check for region, check in checks.items() if check is not None}
