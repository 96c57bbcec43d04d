"""Quantities (peak values) as shown to people: significant figures, not fixed
decimals. Peak values span 0.6 Mtce (a county) to 300 MtCO2 (a province):
one decimal showed 0.582-0.627 as '0.6-0.6'."""

import math


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, never in exponent form
    (whole numbers keep every digit)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.{max(0, digits - 1 - math.floor(math.log10(abs(value))))}f}"


def significant_pair(old: float, new: float, digits: int = 3) -> tuple[str, str]:
    """``old`` and ``new`` to ``digits`` significant figures, or more until they
    read differently when they differ (a change flagged for a 0.1 % move must
    not read '25.3 -> 25.3')."""
    for more in range(digits, digits + 4):
        pair = significant(old, more), significant(new, more)
        if old == new or pair[0] != pair[1]:
            return pair
    return pair
