"""Forecast numbers said in words, for the console and the report.

``-12.6%/yr (+0.8% extra)`` read as a cut when it meant that intensity may
still rise; ``2012 [2012, >2060]`` hid that most paths had already peaked in
2012 and a quarter were still rising in 2060. These say it.
"""

from forecasting.peaks import HORIZON_YEAR, format_peak_year

# Two humps worth naming: at least this share of paths already peaked, and at
# least this share not (below it, the median and band tell the story).
HUMP = 0.20
UNPEAKED = 0.05
# Extra cuts closer to zero than this (in points of %/yr) read "as in the scenario".
SAME_POINTS = 0.05


def percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def points(rate: float) -> str:
    """A yearly rate as '2.5' (points of %/yr)."""
    return f"{abs(rate) * 100:.1f}"


def describe_cut(required: float, extra: float | None) -> str:
    """What the intensity lever needs, e.g. 'needs intensity −5.1 %/yr, 2.5 points
    more than the scenario' or 'intensity may rise up to 12.6 %/yr, 0.8 points
    less than in the scenario'. ``required``/``extra``: yearly declines (negative: a rise)."""
    if required >= 0:
        text = f"needs intensity −{points(required)} %/yr"
    else:
        text = f"intensity may rise up to {points(required)} %/yr"
    if extra is None:
        return text
    if abs(extra) * 100 < SAME_POINTS:
        return text + ", as in the scenario"
    falls = required >= 0  # more cut = a steeper fall, or a smaller rise
    more = (extra > 0) == falls
    return text + f", {points(extra)} points {'more' if more else 'less'} than {'the' if falls else 'in the'} scenario"


def describe_close_call(noise_range: tuple[float, float] | list[float], probability: float) -> str:
    low, high = noise_range
    return f"close call: any extra cut of {points(low)}–{points(high)} points gives P about {probability:.2f}"


def peak_humps(distribution: dict, last_observed_year: int) -> tuple[float, int | None, float]:
    """(share of paths whose peak is in the history, the history's peak year
    (the most common one), share still rising in 2060) of a peak-year
    distribution {year (int or str, '>2060' or the censoring year): share}."""
    peaked, year, best, censored = 0.0, None, -1.0, 0.0
    for key, share in distribution.items():
        label = str(key)
        if label.startswith(">") or int(label) > HORIZON_YEAR:
            censored += share
        elif int(label) <= last_observed_year:
            peaked += share
            if share > best:
                year, best = int(label), share
    return peaked, year, censored


def describe_humps(humps: tuple[float, int | None, float] | None) -> str | None:
    """A distribution with a share of paths already peaked and the rest not (two
    humps: one median would be neither), in words: '70 % already peaked (2012),
    24 % still rising in 2060' (the rest peak between). None for one hump."""
    if humps is None:
        return None
    peaked, year, censored = humps
    if peaked < HUMP or peaked > 1 - UNPEAKED:
        return None
    parts = [f"{percent(peaked)} already peaked ({year})"]
    if round(censored * 100) >= 1:
        parts.append(f"{percent(censored)} still rising in {HORIZON_YEAR}")
    return ", ".join(parts)


def describe_peak(median: float, p10: float, p90: float, humps: tuple[float, int | None, float] | None) -> str:
    """The forecast peak year: two humps in words, else the median and its 80 % band."""
    return describe_humps(humps) or f"{format_peak_year(median)} [{format_peak_year(p10)}, {format_peak_year(p90)}]"
