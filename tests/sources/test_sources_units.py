import pytest

from peakwatch.sources import SourceError
from peakwatch.sources.units import conversion


@pytest.mark.parametrize(
    "unit, indicator, expected",
    [
        ("万吨标准煤", "energy_consumption", ("Mtce", 0.01)),
        ("tce", "energy_consumption", ("Mtce", 1e-6)),
        ("Mtce", "energy_consumption", ("Mtce", 1.0)),
        ("亿千瓦时", "electricity_consumption", ("TWh", 0.1)),
        ("万吨 CO2", "co2_emissions", ("MtCO2", 0.01)),
        ("万吨CO₂", "co2_emissions", ("MtCO2", 0.01)),
        ("百万吨CO2", "co2_emissions", ("MtCO2", 1.0)),
        ("Mt CO2", "co2_emissions", ("MtCO2", 1.0)),
        ("亿元", "gdp", ("CNY_100M", 1.0)),
        ("万元", "gdp", ("CNY_100M", 1e-4)),
        ("万人", "population", ("10k_persons", 1.0)),
        ("%", "non_fossil_share", ("percent", 1.0)),
        ("percent", "non_fossil_share", ("percent", 1.0)),
    ],
)
def test_units_convert_into_the_contract_unit(unit, indicator, expected):
    assert conversion(unit, indicator, "f") == expected


def test_unknown_unit_is_an_error_naming_unit_and_indicator():
    with pytest.raises(SourceError, match=r"unknown unit 'kg' for 'co2_emissions'"):
        conversion("kg", "co2_emissions", "f")


def test_unit_of_another_quantity_is_an_error():
    with pytest.raises(SourceError, match=r"'万吨标准煤' measures Mtce, but 'co2_emissions' is stored in MtCO2"):
        conversion("万吨标准煤", "co2_emissions", "f")


def test_unknown_indicator_is_an_error():
    with pytest.raises(SourceError, match="unknown indicator 'coal'"):
        conversion("万吨", "coal", "f")
