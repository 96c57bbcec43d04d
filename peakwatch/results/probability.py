"""P(peak <= target) as printed beside the threshold it is compared with.

Two decimals read well, but 0.498 against a 0.50 threshold printed
"P = 0.50 < 0.50" on a LATE series: the text contradicted the flag. Every
place that shows P next to a late / on-time decision formats it here.
"""

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
