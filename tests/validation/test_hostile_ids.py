"""Region ids become MLflow tags, run names and file-name parts: hostile ones are
quarantined by the gate with a named check, and random tables never crash it."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.synthetic import simulate_panel
from peakwatch import contract as c
from validation.gate import UnusableDataError, validate_panel

HOSTILE = {
    "../../etc/x": "rows.region_id_safe",
    "/etc/passwd": "rows.region_id_safe",
    "a\x00b": "rows.region_id_safe",
    "x" * 10_000: "rows.region_id_length",
}


@pytest.fixture(scope="module")
def panel():
    return simulate_panel()


@pytest.mark.parametrize("hostile_id", list(HOSTILE), ids=["dotdot", "absolute", "nul", "10k-chars"])
def test_hostile_region_id_is_quarantined_by_its_check(panel, hostile_id):
    stolen = panel.filter(pl.col(c.REGION_ID) == "hunan.zhuzhou").with_columns(pl.lit(hostile_id).alias(c.REGION_ID))
    report = validate_panel(pl.concat([panel, stolen]))
    assert set(report.quarantined) == {hostile_id}
    assert any(name.startswith(HOSTILE[hostile_id]) for name in report.quarantined[hostile_id])


def test_ordinary_ids_including_chinese_pass(panel):
    renamed = panel.with_columns(pl.col(c.REGION_ID).str.replace("hunan.zhuzhou", "ceads.株洲", literal=True))
    assert validate_panel(renamed).quarantined == {}


tables = st.lists(
    st.fixed_dictionaries(
        {
            c.REGION_ID: st.one_of(st.none(), st.text(max_size=30)),
            c.YEAR: st.one_of(st.none(), st.integers(-5000, 5000)),
            c.INDICATOR: st.one_of(st.sampled_from(sorted(c.UNITS)), st.text(max_size=10)),
            c.VALUE: st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
            c.UNIT: st.one_of(st.sampled_from(sorted(set(c.UNITS.values()))), st.text(max_size=8)),
            c.SOURCE: st.text(max_size=8),
        }
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables)
def test_random_tables_are_accepted_or_rejected_with_the_documented_error(rows):
    frame = pl.DataFrame(rows, schema=c.SCHEMA)
    try:
        report = validate_panel(frame)
    except UnusableDataError:
        return
    assert set(report.quarantined) <= set(frame[c.REGION_ID].drop_nulls().to_list()) | {None}
