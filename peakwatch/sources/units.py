"""Units converted once, at the adapter, into the contract's unit of each indicator.

An unknown unit, or one that measures something else than the indicator, is an
error: a silent pass would put 万吨 into a column that means million tonnes.
"""

import re

from peakwatch import contract as c
from peakwatch.sources.errors import SourceError

# normalised spelling -> (contract unit, factor to multiply by)
_UNITS: dict[str, tuple[str, float]] = {
    # energy
    "mtce": ("Mtce", 1.0),
    "百万吨标准煤": ("Mtce", 1.0),
    "亿吨标准煤": ("Mtce", 100.0),
    "万吨标准煤": ("Mtce", 0.01),
    "万吨标煤": ("Mtce", 0.01),
    "万tce": ("Mtce", 0.01),
    "10ktce": ("Mtce", 0.01),
    "吨标准煤": ("Mtce", 1e-6),
    "吨标煤": ("Mtce", 1e-6),
    "tce": ("Mtce", 1e-6),
    # electricity
    "twh": ("TWh", 1.0),
    "亿千瓦时": ("TWh", 0.1),
    "亿kwh": ("TWh", 0.1),
    "万千瓦时": ("TWh", 1e-5),
    "gwh": ("TWh", 1e-3),
    # CO2
    "mtco2": ("MtCO2", 1.0),
    "mt": ("MtCO2", 1.0),
    "百万吨co2": ("MtCO2", 1.0),
    "百万吨二氧化碳": ("MtCO2", 1.0),
    "百万吨": ("MtCO2", 1.0),
    "亿吨co2": ("MtCO2", 100.0),
    "亿吨二氧化碳": ("MtCO2", 100.0),
    "万吨co2": ("MtCO2", 0.01),
    "万吨二氧化碳": ("MtCO2", 0.01),
    "万吨": ("MtCO2", 0.01),
    "吨co2": ("MtCO2", 1e-6),
    "tco2": ("MtCO2", 1e-6),
    # money
    "cny_100m": ("CNY_100M", 1.0),
    "亿元": ("CNY_100M", 1.0),
    "万元": ("CNY_100M", 1e-4),
    "元": ("CNY_100M", 1e-8),
    # people
    "10k_persons": ("10k_persons", 1.0),
    "万人": ("10k_persons", 1.0),
    "人": ("10k_persons", 1e-4),
    # shares
    "percent": ("percent", 1.0),
    "%": ("percent", 1.0),
    "百分比": ("percent", 1.0),
}


def normalize_unit(unit: str) -> str:
    text = unit.strip().lower().replace("（", "(").replace("）", ")").replace("₂", "2")
    text = re.sub(r"[\s()]", "", text)
    return text


def conversion(unit: str | None, indicator: str, where: str) -> tuple[str, float]:
    """(contract unit, factor) for ``unit`` given for ``indicator``."""
    if indicator not in c.UNITS:
        raise SourceError(f"{where}: unknown indicator {indicator!r}; known: {sorted(c.UNITS)}")
    if unit is None or not unit.strip():
        raise SourceError(f"{where}: no unit given for indicator {indicator!r}")
    found = _UNITS.get(normalize_unit(unit))
    if found is None:
        raise SourceError(
            f"{where}: unknown unit {unit!r} for {indicator!r}; "
            f"known units for it: {known_units(c.UNITS[indicator])}"
        )
    target = c.UNITS[indicator]
    if found[0] != target:
        raise SourceError(f"{where}: unit {unit!r} measures {found[0]}, but {indicator!r} is stored in {target}")
    return found


def known_units(contract_unit: str) -> list[str]:
    return [name for name, (unit, _) in _UNITS.items() if unit == contract_unit]
