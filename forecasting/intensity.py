"""Energy and emissions of one region, read together.

The carbon intensity of energy (CO2 / energy, tCO2 per tce) implied by the two
median forecasts must stay within physical bounds, and the two forecasts
should not point in opposite directions without anyone noticing.
"""

from dataclasses import dataclass

import numpy as np

from forecasting import contract as c
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


def direction(forecast: SeriesForecast, years: int = DIRECTION_YEARS) -> str:
    """Up, down or flat: mean yearly growth of the median over the next ``years``."""
    point = np.asarray(forecast.point_forecast[:years])
    growth = (point[-1] / last_observed(forecast)) ** (1 / len(point)) - 1
    return UP if growth > FLAT_GROWTH else DOWN if growth < -FLAT_GROWTH else FLAT


def check_intensity(energy: SeriesForecast, co2: SeriesForecast) -> IntensityCheck:
    years = np.asarray(co2.fan.years)
    if tuple(years) != tuple(energy.fan.years):
        raise ValueError(f"{co2.region_id}: energy and CO2 forecasts cover different years")
    intensity = np.asarray(co2.point_forecast) / np.asarray(energy.point_forecast)
    low, high = INTENSITY_BOUNDS
    outside = (intensity <= low) | (intensity > high) | ~np.isfinite(intensity)
    energy_dir, co2_dir = direction(energy), direction(co2)
    return IntensityCheck(
        region_id=co2.region_id,
        energy_direction=energy_dir,
        co2_direction=co2_dir,
        directions_disagree={energy_dir, co2_dir} == {UP, DOWN},
        intensity_last_observed=last_observed(co2) / last_observed(energy),
        intensity_end=float(intensity[-1]),
        within_bounds=not outside.any(),
        first_year_out_of_bounds=int(years[outside][0]) if outside.any() else None,
    )


def check_regions(forecasts: list[SeriesForecast]) -> dict[str, IntensityCheck]:
    """One check per region that has both an energy and a CO2 forecast."""
    by_key = {(f.region_id, f.indicator): f for f in forecasts if f.ok and f.point_forecast}
    return {
        region: check_intensity(by_key[(region, c.ENERGY)], by_key[(region, c.CO2)])
        for region, indicator in by_key
        if indicator == c.CO2 and (region, c.ENERGY) in by_key
    }
