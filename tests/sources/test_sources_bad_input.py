"""Every kind of bad input: a specific error naming the file and the row, column,
region or year at fault, and artifacts/raw exactly as it was before."""

import pytest

from peakwatch.sources import SourceError
from peakwatch.sources.pull import pull_all
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, Route, fingerprint, make_source, serve, tidy_csv, write_xlsx, yearly_rows

GOOD = tidy_csv(yearly_rows("hunan.yueyang", "co2_emissions", "MtCO2", 30.0))


@pytest.fixture
def catalog(tmp_path):
    """A catalog holding one earlier, good pull."""
    catalog = Catalog(tmp_path / "artifacts")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    pull_all([make_source(name="earlier", path=good)], REGISTRY, catalog)
    assert (catalog.raw_dir / "manifest.jsonl").exists()
    assert not list(catalog.root.glob(".pull-*")), "the pull's scratch copy of the bytes was left behind"
    return catalog


def pull_fails(catalog: Catalog, source, *patterns: str) -> str:
    before = fingerprint(catalog.root)
    with pytest.raises(SourceError) as err:
        pull_all([source], REGISTRY, catalog)
    message = str(err.value)
    for pattern in patterns:
        assert pattern in message, f"{pattern!r} not in {message!r}"
    assert fingerprint(catalog.root) == before, "a failed pull changed artifacts/raw"
    return message


def csv_source(tmp_path, text: str | bytes, name="bad.csv", **fields):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return make_source(name="bad", path=path, **fields)


def test_empty_file(tmp_path, catalog):
    pull_fails(catalog, csv_source(tmp_path, b""), "bad.csv", "file is empty")


def test_header_only(tmp_path, catalog):
    pull_fails(catalog, csv_source(tmp_path, "region_id,year,indicator,value,unit\n"), "bad.csv", "no data rows")


def test_wrong_sheet_name(tmp_path, catalog):
    path = write_xlsx(tmp_path / "yb.xlsx", {"能源": [["地区", "2019"], ["岳阳", 1]]})
    source = make_source(kind="wide_years", path=path, sheet="能源消费", region_column="地区",
                         indicator="energy_consumption", unit="万吨标准煤")
    pull_fails(catalog, source, "yb.xlsx", "no sheet named '能源消费'", "['能源']")


def test_missing_required_column(tmp_path, catalog):
    text = "region_id,year,indicator,value\n岳阳,2019,co2_emissions,3\n"
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "missing required column(s) 'unit'")


def test_missing_region_column_in_wide_table(tmp_path, catalog):
    source = csv_source(tmp_path, "city,2019\n岳阳,3\n", kind="wide_years", region_column="地区",
                        indicator="co2_emissions", unit="MtCO2")
    pull_fails(catalog, source, "bad.csv", "'地区' (region_column)")


def test_text_in_numeric_cell(tmp_path, catalog):
    text = tidy_csv([("岳阳", 2018, "co2_emissions", 3, "MtCO2", "x"), ("岳阳", 2019, "co2_emissions", "n/a", "MtCO2", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "row 3, column 'value'", "region '岳阳'", "year 2019", "'n/a' is not a number")


def test_text_in_numeric_cell_of_wide_excel(tmp_path, catalog):
    path = write_xlsx(tmp_path / "w.xlsx", {"s": [["地区", "2018年", "2019年"], ["湖南岳阳", 3.5, "缺"]]})
    source = make_source(kind="wide_years", path=path, region_column="地区", indicator="co2_emissions", unit="MtCO2")
    pull_fails(catalog, source, "w.xlsx", "row 2, column '2019年'", "region '湖南岳阳', year 2019", "'缺' is not a number")


@pytest.mark.parametrize("year", ["2019?", "2019.5", "10000", "0", "1e30"])
def test_bad_year(tmp_path, catalog, year):
    text = tidy_csv([("岳阳", year, "co2_emissions", 3, "MtCO2", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "row 2", f"{year!r} is not a year")


def test_an_implausible_year_is_read_for_the_gate_to_judge(tmp_path, catalog):
    """Year 1850 failed the whole run here (this reader's own 1900-2100 rule); the
    plausible range is the gate's (validation.min_year / max_year), which quarantines."""
    text = tidy_csv([("岳阳", 1850, "co2_emissions", 3, "MtCO2", "x"), ("岳阳", 2019, "co2_emissions", 3, "MtCO2", "x")])
    pulled = pull_all([csv_source(tmp_path, text)], REGISTRY, catalog)
    assert sorted(pulled.panel["year"]) == [1850, 2019]


def test_duplicate_region_year_rows_even_when_spelled_differently(tmp_path, catalog):
    text = tidy_csv([("岳阳", 2019, "co2_emissions", 3, "MtCO2", "x"), ("湖南岳阳", 2019, "co2_emissions", 4, "MtCO2", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "duplicate rows for region 'hunan.yueyang'", "year 2019", "rows [2, 3]")


def test_negative_value(tmp_path, catalog):
    text = tidy_csv([("株洲", 2019, "co2_emissions", -5, "MtCO2", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "row 2", "region '株洲', year 2019", "negative value -5")


def test_mixed_units_within_one_indicator(tmp_path, catalog):
    text = tidy_csv([("岳阳", 2018, "energy_consumption", 1200, "万吨标准煤", "x"), ("岳阳", 2019, "energy_consumption", 1.3e7, "tce", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "mixed units for indicator 'energy_consumption'",
               "'万吨标准煤' (first at row 2)", "'tce' (first at row 3)")


def test_unknown_unit(tmp_path, catalog):
    text = tidy_csv([("岳阳", 2018, "co2_emissions", 12, "kt", "x")])
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", "unknown unit 'kt'")


def test_truncated_csv(tmp_path, catalog):
    text = GOOD[: GOOD.rindex(",MtCO2")]  # cut inside the last row
    pull_fails(catalog, csv_source(tmp_path, text), "bad.csv", f"row {GOOD.count(chr(10))}", "truncated")


def test_truncated_excel(tmp_path, catalog):
    path = write_xlsx(tmp_path / "full.xlsx", {"s": [["地区", "2019"], ["岳阳", 3]]})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[:1500])
    source = make_source(kind="wide_years", path=cut, region_column="地区", indicator="co2_emissions", unit="MtCO2")
    pull_fails(catalog, source, "cut.xlsx", "truncated or corrupt")


def test_truncated_parquet(tmp_path, catalog):
    import polars as pl

    pl.DataFrame({"region_id": ["岳阳"] * 50, "year": list(range(1971, 2021))}).write_parquet(tmp_path / "f.parquet")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes((tmp_path / "f.parquet").read_bytes()[:-40])
    pull_fails(catalog, make_source(path=cut), "cut.parquet", "truncated or corrupt")


def test_gbk_file_read_as_utf8(tmp_path, catalog):
    text = tidy_csv([("岳阳", 2019, "co2_emissions", 3, "MtCO2", "统计年鉴")]).encode("gbk")
    pull_fails(catalog, csv_source(tmp_path, text, encoding="utf-8"), "bad.csv", "not valid utf-8 at line 2", "GBK")


def test_html_error_page_served_as_csv(catalog):
    page = b"<!DOCTYPE html><html><head><title>Error</title></head><body>Service unavailable</body></html>"
    routes = {"/as-html.csv": Route(page, content_type="text/html"), "/as-csv.csv": Route(page, content_type="text/csv")}
    with serve(routes) as base:
        pull_fails(catalog, make_source(url=f"{base}/as-html.csv"), "/as-html.csv", "HTML page")
        pull_fails(catalog, make_source(url=f"{base}/as-csv.csv"), "/as-csv.csv", "HTML page")


def test_url_not_found(catalog):
    with serve({}) as base:
        pull_fails(catalog, make_source(url=f"{base}/missing.csv"), "/missing.csv", "HTTP 404")


def test_url_that_times_out(catalog):
    routes = {"/slow.csv": Route(GOOD.encode(), delay=2.0)}
    with serve(routes) as base:
        pull_fails(catalog, make_source(url=f"{base}/slow.csv", timeout_seconds=0.3), "/slow.csv", "no response within 0.3 s")


def test_body_cut_short_by_the_server(catalog):
    routes = {"/cut.csv": Route(GOOD.encode(), truncate_to=100)}
    with serve(routes) as base:
        pull_fails(catalog, make_source(url=f"{base}/cut.csv"), "/cut.csv", "download failed")


def test_one_bad_source_of_two_writes_nothing(tmp_path, catalog):
    good = csv_source(tmp_path, GOOD, name="new-good.csv")
    bad = make_source(name="bad", path=tmp_path / "empty.csv", precedence=1)
    (tmp_path / "empty.csv").write_bytes(b"")
    before = fingerprint(catalog.root)
    with pytest.raises(SourceError, match="empty.csv"):
        pull_all([good, bad], REGISTRY, catalog)
    assert fingerprint(catalog.root) == before
