"""Spreadsheet formulas are read as the values the workbook cached, never run:
no =WEBSERVICE fetch, no DDE command; a formula with no cached value is an
empty cell, and text that only looks like a formula is not a number."""

import io
import re
import zipfile

import openpyxl
import polars as pl
import pytest

from peakwatch import contract as c
from peakwatch.sources import SourceError
from peakwatch.sources.parse import parse_source
from peakwatch.sources.regions import RegionMatcher
from tests.sources._sources_helpers import REGISTRY, Route, make_source, serve

MATCHER = RegionMatcher(REGISTRY)


def workbook(rows: list[list], cached: dict[str, tuple[str, str]]) -> bytes:
    """An .xlsx holding ``rows`` (strings starting with '=' are formulas); ``cached``
    gives some formula cells the value Excel would have stored: {"B2": (type, value)}.
    openpyxl writes formulas without cached values, so those are patched into the XML."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    raw = io.BytesIO()
    book.save(raw)
    source, out = zipfile.ZipFile(raw), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, (kind, value) in cached.items():
                    xml, n = re.subn(
                        rf'<c r="{ref}"[^>]*><f>(.*?)</f><v\s*/></c>',
                        lambda m: f'<c r="{ref}" t="{kind}"><f>{m.group(1)}</f><v>{value}</v></c>',
                        xml,
                    )
                    assert n == 1, f"no formula cell {ref}"
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


def yearbook(path="yearbook.xlsx"):
    return make_source(name="yb", kind="wide_years", path=path, region_column="地区",
                       indicator="energy_consumption", unit="Mtce")


def values(frame: pl.DataFrame) -> dict[tuple[str, int], float]:
    return {(r[c.REGION_ID], r[c.YEAR]): r[c.VALUE] for r in frame.iter_rows(named=True)}


def test_formulas_give_their_cached_values_and_nothing_is_fetched():
    route = Route(b"999")
    with serve({"/steal": route}) as base:
        url = f"{base}/steal"
        data = workbook(
            [
                ["地区", "2019", "2020", "2021"],
                ["岳阳市", "=1+1", f'=WEBSERVICE("{url}")', f'=HYPERLINK("{url}","12")'],
                ["株洲市", "=cmd|' /C calc'!A0", f'=WEBSERVICE("{url}")', "5"],
            ],
            # 2020 of 岳阳: a WEBSERVICE never computed; 2019 of 株洲: DDE with an error cached
            cached={"B2": ("n", "2"), "D2": ("str", "12"), "B3": ("e", "#REF!"), "C3": ("str", "7")},
        )
        parsed = parse_source(io.BytesIO(data), yearbook(), MATCHER, "yearbook.xlsx")
    assert values(parsed.frame) == {
        ("hunan.yueyang", 2019): 2.0,  # =1+1 as cached, not recomputed
        ("hunan.yueyang", 2021): 12.0,  # HYPERLINK's cached display value
        ("hunan.zhuzhou", 2020): 7.0,  # WEBSERVICE's cached result, not a new download
        ("hunan.zhuzhou", 2021): 5.0,
    }
    assert route.requests == 0, "reading the workbook fetched a URL named in a formula"


def test_formulas_without_cached_values_are_missing_never_evaluated():
    data = workbook([["地区", "2019", "2020"], ["岳阳市", "=1+1", "=2*3"], ["株洲市", "4", "=SUM(B2:B3)"]], cached={})
    parsed = parse_source(io.BytesIO(data), yearbook(), MATCHER, "yearbook.xlsx")
    assert values(parsed.frame) == {("hunan.zhuzhou", 2019): 4.0}


def test_a_region_cell_holding_a_formula_without_value_is_an_error_naming_the_cell():
    data = workbook([["地区", "2019"], ['=HYPERLINK("http://127.0.0.1:9/","岳阳")', "3"]], cached={})
    with pytest.raises(SourceError, match=r"yearbook\.xlsx: row 2, column '2019' .*region is empty"):
        parse_source(io.BytesIO(data), yearbook(), MATCHER, "yearbook.xlsx")


def test_text_that_looks_like_a_formula_is_not_a_number():
    book = openpyxl.Workbook()
    book.active.append(["地区", "2019"])
    book.active.append(["岳阳市", "x"])
    book.active["B2"].value, book.active["B2"].data_type = "=1+1", "s"  # a text cell, not a formula
    raw = io.BytesIO()
    book.save(raw)
    with pytest.raises(SourceError, match=r"yearbook\.xlsx: row 2, column '2019' .*'=1\+1' is not a number"):
        parse_source(io.BytesIO(raw.getvalue()), yearbook(), MATCHER, "yearbook.xlsx")
    csv = "地区,2019\n岳阳市,=1+1\n株洲市,@SUM(A1)\n".encode()
    with pytest.raises(SourceError, match=r"yearbook\.csv: row 2, column '2019' .*'=1\+1' is not a number"):
        parse_source(io.BytesIO(csv), yearbook("yearbook.csv"), MATCHER, "yearbook.csv")
