"""Numbers as shown to people.

P(peak <= target) beside the threshold it is compared with: two decimals read
well, but 0.498 against a 0.50 threshold printed "P = 0.50 < 0.50" on a LATE
series: the text contradicted the flag. Every place that shows P next to a
late / on-time decision formats it here (``format_p``).

Quantities (peak values): significant figures, not fixed decimals. Peak values
span 0.6 Mtce (a county) to 300 MtCO2 (a province): one decimal showed
0.582-0.627 as '0.6-0.6' (``significant``).
"""

import math

MAX_DECIMALS = 6


def format_p(p: float, threshold: float | None = None) -> str:
    """``p`` to two decimals, or to as many more as it takes for the printed
    value to fall on the same side of ``threshold`` as ``p`` itself (late:
    below it; on time: at or above it). Without a threshold, two decimals."""
    if threshold is None:
        return f"{p:.2f}"
    for decimals in range(2, MAX_DECIMALS + 1):
        text = f"{p:.{decimals}f}"
        if (float(text) < threshold) == (p < threshold):
            return text
    return repr(p)  # a float's shortest exact form never rounds across


def format_threshold(threshold: float) -> str:
    """A threshold as configured: two decimals unless it has more (0.495 stays 0.495)."""
    text = f"{threshold:.2f}"
    return text if float(text) == threshold else f"{threshold:g}"


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
