"""Random tables fed to the source adapters (bytes -> tidy panel), in every
shape, format, encoding and size, from a file or over HTTP: each is either
accepted as a well-formed panel or rejected with a ``SourceError`` naming the
source and its file, never any other error, never a hang, and nothing is
written outside the artifacts folder."""

import contextlib
import csv
import datetime
import io
import math
import os
import sys
import tempfile
import threading
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from peakwatch import contract as c
from peakwatch.sources import SourceError
from peakwatch.sources.fetch import Fetched, fetch_into
from peakwatch.sources.pull import pull_all, read_panel
from peakwatch.sources.units import _UNITS
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, Route, make_source, serve

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


def source_for(kind: str, file_name: str, encoding: str = "auto", base_url: str | None = None):
    """A source of ``kind`` named 'hostile': the file ``hostile/<file_name>``, or that name under ``base_url``."""
    where = {"url": f"{base_url}/{file_name}"} if base_url else {"path": Path("hostile") / file_name}
    common = {"name": "hostile", **where, "encoding": encoding, "missing_values": ["-"], "timeout_seconds": 5}
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


HANG_SECONDS = 60  # far beyond any table here (each takes well under a second)
ADAPTER_THREAD = "source-adapter"  # where the adapters run, and the writes are watched


def bounded(call, seconds: float = HANG_SECONDS):
    """``call()``'s result or exception; a test failure if it takes longer than ``seconds`` (a hang)."""
    outcome = {}

    def target():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=ADAPTER_THREAD, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"no answer within {seconds} s: a hang")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


_written: list[str] | None = None  # paths written to while confined_writes records
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# audit event -> which of its arguments are (path, dir_fd) pairs it changes
_CHANGES = {
    "os.mkdir": [(0, 2)], "os.remove": [(0, 1)], "os.rmdir": [(0, 1)], "shutil.rmtree": [(0, 1)],
    "os.rename": [(0, 2), (1, 3)], "shutil.copyfile": [(1, None)], "os.truncate": [(0, None)],
}


def _absolute(path, dir_fd) -> str | None:
    if isinstance(path, int):  # a file descriptor: its file was opened (and checked) by name
        return None
    path = os.fsdecode(path)
    if isinstance(dir_fd, int) and not os.path.isabs(path):  # shutil.rmtree works relative to folder descriptors
        path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
    return os.path.abspath(path)


def _audit(event: str, args: tuple) -> None:
    """Python's audit events of the file system (every open for writing, mkdir, rename, ...)
    in the adapters' thread (not in threads earlier tests left, Prefect's or MLflow's)."""
    if _written is None or threading.current_thread().name != ADAPTER_THREAD:
        return
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & _WRITE_FLAGS):
            _written.append(_absolute(path, None))
    for at, fd_at in _CHANGES.get(event, ()):
        _written.append(_absolute(args[at], args[fd_at] if fd_at is not None else None))


sys.addaudithook(_audit)  # for the whole session (hooks cannot be removed); idle unless recording


@contextlib.contextmanager
def confined_writes():
    """A fresh artifacts folder; on exit, checks that nothing was written,
    created, renamed or removed anywhere else (a scratch copy in /tmp counts,
    even one deleted after)."""
    global _written
    with tempfile.TemporaryDirectory(prefix="hostile-") as base:
        artifacts = Path(base, "artifacts").resolve()
        _written = []
        try:
            yield artifacts
        finally:
            written, _written = _written, None
        outside = [p for p in written if p is not None and not Path(p).resolve().is_relative_to(artifacts)]
        assert outside == [], f"written outside the artifacts folder: {outside}"


def accepted_or_rejected(data: bytes, source, fetch=None) -> None:
    """The property: a well-formed panel, or a SourceError naming the source and
    its file; never another error, a hang, or a write outside the artifacts."""
    with confined_writes() as artifacts:
        catalog = Catalog(artifacts)
        try:
            panel = bounded(lambda: pull_all([source], REGISTRY, catalog, fetch=fetch or serving(data)).panel)
        except SourceError as err:
            message = str(err)
            assert "source 'hostile'" in message and source.location in message, message
            assert not list(artifacts.rglob("*.*")), "a rejected source left files in the artifacts"
            event(f"rejected: {message.split(': ', 2)[-1][:30]}")
            return
    event(f"accepted {'empty' if panel.is_empty() else 'rows'}")
    assert panel.schema == pl.Schema(c.SCHEMA)
    assert panel.null_count().sum_horizontal().item() == 0, panel
    assert all(math.isfinite(v) and v >= 0 for v in panel[c.VALUE]), panel
    assert set(panel[c.INDICATOR]) <= set(c.UNITS)
    assert all(c.UNITS[i] == u for i, u in panel.select(c.INDICATOR, c.UNIT).iter_rows())
    assert panel[c.YEAR].is_between(1, 9999).all()  # plausible years are the gate's rule
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


# Parquet: any column names, types and shapes a writer can produce.
PARQUET_TYPES = {
    "text": (st.one_of(any_cell, st.none()), pl.String),
    "int": (st.one_of(st.integers(-(2**63), 2**63 - 1), st.none()), pl.Int64),
    "float": (st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()), pl.Float64),
    "bool": (st.one_of(st.booleans(), st.none()), pl.Boolean),
    "date": (st.one_of(st.dates(), st.none()), pl.Date),
    "duration": (st.one_of(st.timedeltas(datetime.timedelta(days=-999), datetime.timedelta(days=999)), st.none()), pl.Duration),
    "list": (st.one_of(st.lists(st.integers(1900, 2100), max_size=3), st.none()), pl.List(pl.Int64)),
    "bytes": (st.one_of(st.binary(max_size=8), st.none()), pl.Binary),
    "null": (st.none(), pl.Null),
}


@st.composite
def parquet_tables(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    if draw(st.booleans()):  # a plausible table, typed as a writer would: years and values as numbers
        rows = draw(KINDS[kind])
        header, body = rows[0], rows[1:]
        columns = {}
        for i, name in enumerate(header):
            cells = [row[i] if i < len(row) else None for row in body]
            try:
                columns[name] = pl.Series(name, [float(v) for v in cells], dtype=pl.Float64)
            except (TypeError, ValueError):
                columns[name] = pl.Series(name, cells, dtype=pl.String)
        frame = pl.DataFrame(list(columns.values())) if len(set(header)) == len(header) else pl.DataFrame()
    else:  # any names and types
        names = draw(st.lists(st.one_of(st.sampled_from([*TIDY_HEADERS, "地区", "年份", "能源", "排放"]), st.text(max_size=6)),
                              max_size=6, unique=True))
        n_rows = draw(st.integers(0, 6))
        series = []
        for name in names:
            values, dtype = PARQUET_TYPES[draw(st.sampled_from(sorted(PARQUET_TYPES)))]
            series.append(pl.Series(name, draw(st.lists(values, min_size=n_rows, max_size=n_rows)), dtype=dtype))
        frame = pl.DataFrame(series)
    out = io.BytesIO()
    frame.write_parquet(out)
    return kind, out.getvalue()


@SETTINGS
@given(table=parquet_tables())
def test_random_parquet_tables(table):
    """Found here: a list, duration or non-text bytes column failed Polars'
    cast to text with a Polars error, not a SourceError."""
    kind, data = table
    accepted_or_rejected(data, source_for(kind, "yearbook.parquet"))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(n_regions=st.integers(50, 2000), n_years=st.integers(20, 60), write_as=st.sampled_from(["utf-8", "gb18030"]))
def test_large_tables(n_regions, n_years, write_as):
    """Sizes: up to 120 000 cells of a wide yearbook table (a few examples: each takes a second or two)."""
    header = ["地区", *(str(2020 - n_years + i) for i in range(n_years))]
    rows = [[f"城市{r}", *(f"{1 + r + y / 10:.2f}" for y in range(n_years))] for r in range(n_regions)]
    source = source_for("wide_years", "big.csv")
    derive = source.model_copy(update={"regions": source.regions.model_copy(update={"unmatched": "derive"})})
    accepted_or_rejected(to_csv([header, *rows]).encode(write_as), derive)


RESPONSES = st.fixed_dictionaries({
    "status": st.sampled_from([200, 200, 200, 204, 301, 404, 500, 503]),
    "content_type": st.sampled_from(["text/csv", "text/html", "application/octet-stream", "application/json"]),
    "truncate": st.booleans(),
    "gzip": st.booleans(),  # a Content-Encoding the body does not honour
})


@pytest.fixture(scope="module")
def web():
    """A local server whose one route each example rewrites."""
    route = Route(b"")
    with serve({"/hostile/data.csv": route}) as base:
        yield base, route


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=tables, response=RESPONSES, write_as=st.sampled_from(["utf-8", "gb18030"]))
def test_random_http_responses(web, table, response, write_as):
    """The URL adapter: statuses, content types, truncated bodies, bad encodings over real HTTP."""
    base, route = web
    kind, rows = table
    body = to_csv(rows).encode(write_as)
    route.body, route.status, route.content_type = body, response["status"], response["content_type"]
    route.truncate_to = len(body) // 2 if response["truncate"] else None
    route.headers = {"Content-Encoding": "gzip"} if response["gzip"] else {}
    route.etag = route.last_modified = None
    accepted_or_rejected(body, source_for(kind, "data.csv", base_url=f"{base}/hostile"), fetch=fetch_into)
