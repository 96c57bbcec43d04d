import gc

import pandas as pd
import polars as pl
import pytest

from forecasting.synthetic import simulate_panel
from peakwatch import contract as c
from validation.gate import GateSettings, UnusableDataError, passing_rows, validate_panel
from validation.report import MAX_OFFENDING_ROWS
from validation.runner import ROWS_PER_REGION


@pytest.fixture(scope="module")
def panel():
    return simulate_panel()


def test_clean_panel_passes(panel):
    report = validate_panel(panel)
    assert report.quarantined == {}
    assert report.metrics()["validation_regions_passed"] == 5
    assert all(check.success for check in report.checks)


def test_validation_keeps_no_copy_of_the_data(panel, tmp_path):
    """GX keeps its last context alive and each data source its batch's pandas
    copy; the gate drops them (at 10 000 series they held ~150 MB for the rest
    of the monthly run). The Data Docs still show every suite."""

    def pandas_frames() -> set[int]:
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, pd.DataFrame)}

    before = pandas_frames()
    report = validate_panel(panel, docs_dir=tmp_path / "docs")
    assert pandas_frames() - before == set()
    docs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "docs").rglob("*.html"))
    assert {ch.suite for ch in report.checks} == {"peakwatch-schema", "peakwatch-rows", "peakwatch-history",
                                                 "peakwatch-jumps", "peakwatch-intensity", "peakwatch-hierarchy"}
    assert all(suite in docs for suite in {ch.suite for ch in report.checks})


def test_a_suite_frees_its_pandas_copy_without_waiting_for_a_collection(panel):
    """GX's run objects hold the suite's pandas copy in reference cycles; the
    runner collects them itself rather than leave it to Python's rare full
    collection (here switched off: only the runner's own collection runs)."""
    from validation import runner
    from validation.suites import rows

    def pandas_frames() -> set[int]:
        return {id(o) for o in gc.get_objects() if isinstance(o, pd.DataFrame)}

    context = runner.open_context(None)
    gc.collect()
    before = pandas_frames()
    gc.disable()
    try:
        settings = GateSettings()
        frame = rows.build_frame(panel, settings, {})
        runner.run_suite(context, runner.new_run_id(), rows.SUITE, frame, rows.build_checks(settings), settings.severities)
        assert pandas_frames() - before == set()
    finally:
        gc.enable()


def test_region_batches_hold_whole_regions_and_every_row_once():
    from validation.gate import region_batches

    frame = pl.DataFrame({c.REGION_ID: ["b", "a", None, "c", "a", "b", "d"], "n": range(7)})
    assert [label for label, _ in region_batches(frame, 7)] == [""]  # small enough: whole
    batches = list(region_batches(frame, 3))
    assert [label for label, _ in batches] == ["batch-1-of-2", "batch-2-of-2"]
    assert sorted(n for _, batch in batches for n in batch["n"]) == list(range(7))
    regions = [set(batch[c.REGION_ID].to_list()) for _, batch in batches]
    assert regions == [{"a", "b", None}, {"c", "d"}]  # rows without a region go with the first batch


def test_a_suite_that_raises_leaves_no_data_source_behind(panel, monkeypatch):
    """The data source (and its pandas copy of the batch) goes even when GX fails mid-run."""
    import great_expectations as gx

    from validation import runner

    def broken_run(self, **kwargs):
        raise RuntimeError("GX failed")

    monkeypatch.setattr(gx.ValidationDefinition, "run", broken_run)
    context = runner.open_context(None)
    with pytest.raises(RuntimeError, match="GX failed"):
        runner.run_suite(context, runner.new_run_id(), runner.Suite("peakwatch-test", lambda *_: panel, lambda _: []), panel, [], {})
    assert [source.name for source in context.data_sources.all().values()] == []


def test_negative_value_quarantines_only_its_region(panel):
    broken = panel.with_columns(
        pl.when((pl.col(c.REGION_ID) == "hunan.zhuzhou") & (pl.col(c.YEAR) == 2010) & (pl.col(c.INDICATOR) == c.CO2))
        .then(-5.0)
        .otherwise(pl.col(c.VALUE))
        .alias(c.VALUE)
    )
    report = validate_panel(broken)
    assert list(report.quarantined) == ["hunan.zhuzhou"]
    failed = [ch for ch in report.checks if not ch.success]
    assert [ch.expectation for ch in failed] == ["expect_column_values_to_be_between"]
    assert failed[0].offending_rows[0][c.YEAR] == 2010
    assert passing_rows(broken, report)[c.REGION_ID].n_unique() == 4


@pytest.mark.parametrize("max_batch_rows", [50_000, 400])
def test_every_quarantined_region_has_its_offending_rows_listed(panel, max_batch_rows):
    """25 regions with 6 bad rows each, more than the report keeps in all: the
    cap took the first regions' rows and left the last ones with none."""
    zhuzhou = panel.filter(pl.col(c.REGION_ID) == "hunan.zhuzhou")
    bad = (pl.col(c.INDICATOR) == c.GDP) & (pl.col(c.YEAR) < 2011)
    many = pl.concat(
        zhuzhou.with_columns(
            pl.lit(f"test.r{k:02d}").alias(c.REGION_ID),
            pl.when(bad).then(-1.0).otherwise(pl.col(c.VALUE)).alias(c.VALUE),
        )
        for k in range(25)
    )
    report = validate_panel(many, GateSettings(max_batch_rows=max_batch_rows))
    assert len(report.quarantined) == 25
    [check] = [ch for ch in report.checks if not ch.success]
    listed = [row[c.REGION_ID] for row in check.offending_rows]
    assert check.unexpected_count == 25 * 6 and len(listed) == MAX_OFFENDING_ROWS * ROWS_PER_REGION
    assert set(listed) == set(report.quarantined)  # every region, the last ones too
    assert max(listed.count(region) for region in listed) <= ROWS_PER_REGION
    assert listed == sorted(listed)  # in the order of the data


def test_duplicate_rows_and_unknown_units_are_caught(panel):
    duplicate = panel.filter(pl.col(c.REGION_ID) == "hunan.yueyang").head(1)
    wrong_unit = panel.filter(pl.col(c.REGION_ID) == "hunan.zhuzhou").head(1).with_columns(pl.lit("tce").alias(c.UNIT))
    rest = panel.filter(~((pl.col(c.REGION_ID) == "hunan.zhuzhou") & (pl.col(c.YEAR) == 2005) & (pl.col(c.INDICATOR) == wrong_unit[c.INDICATOR][0])))
    report = validate_panel(pl.concat([rest, duplicate, wrong_unit]))
    assert set(report.quarantined) == {"hunan.yueyang", "hunan.zhuzhou"}
    assert any("unique" in name for name in report.quarantined["hunan.yueyang"])
    assert any("pair_values" in name for name in report.quarantined["hunan.zhuzhou"])


def test_a_unit_is_checked_against_its_indicators_contract_unit():
    from validation import runner
    from validation.suites import rows

    frame = c.conform(
        pl.DataFrame(
            {
                c.REGION_ID: ["ok", "no_unit", "unknown_indicator", "wrong_unit", "nothing"],
                c.YEAR: [2019] * 5,
                c.INDICATOR: [c.CO2, c.CO2, "coal_use", c.ENERGY, None],
                c.VALUE: [1.0] * 5,
                c.UNIT: [c.UNITS[c.CO2], None, "t", c.UNITS[c.CO2], None],
                c.SOURCE: ["test"] * 5,
            }
        )
    )
    settings = GateSettings()
    check = next(ch for ch in rows.build_checks(settings) if ch.name == "rows.indicator_unit")
    frame = rows.build_frame(frame, settings, {})
    [result] = runner.run_suite(runner.open_context(None), runner.new_run_id(), rows.SUITE, frame, [check], {})
    # an empty indicator with an empty unit is rows.indicator_present's to report
    assert result.regions == ("no_unit", "unknown_indicator", "wrong_unit")
    assert {r[c.REGION_ID]: r[rows.CONTRACT_UNIT] for r in result.offending_rows} == {
        "no_unit": c.UNITS[c.CO2], "unknown_indicator": None, "wrong_unit": c.UNITS[c.ENERGY]
    }
    assert result.rule == "unit = contract_unit"


def test_broken_schema_makes_the_data_unusable(panel):
    with pytest.raises(UnusableDataError, match="missing contract column"):
        validate_panel(panel.drop(c.UNIT))
    with pytest.raises(UnusableDataError, match="wrong types"):
        validate_panel(panel.with_columns(pl.col(c.VALUE).cast(pl.String)))


def test_nothing_left_is_unusable(panel):
    broken = panel.with_columns((-pl.col(c.VALUE)).alias(c.VALUE))
    with pytest.raises(UnusableDataError, match="every region was quarantined"):
        passing_rows(broken, validate_panel(broken))


def set_value(panel: pl.DataFrame, region: str, indicator: str, years: list[int], value: float) -> pl.DataFrame:
    at = (pl.col(c.REGION_ID) == region) & (pl.col(c.INDICATOR) == indicator) & pl.col(c.YEAR).is_in(years)
    return panel.with_columns(pl.when(at).then(value).otherwise(pl.col(c.VALUE)).alias(c.VALUE))


@pytest.mark.parametrize("indicator", [c.CO2, c.ENERGY, c.GDP, c.POPULATION])
def test_a_zero_on_the_log_scale_quarantines_its_region_naming_indicator_and_years(panel, indicator):
    """Zero CO2 (株洲 2012) passed the gate and the series was dropped in the fit;
    zero GDP made every scenario of the region 'not simulated'. The engine
    models these four indicators on the log scale."""
    report = validate_panel(set_value(panel, "hunan.zhuzhou", indicator, [2012, 2013], 0.0))
    assert list(report.quarantined) == ["hunan.zhuzhou"]
    [failed] = report.failures()
    assert failed.check == "rows.positive" and failed.rule == "value > 0"
    assert {(r[c.REGION_ID], r[c.INDICATOR], r[c.YEAR]) for r in failed.offending_rows} == {
        ("hunan.zhuzhou", indicator, 2012), ("hunan.zhuzhou", indicator, 2013)
    }


def test_the_severity_of_zeros_is_configurable(panel):
    report = validate_panel(set_value(panel, "hunan.zhuzhou", c.CO2, [2012], 0.0), GateSettings(severities={"rows.positive": "warn"}))
    assert report.quarantined == {} and list(report.warned) == ["hunan.zhuzhou"]


def test_a_negative_value_is_one_fault_not_two(panel):
    report = validate_panel(set_value(panel, "hunan.zhuzhou", c.CO2, [2012], -1.0))
    assert [ch.check for ch in report.failures()] == ["rows.non_negative"]


def test_a_year_outside_the_configured_range_quarantines_its_region(panel):
    """Year 1850 failed the whole run in the reader (its own 1900-2100 rule),
    while the gate's min_year said 1949: one rule now, the gate's."""
    at = (pl.col(c.REGION_ID) == "hunan.zhuzhou") & (pl.col(c.YEAR) == 2010)
    old = panel.filter(at).with_columns(pl.lit(1850, dtype=pl.Int64).alias(c.YEAR))
    report = validate_panel(pl.concat([panel, old]))
    assert list(report.quarantined) == ["hunan.zhuzhou"]
    assert {ch.check for ch in report.failures()} == {"rows.year_range"}
    assert validate_panel(pl.concat([panel, old]), GateSettings(min_year=1800)).quarantined == {}
