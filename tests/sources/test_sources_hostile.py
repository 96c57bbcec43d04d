"""Random tables fed to the source adapters (bytes -> tidy panel), in every
shape and format: each is either accepted as a well-formed panel or rejected
with a ``SourceError`` naming the source and its file, never any other error."""

import csv
import io
import math
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from peakwatch import contract as c
from peakwatch.sources import SourceError
from peakwatch.sources.fetch import Fetched
from peakwatch.sources.pull import read_panel
from peakwatch.sources.units import _UNITS
from tests.sources._sources_helpers import REGISTRY, make_source

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIDY_HEADERS = ["region_id", "year", "indicator", "value", "unit", "source"]
ODD_CELLS = [
    "", " ", "-", "—", "NaN", "nan", "inf", "-inf", "1e400", "-1e400", "1e308", "1,234.5", "0x10", "1_000",
    "2019年", "２０１９", "٢٠١٩", "=1+1", "+1", "@SUM(A1)", "\x00", "\ufeff", "\u202e", "null", "None", "true",
]
REGION_NAMES = [r.id for r in REGISTRY.regions] + [r.name_zh for r in REGISTRY.regions] + ["湖北岳阳", "../../etc/x"]

odd = st.sampled_from(ODD_CELLS)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.floats(0, 1e6).map(lambda v: f"{v:.3f}"),
)
any_cell = st.one_of(odd, numbers, st.text(max_size=12))
region = st.one_of(st.sampled_from(REGION_NAMES), any_cell)
year = st.one_of(st.integers(1890, 2110).map(str), any_cell)
indicator = st.one_of(st.sampled_from(sorted(c.UNITS)), any_cell)
unit = st.one_of(st.sampled_from(sorted(_UNITS)), any_cell)
value = st.one_of(numbers, st.floats(0, 1e4).map(str), any_cell)


@st.composite
def mutated(draw, rows: list[list]) -> list[list]:
    """A few cells of a plausible table replaced by hostile ones: deep enough to reach every check."""
    rows = [list(row) for row in rows]
    for _ in range(draw(st.integers(0, 3))):
        r = draw(st.integers(0, len(rows) - 1))
        if rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(any_cell)
    return rows


@st.composite
def tidy_tables(draw) -> list[list]:
    header = draw(st.permutations(TIDY_HEADERS))
    header = [h for h in header if h != "source" or draw(st.booleans())]
    if draw(st.booleans()):  # plausible: one region and unit, distinct years, hostile values
        fixed = {"region_id": draw(st.sampled_from(REGION_NAMES)), "indicator": "co2_emissions",
                 "unit": draw(st.sampled_from(["MtCO2", "万吨", "亿吨CO2"])), "source": "yb"}
        years = draw(st.lists(st.integers(1900, 2100), max_size=10, unique=True))
        body = [[fixed.get(h) or (str(y) if h == "year" else draw(value)) for h in header] for y in years]
    else:
        cells = {"region_id": region, "year": year, "indicator": indicator, "value": value, "unit": unit}
        body = draw(st.lists(st.tuples(*(cells.get(h, any_cell) for h in header)), max_size=10))
    rows = [header, *map(list, body)]
    return draw(mutated(rows))


@st.composite
def wide_years_tables(draw) -> list[list]:
    plausible_year = st.one_of(st.integers(1900, 2100).map(str), st.integers(1900, 2100).map(lambda y: f"{y}年"))
    years = draw(st.lists(plausible_year, max_size=6, unique=True))
    header = ["地区", *years]
    rows = draw(st.lists(st.tuples(st.sampled_from(REGION_NAMES), *(st.floats(0, 1e5).map(str) for _ in years)), max_size=8))
    return draw(mutated([header, *map(list, rows)]))


@st.composite
def wide_indicators_tables(draw) -> list[list]:
    header = ["年份", "能源", "排放"]
    rows = draw(st.lists(st.tuples(st.integers(1900, 2100).map(str), value, value), max_size=8))
    return draw(mutated([header, *map(list, rows)]))


def source_for(kind: str, file_name: str, encoding: str = "auto"):
    path = Path("hostile") / file_name
    common = {"name": "hostile", "path": path, "encoding": encoding, "missing_values": ["-"]}
    if kind == "tidy":
        return make_source(kind="tidy", **common)
    if kind == "wide_years":
        return make_source(kind="wide_years", region_column="地区", indicator="energy_consumption", unit="万吨标准煤", **common)
    return make_source(
        kind="wide_indicators", year_column="年份", region="岳阳市",
        columns={"能源": {"indicator": "energy_consumption", "unit": "万吨标准煤"},
                 "排放": {"indicator": "co2_emissions", "unit": "万吨CO2"}},
        **common,
    )


def serving(data: bytes):
    """A fetch that gives ``data`` for any source (the tables here exist only in memory)."""

    def fetch(source, catalog, path: Path) -> Fetched:
        path.write_bytes(data)
        return Fetched(path, "file")

    return fetch


def accepted_or_rejected(data: bytes, source) -> None:
    """The property: a well-formed panel, or a SourceError naming the source and file."""
    try:
        panel = read_panel([source], REGISTRY, catalog=None, fetch=serving(data))
    except SourceError as err:
        message = str(err)
        assert "source 'hostile'" in message and source.path.name in message, message
        event(f"rejected: {message.split(': ', 2)[-1][:30]}")
        return
    event(f"accepted {'empty' if panel.is_empty() else 'rows'}")
    assert panel.schema == pl.Schema(c.SCHEMA)
    assert panel.null_count().sum_horizontal().item() == 0, panel
    assert all(math.isfinite(v) and v >= 0 for v in panel[c.VALUE]), panel
    assert set(panel[c.INDICATOR]) <= set(c.UNITS)
    assert all(c.UNITS[i] == u for i, u in panel.select(c.INDICATOR, c.UNIT).iter_rows())
    assert panel[c.YEAR].is_between(1900, 2100).all()
    assert not panel.select(c.REGION_ID, c.INDICATOR, c.YEAR).is_duplicated().any()


@pytest.mark.parametrize(
    ("cell", "unit", "expected"),
    [("NaN", "MtCO2", "'NaN' is not a finite number"), ("1e400", "MtCO2", "'1e400' is not a finite number"),
     ("-inf", "MtCO2", "'-inf' is not a finite number"), ("1e307", "亿吨CO2", "value overflows once converted to MtCO2")],
)
def test_non_finite_values_are_rejected_naming_the_cell(cell, unit, expected):
    """Found by the property tests below: these cast to floats and reached the panel."""
    rows = [TIDY_HEADERS, ["岳阳市", "2019", "co2_emissions", cell, unit, "yb"]]
    with pytest.raises(SourceError) as err:
        read_panel([source_for("tidy", "t.csv")], REGISTRY, None, fetch=serving(to_csv(rows).encode()))
    assert expected in str(err.value) and "t.csv" in str(err.value) and "row 2, column 'value'" in str(err.value)


@pytest.mark.parametrize(
    ("kind", "rows"),
    [("tidy", [TIDY_HEADERS, ["岳阳市", "2019", "co2_emissions", "-", "MtCO2", "yb"]]),
     ("wide_years", [["地区", "2019"], ["岳阳市", ""]]),
     ("wide_indicators", [["年份", "能源", "排放"], ["1900", "", ""]])],
)
def test_a_table_without_a_single_value_parses_to_an_empty_panel(kind, rows):
    """Found by test_random_excel_tables: with no (indicator, unit) to convert,
    the unit conversion met Polars' empty replace_strict, which returns strings."""
    panel = read_panel(
        [source_for(kind, "t.csv")], REGISTRY, None, fetch=serving(to_csv(rows).encode())
    )
    assert panel.is_empty() and panel.schema == pl.Schema(c.SCHEMA)


def to_csv(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def to_xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        # openpyxl refuses control characters; a real workbook cannot hold them either
        sheet.append([_as_excel(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_excel(cell: str):
    cleaned = "".join(ch for ch in cell if ch >= " " or ch in "\t\n")
    try:  # numbers as numbers, as a spreadsheet would hold them
        number = float(cleaned)
    except ValueError:
        return cleaned or None
    return number if math.isfinite(number) else cleaned


KINDS = {"tidy": tidy_tables(), "wide_years": wide_years_tables(), "wide_indicators": wide_indicators_tables()}
tables = st.sampled_from(sorted(KINDS)).flatmap(lambda kind: st.tuples(st.just(kind), KINDS[kind]))
ENCODINGS = ["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"]


@SETTINGS
@given(table=tables, write_as=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), declared=st.sampled_from(ENCODINGS))
def test_random_csv_tables(table, write_as, declared):
    kind, rows = table
    data = to_csv(rows).encode(write_as)
    accepted_or_rejected(data, source_for(kind, "yearbook.csv", declared))


@SETTINGS
@given(table=tables)
@example(table=("wide_indicators", [["年份", "能源", "排放"], ["1900", "", ""]]))
def test_random_excel_tables(table):
    kind, rows = table
    accepted_or_rejected(to_xlsx(rows), source_for(kind, "yearbook.xlsx"))


@SETTINGS
@given(
    kind=st.sampled_from(sorted(KINDS)),
    head=st.sampled_from([b"", b"region_id,year,indicator,value,unit\n", "地区,2019\n".encode("gbk"), b"PK\x03\x04"]),
    body=st.binary(max_size=200),
    suffix=st.sampled_from(["csv", "xlsx", "parquet"]),
    declared=st.sampled_from(ENCODINGS),
)
def test_random_bytes(kind, head, body, suffix, declared):
    accepted_or_rejected(head + body, source_for(kind, f"raw.{suffix}", declared))
