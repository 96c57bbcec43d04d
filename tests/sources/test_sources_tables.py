"""Each source kind and file format parses into the contract, units converted once."""

import io

import polars as pl
import pytest

from peakwatch import contract as c
from peakwatch.sources import SourceError
from peakwatch.sources.parse import parse_source
from peakwatch.sources.regions import RegionMatcher
from tests.sources._sources_helpers import REGISTRY, make_source, tidy_csv, write_xlsx

MATCHER = RegionMatcher(REGISTRY)


def value_of(frame: pl.DataFrame, region: str, indicator: str, year: int) -> float:
    return frame.filter(
        (pl.col(c.REGION_ID) == region) & (pl.col(c.INDICATOR) == indicator) & (pl.col(c.YEAR) == year)
    )[c.VALUE].item()


def test_tidy_csv_with_names_and_chinese_units(tmp_path):
    text = tidy_csv([("岳阳市", 2019, "energy_consumption", 1234.5, "万吨标准煤", "yb"), ("430600", 2020, "energy_consumption", 1300, "万吨标准煤", "yb")])
    parsed = parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv"), MATCHER, "t.csv")
    assert parsed.frame.schema == pl.Schema(c.SCHEMA)
    assert value_of(parsed.frame, "hunan.yueyang", "energy_consumption", 2019) == pytest.approx(12.345)
    assert set(parsed.frame[c.UNIT]) == {"Mtce"}
    assert set(parsed.frame[c.SOURCE]) == {"yb"}  # the file's own source column
    labelled = parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv", label="统计年鉴2021"), MATCHER, "t")
    assert set(labelled.frame[c.SOURCE]) == {"统计年鉴2021"}


def test_tidy_parquet_and_excel_read_like_csv(tmp_path):
    frame = pl.DataFrame(
        {"region_id": ["株洲"], "year": [2019], "indicator": ["co2_emissions"], "value": [30.5], "unit": ["百万吨CO2"]}
    )
    frame.write_parquet(tmp_path / "t.parquet")
    pq = parse_source(io.BytesIO((tmp_path / "t.parquet").read_bytes()), make_source(path=tmp_path / "t.parquet"), MATCHER, "pq")
    write_xlsx(tmp_path / "t.xlsx", {"data": [frame.columns, list(frame.row(0))]})
    xl = parse_source(io.BytesIO((tmp_path / "t.xlsx").read_bytes()), make_source(path=tmp_path / "t.xlsx"), MATCHER, "xl")
    for parsed in (pq, xl):
        assert value_of(parsed.frame, "hunan.zhuzhou", "co2_emissions", 2019) == pytest.approx(30.5)


def test_tidy_with_renamed_columns_and_fixed_indicator_and_unit(tmp_path):
    text = "地区,年份,排放量\n湖南株洲,2018,2500\n湖南株洲,2019,2600\n"
    source = make_source(
        path=tmp_path / "t.csv", columns={"region_id": "地区", "year": "年份", "value": "排放量"},
        indicator="co2_emissions", unit="万吨CO2",
    )
    parsed = parse_source(io.BytesIO(text.encode("gbk")), source, MATCHER, "t.csv")
    assert value_of(parsed.frame, "hunan.zhuzhou", "co2_emissions", 2019) == pytest.approx(26.0)


def test_wide_years_excel_with_chinese_headers_and_gaps(tmp_path):
    rows = [["地区", "2017年", "2018年", "2019年"], ["湖南岳阳", 1200, None, 1300], ["湖南株洲", None, None, None]]
    path = write_xlsx(tmp_path / "yb.xlsx", {"说明": [["notes"]], "能源消费": rows})
    source = make_source(
        kind="wide_years", path=path, sheet="能源消费", region_column="地区",
        indicator="energy_consumption", unit="万吨标准煤",
    )
    parsed = parse_source(io.BytesIO(path.read_bytes()), source, MATCHER, "yb.xlsx")
    assert parsed.frame.height == 2  # the gap and the empty region are missing, not zero
    assert value_of(parsed.frame, "hunan.yueyang", "energy_consumption", 2019) == pytest.approx(13.0)
    assert parsed.no_data == ("hunan.zhuzhou",)


def test_wide_indicators_years_as_rows(tmp_path):
    text = "年份,能源消费总量(万吨标准煤),地区生产总值(亿元),常住人口(万人)\n2019年,500,300.5,98\n2020年,510,310,97.5\n"
    source = make_source(
        kind="wide_indicators", path=tmp_path / "p.csv", year_column="年份", region="平江县",
        columns={
            "能源消费总量(万吨标准煤)": {"indicator": "energy_consumption", "unit": "万吨标准煤"},
            "地区生产总值(亿元)": {"indicator": "gdp", "unit": "亿元"},
            "常住人口(万人)": {"indicator": "population", "unit": "万人"},
        },
    )
    parsed = parse_source(io.BytesIO(text.encode()), source, MATCHER, "p.csv")
    assert parsed.frame.height == 6
    assert value_of(parsed.frame, "hunan.yueyang.pingjiang", "energy_consumption", 2020) == pytest.approx(5.1)
    assert value_of(parsed.frame, "hunan.yueyang.pingjiang", "population", 2020) == pytest.approx(97.5)


def test_unmatched_regions_are_reported_with_rows_or_derived(tmp_path):
    text = tidy_csv([("安徽安庆", 2019, "co2_emissions", 30, "MtCO2", "x"), ("岳阳", 2019, "co2_emissions", 40, "MtCO2", "x")])
    reported = parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv"), MATCHER, "t.csv")
    assert reported.frame[c.REGION_ID].to_list() == ["hunan.yueyang"]
    assert reported.unmatched[0]["name"] == "安徽安庆" and reported.unmatched[0]["rows"] == [2]
    assert reported.no_data == ()  # it has values: unmatched, not also "no values at all"
    derived = parse_source(
        io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv", regions={"unmatched": "derive", "derive_prefix": "x"}), MATCHER, "t"
    )
    assert sorted(derived.frame[c.REGION_ID]) == ["hunan.yueyang", "x.安徽安庆"]
    assert derived.derived == ({"name": "安徽安庆", "region_id": "x.安徽安庆"},)


def test_configured_missing_markers_are_gaps_not_errors(tmp_path):
    text = tidy_csv([("岳阳", 2018, "co2_emissions", "—", "MtCO2", "x"), ("岳阳", 2019, "co2_emissions", '"1,234.5"', "MtCO2", "x")])
    parsed = parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv", missing_values=["—"]), MATCHER, "t")
    assert parsed.frame[c.VALUE].to_list() == [1234.5]


@pytest.mark.parametrize("cell", ["1,5", "12,34", "1,2345.6", ",5"])
def test_a_comma_that_does_not_group_thousands_is_not_a_number(tmp_path, cell):
    """Stripping every comma read the decimal comma of '1,5' as 15."""
    text = tidy_csv([("岳阳", 2019, "co2_emissions", f'"{cell}"', "MtCO2", "x")])
    with pytest.raises(SourceError, match=rf"row 2, column 'value'.*'{cell}' is not a number \(a comma is read only as a thousands"):
        parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv"), MATCHER, "t")


def test_commas_that_group_thousands_are_read(tmp_path):
    cells = ["1,234.5", "12,345,678", " 1,000 ", "999"]
    text = tidy_csv([("岳阳", 2016 + i, "co2_emissions", f'"{v}"', "MtCO2", "x") for i, v in enumerate(cells)])
    parsed = parse_source(io.BytesIO(text.encode()), make_source(path=tmp_path / "t.csv"), MATCHER, "t")
    assert parsed.frame.sort(c.YEAR)[c.VALUE].to_list() == [1234.5, 12345678.0, 1000.0, 999.0]


def test_title_rows_above_the_header_are_skipped(tmp_path):
    rows = [["表3-1 各市能源消费总量"], [], ["地区", "2019年"], ["岳阳市", 1300], ["株洲市", "—"]]
    path = write_xlsx(tmp_path / "yb.xlsx", {"s": rows})
    source = make_source(kind="wide_years", path=path, region_column="地区", indicator="energy_consumption",
                         unit="万吨标准煤", header_row=2, missing_values=["—"])
    parsed = parse_source(io.BytesIO(path.read_bytes()), source, MATCHER, "yb.xlsx")
    assert value_of(parsed.frame, "hunan.yueyang", "energy_consumption", 2019) == pytest.approx(13.0)
    source = source.model_copy(update={"missing_values": ()})
    with pytest.raises(SourceError, match=r"row 5, column '2019年' \(region '株洲市', year 2019\)"):
        parse_source(io.BytesIO(path.read_bytes()), source, MATCHER, "yb.xlsx")  # '—' not declared missing
    csv_text = "表3-1 各市能源消费总量\n\n地区,2019年\n岳阳市,1300\n"
    csv_source = make_source(kind="wide_years", path=tmp_path / "yb.csv", region_column="地区",
                             indicator="energy_consumption", unit="万吨标准煤", header_row=2)
    parsed = parse_source(io.BytesIO(csv_text.encode("gbk")), csv_source, MATCHER, "yb.csv")
    assert parsed.frame[c.VALUE].to_list() == [pytest.approx(13.0)]
