"""A corpus of deliberately broken datasets, one fault each, built from the
embedded default panel: each is caught by the named check with the right
severity, the faulty region is quarantined (fail) or warned (warn), and the
other regions pass."""

from dataclasses import dataclass
from typing import Callable

import polars as pl
import pytest

from peakwatch import contract as c
from peakwatch.config import DEFAULT_CONFIG, load_config
from validation import runner
from validation.gate import GateSettings, UnusableDataError, passing_rows, validate_panel

PANEL_CSV = DEFAULT_CONFIG.parent.parent / "data" / "default_panel.csv"
ZHUZHOU, YUEYANG, PINGJIANG = "hunan.zhuzhou", "hunan.yueyang", "hunan.yueyang.pingjiang"
JIANGYONG, LEIYANG = "hunan.yongzhou.jiangyong", "hunan.hengyang.leiyang"


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return c.conform(pl.read_csv(PANEL_CSV))


@pytest.fixture(scope="module")
def parents() -> dict[str, str]:
    return load_config(DEFAULT_CONFIG).regions.parents()


def where(region: str, indicator: str | None = None, year: int | None = None) -> pl.Expr:
    cond = pl.col(c.REGION_ID) == region
    if indicator:
        cond &= pl.col(c.INDICATOR) == indicator
    if year:
        cond &= pl.col(c.YEAR) == year
    return cond


def scale(cond: pl.Expr, factor: float) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda p: p.with_columns(pl.when(cond).then(pl.col(c.VALUE) * factor).otherwise(pl.col(c.VALUE)).alias(c.VALUE))


def set_column(cond: pl.Expr, column: str, value) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda p: p.with_columns(pl.when(cond).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))


def drop(cond: pl.Expr) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda p: p.filter(~cond)


def add_rows(select: pl.Expr, **changes) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def apply(p: pl.DataFrame) -> pl.DataFrame:
        extra = p.filter(select).with_columns(**{k: pl.lit(v) for k, v in changes.items()})
        return pl.concat([p, c.conform(extra)])

    return apply


def add_share(region: str, values: dict[int, float]) -> Callable[[pl.DataFrame], pl.DataFrame]:
    rows = pl.DataFrame(
        {
            c.REGION_ID: region,
            c.YEAR: list(values),
            c.INDICATOR: c.NON_FOSSIL_SHARE,
            c.VALUE: list(values.values()),
            c.UNIT: "percent",
            c.SOURCE: "test",
        }
    )
    return lambda p: pl.concat([p, c.conform(rows)])


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: Callable[[pl.DataFrame], pl.DataFrame]
    check: str
    severity: str
    region: str | None  # the region blamed; None when no region can be (no region_id)
    row: dict  # fields the first offending row of that region must carry


CORPUS = [
    Fault("negative_energy", scale(where(ZHUZHOU, c.ENERGY, 2010), -1), "rows.non_negative", "fail", ZHUZHOU, {c.YEAR: 2010}),
    Fault("zero_co2", scale(where(ZHUZHOU, c.CO2, 2012), 0), "rows.positive", "fail", ZHUZHOU, {c.YEAR: 2012, c.VALUE: 0.0}),
    Fault(
        "share_above_100",
        add_share(YUEYANG, {2020: 22.0, 2021: 140.0}),
        "rows.share_range",
        "fail",
        YUEYANG,
        {c.YEAR: 2021, c.VALUE: 140.0},
    ),
    Fault("duplicate_row", add_rows(where(LEIYANG, c.CO2, 2015)), "rows.unique_key", "fail", LEIYANG, {c.YEAR: 2015}),
    Fault(
        "unknown_indicator",
        add_rows(where(JIANGYONG, c.ENERGY, 2019), indicator="coal_use"),
        "rows.known_indicator",
        "fail",
        JIANGYONG,
        {c.INDICATOR: "coal_use"},
    ),
    Fault(
        "unconverted_unit",
        set_column(where(ZHUZHOU, c.ENERGY, 2018), c.UNIT, "10k_tce"),
        "rows.indicator_unit",
        "fail",
        ZHUZHOU,
        {c.UNIT: "10k_tce", c.YEAR: 2018},
    ),
    Fault(
        "future_year",
        add_rows(where(PINGJIANG, c.CO2, 2023), year=2099),
        "rows.year_range",
        "fail",
        PINGJIANG,
        {c.YEAR: 2099},
    ),
    Fault(
        "year_typo",
        set_column(where(YUEYANG, c.GDP, 2012), c.YEAR, 212),
        "rows.year_range",
        "fail",
        YUEYANG,
        {c.YEAR: 212},
    ),
    Fault("missing_region_id", set_column(where(LEIYANG, c.GDP, 2011), c.REGION_ID, None), "rows.region_id_present", "fail", None, {c.YEAR: 2011}),
    Fault(
        "empty_value",
        set_column(where(ZHUZHOU, c.CO2, 2012), c.VALUE, None),
        "rows.value_present",
        "warn",
        ZHUZHOU,
        {c.YEAR: 2012},
    ),
    Fault(
        "short_history",
        drop(where(JIANGYONG, c.ENERGY) & (pl.col(c.YEAR) < 2019)),
        "history.min_observed_years",
        "fail",
        JIANGYONG,
        {c.INDICATOR: c.ENERGY, "n_observed": 5},
    ),
    Fault(
        "stale_series",
        drop(where(PINGJIANG, c.CO2) & (pl.col(c.YEAR) > 2016)),
        "history.recent",
        "fail",
        PINGJIANG,
        {c.INDICATOR: c.CO2, "last_year": 2016, "years_behind_latest": 7},
    ),
    Fault(
        "gap_years",
        drop(where(LEIYANG, c.CO2) & pl.col(c.YEAR).is_in([2010, 2011])),
        "history.gaps",
        "warn",
        LEIYANG,
        {c.INDICATOR: c.CO2, "n_missing": 2, "missing_years": "2010,2011"},
    ),
    Fault(
        "unit_slip_x10000",
        scale(where(ZHUZHOU, c.GDP, 2015), 10_000),
        "jumps.year_on_year",
        "warn",
        ZHUZHOU,
        {c.INDICATOR: c.GDP, c.YEAR: 2015},
    ),
    Fault(
        "intensity_above_coal",
        scale(where(YUEYANG, c.CO2), 1.6),
        "cross.carbon_intensity",
        "fail",
        YUEYANG,
        {c.YEAR: 2005},
    ),
    Fault(
        "energy_in_10k_tce",
        scale(where(JIANGYONG, c.ENERGY), 100),
        "cross.carbon_intensity",
        "fail",
        JIANGYONG,
        {c.YEAR: 2005},
    ),
    Fault(
        "county_above_city",
        scale(where(PINGJIANG, c.GDP), 20),
        "cross.child_within_parent",
        "fail",
        PINGJIANG,
        {"parent_id": YUEYANG, c.INDICATOR: c.GDP},
    ),
]


def test_corpus_is_large_enough_and_covers_every_suite():
    assert len(CORPUS) >= 12
    assert {f.check.split(".")[0] for f in CORPUS} == {"rows", "history", "jumps", "cross"}
    assert {f.severity for f in CORPUS} == {"fail", "warn"}


def test_clean_panel_passes_every_check(panel, parents):
    report = validate_panel(panel, parents=parents)
    assert [ch.check for ch in report.checks if not ch.success] == []
    assert report.quarantined == {} and report.warned == {}
    assert report.metrics()["validation_regions_passed"] == 5


@pytest.mark.parametrize("fault", CORPUS, ids=[f.name for f in CORPUS])
def test_fault_is_caught_by_the_named_check(panel, parents, fault):
    broken = fault.breaks(panel)
    report = validate_panel(broken, parents=parents)

    failed = {ch.check: ch for ch in report.checks if not ch.success}
    assert fault.check in failed, f"{fault.name}: failed checks were {sorted(failed)}"
    check = failed[fault.check]
    assert check.severity == fault.severity

    offending = [r for r in check.offending_rows if r.get(c.REGION_ID) == fault.region]
    assert offending, f"{fault.name}: no offending row for {fault.region}: {check.offending_rows}"
    assert {k: offending[0][k] for k in fault.row} == fault.row

    if fault.region is None:
        assert check.regions == ()
    elif fault.severity == "fail":
        assert fault.check in " ".join(report.quarantined[fault.region])
        assert fault.region not in passing_rows(broken, report)[c.REGION_ID].to_list()
    else:
        assert fault.region not in report.quarantined
        assert fault.check in " ".join(report.warned[fault.region])
        assert fault.region in passing_rows(broken, report)[c.REGION_ID].to_list()
    # One fault spoils one region at most; the others go on untouched.
    others = set(report.quarantined) | set(report.warned)
    assert others <= {fault.region}
    assert len(report.passed()) == 5 - (fault.region is not None)


BATCH_ROWS = 100  # the default panel's 380 rows validated a region at a time


def _compared(report) -> tuple:
    checks = [
        (ch.check, ch.success, ch.unexpected_count, ch.regions, ch.error, sorted(map(repr, ch.offending_rows)))
        for ch in report.checks
    ]
    return report.quarantined, report.warned, report.gaps, checks


@pytest.mark.parametrize("fault", CORPUS, ids=lambda fault: fault.name)
def test_validating_in_region_batches_gives_the_same_report(panel, parents, fault, monkeypatch):
    """A large panel is validated a batch of regions at a time (gate.region_batches):
    the verdicts, counts, gaps and offending rows are those of the panel validated whole."""
    broken = fault.breaks(panel)
    whole = validate_panel(broken, parents=parents)

    labels = []
    run_suite = runner.run_suite
    monkeypatch.setattr(runner, "run_suite", lambda *args: labels.append(args[-1]) or run_suite(*args))
    batched = validate_panel(broken, GateSettings(max_batch_rows=BATCH_ROWS), parents=parents)
    assert len(labels) > 6 and "" not in labels  # every suite in batches indeed
    assert _compared(batched) == _compared(whole)


def test_data_docs_show_each_batch(panel, tmp_path):
    docs = tmp_path / "validation"
    validate_panel(panel, GateSettings(max_batch_rows=BATCH_ROWS), docs_dir=docs)
    index = (docs / "index.html").read_text(encoding="utf-8")
    for k in range(1, 6):
        assert len(list((docs / "validations" / f"peakwatch-rows-batch-{k}-of-5").rglob("*.html"))) == 1
        assert f"peakwatch-rows-batch-{k}-of-5" in index


def test_broken_schema_makes_the_batch_unusable(panel, tmp_path):
    docs = tmp_path / "validation"
    with pytest.raises(UnusableDataError, match=r"missing contract column.*'unit'"):
        validate_panel(panel.drop(c.UNIT), docs_dir=docs)
    assert (docs / "index.html").is_file()  # the analyst can still see why
    with pytest.raises(UnusableDataError, match=r"wrong types.*value"):
        validate_panel(panel.with_columns(pl.col(c.VALUE).cast(pl.String)))
    with pytest.raises(UnusableDataError, match="no rows"):
        validate_panel(panel.clear())


def test_nothing_left_to_forecast_is_unusable(panel):
    broken = panel.with_columns((pl.col(c.VALUE) * 100).alias(c.VALUE)).filter(pl.col(c.INDICATOR) == c.ENERGY)
    broken = pl.concat([broken, panel.filter(pl.col(c.INDICATOR) == c.CO2)])
    report = validate_panel(broken)
    assert len(report.quarantined) == 5
    with pytest.raises(UnusableDataError, match="nothing left to forecast"):
        passing_rows(broken, report)


def test_severity_override_turns_a_warning_into_a_quarantine(panel):
    from validation.settings import GateSettings

    broken = drop(where(LEIYANG, c.CO2) & pl.col(c.YEAR).is_in([2010]))(panel)
    report = validate_panel(broken, GateSettings(severities={"history.gaps": "fail"}))
    assert list(report.quarantined) == [LEIYANG]
    assert report.gaps[LEIYANG] == {c.CO2: (2010,), c.ENERGY: ()}


def test_data_docs_show_every_suite(panel, tmp_path):
    docs = tmp_path / "validation"
    report = validate_panel(scale(where(ZHUZHOU, c.GDP, 2015), 10_000)(panel), docs_dir=docs)
    index = (docs / "index.html").read_text(encoding="utf-8")
    for suite in ("peakwatch-rows", "peakwatch-history", "peakwatch-jumps", "peakwatch-intensity", "peakwatch-hierarchy"):
        assert suite in index
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == 6  # schema + five suites
    assert any("ratio" in p.read_text(encoding="utf-8") for p in pages)
    assert report.docs_dir == docs and not (tmp_path / ".validation.tmp").exists()
