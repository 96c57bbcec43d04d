"""Several sources: declared precedence decides, conflicts are reported."""

import itertools

import polars as pl
import pytest

from peakwatch import contract as c
from peakwatch.config import PROJECT_ROOT, ConfigError, load_config
from peakwatch.sources.pull import pull_all
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, make_source, tidy_csv


def test_higher_precedence_wins_and_conflicts_are_reported(tmp_path):
    (tmp_path / "synthetic.csv").write_text(
        tidy_csv([("岳阳", 2018, "co2_emissions", 10, "MtCO2", "s"), ("岳阳", 2019, "co2_emissions", 11, "MtCO2", "s"),
                  ("株洲", 2019, "co2_emissions", 5, "MtCO2", "s")])
    )
    (tmp_path / "yearbook.csv").write_text(
        tidy_csv([("湖南岳阳", 2018, "co2_emissions", 1000, "万吨CO2", "y"), ("湖南岳阳", 2019, "co2_emissions", 1200, "万吨CO2", "y")])
    )
    sources = [
        make_source(name="synthetic", path=tmp_path / "synthetic.csv", precedence=0, label="synthetic"),
        make_source(name="yearbook", path=tmp_path / "yearbook.csv", precedence=10, label="yearbook"),
    ]
    result = pull_all(sources, REGISTRY, Catalog(tmp_path / "art"))
    panel = {(r[c.REGION_ID], r[c.YEAR]): (r[c.VALUE], r[c.SOURCE]) for r in result.panel.iter_rows(named=True)}
    assert panel[("hunan.yueyang", 2018)] == (10.0, "yearbook")  # same value: agreement, not a conflict
    assert panel[("hunan.yueyang", 2019)] == (12.0, "yearbook")
    assert panel[("hunan.zhuzhou", 2019)] == (5.0, "synthetic")  # only one source has it
    assert result.conflicts == (
        {"region_id": "hunan.yueyang", "indicator": "co2_emissions", "year": 2019,
         "kept": {"source": "yearbook", "value": 12.0}, "dropped": [{"source": "synthetic", "value": 11.0}]},
    )
    assert result.as_dict()["n_conflicts"] == 1


def write_config(tmp_path, sources_yaml: str):
    path = tmp_path / "c.yaml"
    path.write_text(f"regions: {PROJECT_ROOT / 'configs' / 'regions.yaml'}\nsources:\n{sources_yaml}", encoding="utf-8")
    return path


def test_sources_need_distinct_precedence(tmp_path):
    path = write_config(tmp_path, "  - {name: a, kind: tidy, path: a.csv}\n  - {name: b, kind: tidy, path: b.csv}\n")
    with pytest.raises(ConfigError, match="distinct `precedence`"):
        load_config(path)


def test_source_kinds_are_a_discriminated_union(tmp_path):
    path = write_config(
        tmp_path,
        "  - {name: a, kind: tidy_csv, path: a.csv}\n"
        "  - {name: b, kind: wide_years, url: 'https://example.org/b.xlsx', region_column: 地区,"
        " indicator: co2_emissions, unit: 万吨, precedence: 1}\n",
    )
    config = load_config(path)
    assert [type(s).__name__ for s in config.sources] == ["TidySource", "WideYearsSource"]
    assert config.sources[0].path == tmp_path / "a.csv"  # relative to the config file
    assert config.sources[1].file_format == "excel"
    bad = write_config(tmp_path, "  - {name: a, kind: wide_years, path: a.csv, indicator: co2_emissions, unit: t}\n")
    with pytest.raises(ConfigError, match="region_column"):
        load_config(bad)
    both = write_config(tmp_path, "  - {name: a, kind: tidy, path: a.csv, url: 'http://x/a.csv'}\n")
    with pytest.raises(ConfigError, match="exactly one of `path` or `url`"):
        load_config(both)


def test_one_source_comes_out_sorted_as_a_merge_with_nothing_would():
    """One source skips the merge's work (five copies of the panel: ~60 MB at the
    pull's peak for 10 000 series) and gives the same panel."""
    from peakwatch.sources.merge import merge_sources

    frame = c.conform(
        pl.DataFrame(
            {"region_id": ["b", "a", "a"], "year": [2019, 2019, 2018], "indicator": ["co2_emissions"] * 3,
             "value": [1.0, 2.0, 3.0], "unit": ["MtCO2"] * 3, "source": ["s"] * 3}
        )
    )
    alone, conflicts = merge_sources([(0, frame)])
    assert conflicts == []
    assert alone.equals(merge_sources([(0, frame), (1, c.empty_frame())])[0])
    assert alone[c.REGION_ID].to_list() == ["a", "a", "b"] and alone[c.YEAR].to_list() == [2018, 2019, 2019]


def test_one_source_is_returned_by_region_indicator_and_year_whatever_its_row_order():
    """Whatever its rows' order, one source comes back sorted: in order already
    (returned without a sort's copy), or out of order only in its indicators
    or only in its years."""
    from peakwatch.sources.merge import merge_sources

    rows = [("a", c.CO2, 2018), ("a", c.CO2, 2019), ("a", c.ENERGY, 2018), ("b", c.CO2, 2018)]
    for order in itertools.permutations(rows):
        frame = c.conform(
            pl.DataFrame(
                {"region_id": [r for r, _, _ in order], "year": [y for _, _, y in order],
                 "indicator": [i for _, i, _ in order], "value": [float(n) for n in range(len(order))],
                 "unit": ["u"] * len(order), "source": ["s"] * len(order)}
            )
        )
        alone, _ = merge_sources([(0, frame)])
        assert alone.equals(frame.sort(["region_id", "indicator", "year"])), order
