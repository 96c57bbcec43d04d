from pathlib import Path

import numpy as np
import polars as pl

from forecasting.synthetic import SEED_CALIBRATIONS, random_calibrations, simulate_panel
from peakwatch import contract as c

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "default_panel.csv"


def wide(panel: pl.DataFrame) -> pl.DataFrame:
    return panel.pivot(on=c.INDICATOR, index=[c.REGION_ID, c.YEAR], values=c.VALUE)


def test_bundled_panel_is_what_the_generator_makes():
    bundled = pl.read_csv(BUNDLED).pipe(c.conform)
    assert bundled.equals(simulate_panel())


def test_every_row_is_marked_synthetic_and_in_contract_units():
    panel = simulate_panel()
    assert panel[c.SOURCE].str.contains("synthetic").all()
    for indicator, unit in c.UNITS.items():
        assert panel.filter(pl.col(c.INDICATOR) == indicator)[c.UNIT].unique().to_list() in ([unit], [])


def test_calibration_matches_the_yueyang_plan():
    table = wide(simulate_panel()).filter(pl.col(c.REGION_ID) == "hunan.yueyang").sort(c.YEAR)
    energy = dict(zip(table[c.YEAR], table[c.ENERGY]))
    gdp = dict(zip(table[c.YEAR], table[c.GDP]))
    growth = (energy[2020] / energy[2015]) ** (1 / 5) - 1
    assert abs(growth - 0.026) < 0.01  # plan: +2.6 %/yr 2016-2020
    intensity_cut = 1 - (energy[2020] / gdp[2020]) / (energy[2015] / gdp[2015])
    assert abs(intensity_cut - 0.1902) < 0.03  # plan: -19.02 %
    assert abs((energy[2020] - energy[2015]) - 2.09) < 0.8  # plan: +209.13万tce


def test_counties_are_well_below_their_cities():
    table = wide(simulate_panel())
    for county, city in [("hunan.yueyang.pingjiang", "hunan.yueyang")]:
        a = table.filter(pl.col(c.REGION_ID) == county).sort(c.YEAR)
        b = table.filter(pl.col(c.REGION_ID) == city).sort(c.YEAR)
        assert (a[c.ENERGY] < 0.2 * b[c.ENERGY]).all()
        assert (a[c.CO2] < 0.2 * b[c.CO2]).all()


def test_random_regions_are_reproducible_and_plausible():
    panel = simulate_panel(random_calibrations(20, seed=3), seed=3)
    assert panel.equals(simulate_panel(random_calibrations(20, seed=3), seed=3))
    table = wide(panel)
    intensity = (table[c.CO2] / table[c.ENERGY]).to_numpy()
    assert np.all((intensity > 1.0) & (intensity < 3.0))
    assert len(SEED_CALIBRATIONS) == 5
