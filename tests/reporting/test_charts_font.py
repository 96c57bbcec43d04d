"""Fan charts read well: Chinese region names render as glyphs, legends cover no bar, wide bands do not flatten the history."""

import numpy as np
from fontTools.ttLib import TTFont
from matplotlib import font_manager

from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.reporting import charts as plots


def test_the_cjk_font_matplotlib_finds_covers_every_region_name():
    family = plots.find_cjk_family()
    assert family, "no CJK font installed: run scripts/setup.sh (it installs fonts-noto-cjk)"
    assert family in plots.font_families()
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    cmap = TTFont(path, fontNumber=0, lazy=True).getBestCmap()
    names = "".join(r.name_zh for r in load_config(DEFAULT_CONFIG).regions.regions)
    assert "岳阳市" in names
    missing = sorted({ch for ch in names if ord(ch) not in cmap})
    assert missing == [], f"{path} lacks {missing}"


def test_the_peak_year_legend_covers_no_bar():
    """A series that peaked years ago has its tallest bar at the left: the
    legend, fixed at the upper left, hid it."""
    from types import SimpleNamespace

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forecasting.peaks import CENSORED_YEAR

    dist = {2012: 0.7, 2013: 0.05, 2020: 0.05, 2035: 0.1, 2050: 0.05, CENSORED_YEAR: 0.05}
    peaks = SimpleNamespace(peak_year_distribution=dist, target_year=2030, p_peak_by_target=0.8)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    try:
        plots._draw_peak_years(ax, SimpleNamespace(peaks=peaks))
        fig.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        bars = [p.get_window_extent() for p in ax.patches if p.get_height() > 0]
        assert len(bars) == len(dist)
        assert not [b for b in bars if b.overlaps(legend)]
    finally:
        plt.close(fig)


def test_a_wide_band_is_cut_off_above_the_history_and_the_chart_says_so():
    """A 95 % band reaching 220 over a history of ~20 flattened the history."""
    from types import SimpleNamespace

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = np.arange(2024, 2061)
    fan = lambda top: SimpleNamespace(years=years, quantiles={  # noqa: E731
        0.025: np.full(len(years), 10.0), 0.5: np.linspace(20, 25, len(years)), 0.975: np.linspace(21, top, len(years))})
    fig, ax = plt.subplots()
    try:
        assert plots.clip_y(ax, SimpleNamespace(fan=fan(220.0)), history_max=20.0) == 50.0
        assert ax.get_ylim()[1] == 50.0
        (note,) = ax.texts
        assert note.get_text() == "y-axis cut at 50 to keep the history readable; the bands reach 220"
        ax.clear()
        assert plots.clip_y(ax, SimpleNamespace(fan=fan(40.0)), history_max=20.0) is None and not ax.texts
    finally:
        plt.close(fig)
