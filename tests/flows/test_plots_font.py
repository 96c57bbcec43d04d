"""Chinese region names render as glyphs: the font matplotlib picks covers them."""

from fontTools.ttLib import TTFont
from matplotlib import font_manager

from flows import plots
from flows.config import DEFAULT_CONFIG, load_config


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
