"""Fan charts of one series' forecast, rendered off-screen (Agg) for MLflow.

Figures are built with the object API (``Figure`` + Agg canvas), never pyplot,
so no global state is touched and no display is needed.
"""

from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from forecasting.peaks import CENSORED_YEAR
from forecasting.series import SeriesForecast, fill_gaps
from peakwatch.gc_scope import cycles_freed_on_exit

INDICATOR_LABELS = {"energy_consumption": "Energy consumption", "co2_emissions": "CO2 emissions"}
# Glyphs a CJK font must have: region names use these and many more, all in the
# CJK Unified Ideographs block, which the fonts below cover whole.
CJK_PROBE = "岳阳市平江县株洲永州江永衡阳耒阳湖南省"
# Debian's fonts-noto-cjk / fonts-wqy-zenhei (scripts/setup.sh installs one), then others.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC", "SimHei")
# The fan's y-axis stops at this multiple of the history's maximum (or a little
# above the median path, if higher): a 95 % band reaching 220 MtCO2 over a
# history of ~20 flattened the history into a line at the bottom.
CLIP_HISTORY_MULTIPLE = 2.5
SCENARIO_COLORS = ("tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


def _covers(path: str, text: str) -> bool:
    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(ch) in charmap for ch in text)


@lru_cache(maxsize=1)
def find_cjk_family(probe: str = CJK_PROBE) -> str | None:
    """The family name of an installed font covering ``probe``, or None.

    Matplotlib's font cache predates fonts installed after its first use, so
    system font files it does not know yet are added before giving up.
    """
    def search() -> str | None:
        entries = sorted(font_manager.fontManager.ttflist, key=lambda f: f.name not in CJK_FAMILIES)
        for entry in entries:
            if entry.name in CJK_FAMILIES and _covers(entry.fname, probe):
                return entry.name
        return None

    found = search()
    if found is None:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known and any(k in path.lower() for k in ("cjk", "wqy", "han", "simhei")):
                font_manager.fontManager.addfont(path)
        found = search()
    return found


def font_families() -> list[str]:
    """Latin glyphs from the default font, Chinese ones from the CJK fallback."""
    cjk = find_cjk_family()
    return [*matplotlib.rcParams["font.family"], *([cjk] if cjk else [])]


def _band(forecast: SeriesForecast, low: float, high: float) -> tuple[np.ndarray, np.ndarray] | None:
    quantiles = forecast.fan.quantiles
    if low in quantiles and high in quantiles:
        return np.asarray(quantiles[low]), np.asarray(quantiles[high])
    return None


def _draw_scenarios(ax, scenarios: dict[str, SeriesForecast]) -> None:
    for (name, forecast), color in zip(sorted(scenarios.items()), SCENARIO_COLORS):
        if forecast.fan is not None and 0.5 in forecast.fan.quantiles:
            ax.plot(forecast.fan.years, forecast.fan.quantiles[0.5], color=color, lw=1.2, ls="-.", label=f"scenario {name}")


def _draw_fan(ax, forecast: SeriesForecast) -> None:
    years = np.arange(forecast.first_year, forecast.first_year + len(forecast.history))
    values = np.asarray(forecast.history, dtype=float)
    observed = ~np.isnan(values)
    if observed.any():
        ax.plot(years, fill_gaps(values) if observed.sum() > 1 else values, color="black", lw=1.2, label="history")
        ax.plot(years[observed], values[observed], "o", color="black", ms=3, label="observed")
    if (~observed).any() and observed.sum() > 1:
        ax.plot(years[~observed], fill_gaps(values)[~observed], "o", mfc="white", mec="black", ms=4, label="filled gap")
    if forecast.fan is not None:
        future = np.asarray(forecast.fan.years)
        for (low, high), alpha, label in (((0.025, 0.975), 0.2, "95 % band"), ((0.1, 0.9), 0.35, "80 % band")):
            band = _band(forecast, low, high)
            if band is not None:
                ax.fill_between(future, band[0], band[1], color="tab:blue", alpha=alpha, lw=0, label=label)
        if 0.5 in forecast.fan.quantiles:
            ax.plot(future, forecast.fan.quantiles[0.5], color="tab:blue", lw=1.5, label="median path")
    if forecast.peaks is not None:
        ax.axvline(forecast.peaks.target_year, color="tab:red", ls="--", lw=1, label=f"target {forecast.peaks.target_year}")
    if observed.any():
        clip_y(ax, forecast, float(np.nanmax(values)))
    ax.set_xlabel("year")
    ax.set_ylabel(f"{INDICATOR_LABELS.get(forecast.indicator, forecast.indicator)} [{forecast.unit}]")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


def clip_y(ax, forecast: SeriesForecast, history_max: float) -> float | None:
    """Stop the y-axis where the history stays readable, and say so on the chart;
    returns the top when clipped (None when the bands fit)."""
    if forecast.fan is None or not forecast.fan.quantiles:
        return None
    median = forecast.fan.quantiles.get(0.5)
    top = max(CLIP_HISTORY_MULTIPLE * history_max, 1.1 * float(np.max(median)) if median is not None else 0.0)
    highest = max(float(np.max(q)) for q in forecast.fan.quantiles.values())
    if highest <= top:
        return None
    ax.set_ylim(top=top)
    ax.text(0.99, 0.98, f"y-axis cut at {top:.3g} to keep the history readable; the bands reach {highest:.3g}",
            transform=ax.transAxes, ha="right", va="top", fontsize=7, color="dimgray")
    return top


def _draw_peak_years(ax, forecast: SeriesForecast) -> None:
    peaks = forecast.peaks
    if peaks is None or not peaks.peak_year_distribution:
        ax.text(0.5, 0.5, "no peak-year distribution", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    dist = peaks.peak_year_distribution
    years = sorted(y for y in dist if y != CENSORED_YEAR)
    ax.bar(years, [dist[y] for y in years], width=0.9, color="tab:blue", label="peak year")
    if CENSORED_YEAR in dist:
        ax.bar([CENSORED_YEAR], [dist[CENSORED_YEAR]], width=0.9, color="tab:gray", label=f">{CENSORED_YEAR - 1} (still rising)")
    ax.axvline(peaks.target_year, color="tab:red", ls="--", lw=1, label=f"P(peak <= {peaks.target_year}) = {peaks.p_peak_by_target:.2f}")
    ax.set_xlabel("peak year")
    ax.set_ylabel("share of simulated paths")
    ax.legend(fontsize=7, loc="best")  # a series that peaked long ago has its tallest bar at the left
    ax.grid(alpha=0.3)


def plot_fan_chart(
    forecast: SeriesForecast,
    path: Path | BinaryIO,
    title: str = "",
    scenarios: dict[str, SeriesForecast] | None = None,
) -> Path | BinaryIO:
    """History, forecast bands, target year and scenario medians (left); peak-year
    distribution (right). ``path`` may be a file object (the run report embeds PNGs)."""
    # A figure (~1.5 MB with its canvas) is freed by the cyclic collector only: at
    # 10 000 series a full collection came every few dozen charts, and figures
    # piled up to ~55 MB at the run's peak; collecting the chart's own objects
    # takes ~4 ms, a full collection ~0.3 s. Outside the drawing's frame, which
    # holds the figure.
    with cycles_freed_on_exit():
        _draw_and_save(forecast, path, title, scenarios or {})
    return path


def _draw_and_save(forecast: SeriesForecast, path: Path | BinaryIO, title: str, scenarios: dict[str, SeriesForecast]) -> None:
    with matplotlib.rc_context({"font.family": font_families()}):
        # Fixed margins: constrained layout would double the render time (a layout pass per save).
        figure = Figure(figsize=(11, 4.2), dpi=80)
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.9, wspace=0.22)
        FigureCanvasAgg(figure)
        fan_ax, peak_ax = figure.subplots(1, 2, width_ratios=(3, 2))
        _draw_scenarios(fan_ax, scenarios)
        _draw_fan(fan_ax, forecast)
        _draw_peak_years(peak_ax, forecast)
        model = f" · model {forecast.model}" if forecast.model else ""
        # "$" would switch matplotlib to mathtext: names from data are shown as typed.
        title = (title or f"{forecast.region_id} · {forecast.indicator}{model}").replace("$", r"\$")
        figure.suptitle(title, fontsize=10)
        figure.savefig(path, format="png")
