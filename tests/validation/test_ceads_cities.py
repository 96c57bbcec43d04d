"""The gate on real data with gaps: the CEADs inventories of 290 Chinese cities,
1997-2019 (Mt CO2; Shan et al. 2022, Science Bulletin 67(18),
doi:10.1016/j.scib.2022.08.024), melted to the data contract with the city
name as region id."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forecasting.series import ForecastSettings, forecast_series, split_series
from peakwatch import contract as c
from validation.gate import passing_rows, validate_panel
from validation.render import format_report
from validation.settings import GateSettings

CEADS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "ceads-cities"
    / "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"
)
SETTINGS = GateSettings()  # the defaults that configs/peakwatch.yaml also states


@pytest.fixture(scope="module")
def cities() -> pl.DataFrame:
    wide = pl.read_excel(CEADS, sheet_name="emission matrix")
    return (
        wide.unpivot(index="city", variable_name=c.YEAR, value_name=c.VALUE)
        .drop_nulls(c.VALUE)  # an empty cell is a year not available
        .select(
            pl.col("city").alias(c.REGION_ID),
            pl.col(c.YEAR).cast(pl.Int64),
            pl.lit(c.CO2).alias(c.INDICATOR),
            pl.col(c.VALUE).cast(pl.Float64),
            pl.lit("MtCO2").alias(c.UNIT),
            pl.lit("CEADs city inventories 1997-2019").alias(c.SOURCE),
        )
    )


@pytest.fixture(scope="module")
def report(cities, tmp_path_factory):
    return validate_panel(cities, SETTINGS, docs_dir=tmp_path_factory.mktemp("ceads") / "validation")


@pytest.fixture(scope="module")
def expected(cities) -> pl.DataFrame:
    """Per city, computed here independently of the gate."""
    spans = cities.group_by(c.REGION_ID).agg(
        pl.col(c.YEAR).len().alias("n"), pl.col(c.YEAR).min().alias("first"), pl.col(c.YEAR).max().alias("last")
    )
    return spans.with_columns(
        (pl.col("last") - pl.col("first") + 1 - pl.col("n")).alias("missing"),
        (pl.col("n") < SETTINGS.min_observed_years).alias("too_short"),
        (pl.col("last") < cities[c.YEAR].max() - SETTINGS.max_years_behind_latest).alias("stale"),
    )


def test_every_city_is_checked(report, cities):
    assert report.regions_checked == 290 == cities[c.REGION_ID].n_unique()


def test_gaps_are_reported_per_city(report, expected):
    for row in expected.iter_rows(named=True):
        years = report.gaps[row[c.REGION_ID]][c.CO2]
        assert len(years) == row["missing"], row
    assert 2015 in report.gaps["云南昆明"][c.CO2]  # Kunming: no 2015 in the inventory
    with_gaps = expected.filter(pl.col("missing") > 0)[c.REGION_ID].to_list()
    gap_check = next(ch for ch in report.checks if ch.check == "history.gaps")
    assert gap_check.severity == "warn" and set(gap_check.regions) == set(with_gaps)
    assert report.metrics()["validation_missing_years"] == expected["missing"].sum()


def test_cities_that_cannot_be_forecast_are_quarantined_with_reasons(report, expected):
    cannot = expected.filter(pl.col("too_short") | pl.col("stale"))
    assert set(report.quarantined) == set(cannot[c.REGION_ID].to_list())
    for row in cannot.iter_rows(named=True):
        reasons = " ".join(report.quarantined[row[c.REGION_ID]])
        assert ("history.min_observed_years" in reasons) == row["too_short"]
        assert ("history.recent" in reasons) == row["stale"]
    print(f"CEADs: {report.metrics()}")


def test_the_rest_run_on_with_filled_years_said(report, cities):
    usable = passing_rows(cities, report)
    assert usable[c.REGION_ID].n_unique() == 290 - len(report.quarantined) > 150
    # A city with a gap goes on; the forecast says which years it filled.
    warned_with_gap = next(r for r in report.warned if any(report.gaps[r].values()))
    series = split_series(usable.filter(pl.col(c.REGION_ID) == warned_with_gap), {})
    forecast = forecast_series(series[0], ForecastSettings(n_paths=100))
    assert forecast.ok
    assert forecast.filled_years == report.gaps[warned_with_gap][c.CO2]
    assert forecast.n_observed == int(np.sum(~np.isnan(series[0].values)))


def test_summary_reads_per_city(report):
    text = format_report(report)
    assert "290 region(s) checked" in text
    assert "QUARANTINED (not forecast):" in text and "WARNED" in text and "PASSED" in text
    assert "x history.min_observed_years [fail]" in text and "expected n_observed >= 8" in text
    assert "gaps: co2_emissions" in text
    assert (report.docs_dir / "index.html").is_file()
