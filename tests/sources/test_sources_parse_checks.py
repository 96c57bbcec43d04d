"""The whole-file checks of flows/sources/parse.py on many rows: the duplicate
check (a file in strict key order passes on a neighbour comparison, any other
folds three keys into one integer) and one unit per indicator."""

import random
from collections import Counter

import polars as pl
import pytest

from peakwatch.sources import SourceError
from peakwatch.sources.parse import _check_duplicates, _convert_units
from peakwatch.sources.tables import ROW


def _rows(rng: random.Random, n: int) -> list[tuple[str, str, int]]:
    regions = [f"r{i}" for i in range(rng.randint(1, 40))]
    indicators = ["co2_emissions", "energy_consumption", "gdp", "population"][: rng.randint(1, 4)]
    years = [1, 2, 9998, 9999, *rng.sample(range(3, 9998), 5)]  # the ends of the accepted range
    return [(rng.choice(regions), rng.choice(indicators), rng.choice(years)) for _ in range(n)]


@pytest.mark.parametrize("seed", range(40))
def test_duplicates_are_found_exactly_when_a_key_repeats(seed):
    rng = random.Random(seed)
    keys = _rows(rng, rng.randint(1, 300))
    if seed % 2:  # half the tables: every key once
        keys = list(dict.fromkeys(keys))
    if seed % 4 >= 2:  # half the tables in key order, as a file written region by region (the check's fast path)
        keys.sort()
    long = pl.DataFrame(
        {
            "region_id": [k[0] for k in keys],
            "region": [k[0].upper() for k in keys],
            "indicator": [k[1] for k in keys],
            "year": [k[2] for k in keys],
            ROW: list(range(2, len(keys) + 2)),
        }
    )
    repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
    if not repeated:
        _check_duplicates(long, "t.csv")
        return
    with pytest.raises(SourceError) as err:
        _check_duplicates(long, "t.csv")
    region, indicator, year = repeated[0]
    rows = [i + 2 for i, k in enumerate(keys) if k == repeated[0]]
    assert f"region {region!r}" in str(err.value) and f"indicator {indicator!r}, year {year}" in str(err.value)
    assert f"rows {rows}" in str(err.value)
    assert ("more duplicated" in str(err.value)) == (len(repeated) > 1)
    if len(repeated) > 1:
        assert f"; {len(repeated) - 1} more duplicated region-year(s)" in str(err.value)


def _long(units: list[str | None], indicator="co2_emissions") -> pl.DataFrame:
    return pl.DataFrame(
        {"indicator": [indicator] * len(units), "unit": units, "value": [1.0] * len(units), ROW: range(2, len(units) + 2)},
        schema_overrides={"unit": pl.String},
    )


def test_spellings_of_one_unit_are_one_unit_and_convert():
    converted = _convert_units(_long(["MtCO2", " mtco2 ", "MtCO₂", "MtCO2"]), "t.csv")
    assert converted["unit"].to_list() == ["MtCO2"] * 4
    assert converted["value"].to_list() == [1.0] * 4


def test_mixed_units_name_each_unit_once_at_its_first_row():
    with pytest.raises(SourceError) as err:
        _convert_units(_long(["万吨", "MtCO2", "mtco2", "万吨", "MtCO2"]), "t.csv")
    assert "mixed units for indicator 'co2_emissions': '万吨' (first at row 2), 'MtCO2' (first at row 3);" in str(err.value)


def test_a_missing_unit_is_named():
    with pytest.raises(SourceError, match="t.csv, indicator 'co2_emissions'.*no unit given"):
        _convert_units(_long([None, None]), "t.csv")
