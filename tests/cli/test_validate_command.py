"""`peakwatch validate` and the `validation:` config block."""

import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from peakwatch import cli
from peakwatch import contract as c
from peakwatch.config import DEFAULT_CONFIG, ConfigError, load_config
from peakwatch.reporting.console import cells_at_fault
from peakwatch.results.summary import ValidationSummary

PANEL_CSV = DEFAULT_CONFIG.parent.parent / "data" / "default_panel.csv"


def write_config(tmp_path, **validation) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["validation"] = {**raw.get("validation", {}), **validation}
    raw["sources"][0]["path"] = str(PANEL_CSV)
    raw["artifacts_dir"] = str(tmp_path / "artifacts")
    shutil.copy(DEFAULT_CONFIG.parent / "regions.yaml", tmp_path / "regions.yaml")
    shutil.copytree(DEFAULT_CONFIG.parent / "scenarios", tmp_path / "scenarios")
    path = tmp_path / "peakwatch.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_validation_block_is_parsed_into_the_gate_settings(tmp_path):
    config = load_config(
        write_config(tmp_path, max_jump_ratio=5.0, severities={"history.recent": "warn"}, max_batch_rows=1000)
    )
    settings = config.validation.settings()
    assert settings.max_jump_ratio == 5.0 and settings.severities == {"history.recent": "warn"}
    assert settings.max_batch_rows == 1000
    assert settings.max_carbon_intensity == 3.0
    assert config.regions.parents()["hunan.yueyang.pingjiang"] == "hunan.yueyang"


@pytest.mark.parametrize(
    "block, message",
    [
        ({"severities": {"history.nonsense": "warn"}}, "unknown check.*history.nonsense"),
        ({"severities": {"history.gaps": "maybe"}}, "severities"),
        ({"severities": {"schema.columns": "warn"}}, r"\['schema.columns'\] cannot be changed: a broken schema"),
        ({"min_observed_years": 5}, "validation.min_observed_years \\(5\\) is below forecast.min_observed_years"),
        ({"min_carbon_intensity": 4.0}, "min_carbon_intensity must be below"),
        ({"max_jump_ratio": 0.5}, "max_jump_ratio"),
        ({"max_batch_rows": 0}, "max_batch_rows"),
    ],
)
def test_bad_validation_block_is_a_config_error(tmp_path, block, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path, **block))


def test_validate_prints_verdicts_per_region(tmp_path, capsys):
    panel = pl.read_csv(PANEL_CSV)
    slip = (pl.col(c.REGION_ID) == "hunan.zhuzhou") & (pl.col(c.INDICATOR) == c.GDP) & (pl.col(c.YEAR) == 2015)
    broken = panel.with_columns(pl.when(slip).then(pl.col(c.VALUE) * 10_000).otherwise(pl.col(c.VALUE)).alias(c.VALUE))
    broken = broken.filter(~((pl.col(c.REGION_ID) == "hunan.yongzhou.jiangyong") & (pl.col(c.YEAR) < 2019)))
    data = tmp_path / "broken.csv"
    broken.write_csv(data)
    docs = tmp_path / "docs"

    code = cli.main(["validate", "--config", str(write_config(tmp_path)), "--docs-dir", str(docs), str(data)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "5 region(s) checked" in out and "3 passed, 1 warned, 1 quarantined" in out
    quarantined = out.split("QUARANTINED (not forecast):")[1].split("WARNED")[0]
    assert "hunan.yongzhou.jiangyong" in quarantined and "history.min_observed_years [fail]" in quarantined
    warned = out.split("WARNED (forecast; check the warnings):")[1].split("PASSED")[0]
    assert "hunan.zhuzhou" in warned and "jumps.year_on_year [warn]" in warned
    assert "previous_year=2014, year=2015" in warned  # the offending pair of years
    assert f"Data Docs: {docs / 'index.html'}" in out and (docs / "index.html").is_file()


def test_validate_defaults_to_the_config_sources(tmp_path, capsys):
    config = write_config(tmp_path)
    code = cli.main(["validate", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK and "5 passed, 0 warned, 0 quarantined" in out
    assert list((tmp_path / "artifacts" / "validate").glob("*/validation/index.html"))


def test_validate_says_why_data_are_unusable(tmp_path, capsys):
    data = tmp_path / "no_unit.csv"
    pl.read_csv(PANEL_CSV).drop(c.UNIT).write_csv(data)
    code = cli.main(["validate", "--config", str(write_config(tmp_path)), "--no-docs", str(data)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert "unit" in err and str(data) in err


def test_a_year_1850_or_a_zero_quarantines_the_region_instead_of_failing(tmp_path, capsys):
    """The reader rejected year 1850 for the whole file (its own 1900-2100
    range); the gate's min_year is the one rule, and it quarantines."""
    panel = pl.read_csv(PANEL_CSV)
    zhuzhou = (pl.col(c.REGION_ID) == "hunan.zhuzhou") & (pl.col(c.INDICATOR) == c.CO2)
    old = panel.filter(zhuzhou & (pl.col(c.YEAR) == 2010)).with_columns(pl.lit(1850, dtype=pl.Int64).alias(c.YEAR))
    zero = pl.col(c.REGION_ID) == "hunan.hengyang.leiyang"
    broken = pl.concat([panel, old]).with_columns(
        pl.when(zero & (pl.col(c.INDICATOR) == c.CO2) & (pl.col(c.YEAR) == 2012)).then(0.0).otherwise(pl.col(c.VALUE)).alias(c.VALUE)
    )
    data = tmp_path / "broken.csv"
    broken.write_csv(data)

    code = cli.main(["validate", "--config", str(write_config(tmp_path)), "--no-docs", str(data)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK and "3 passed, 0 warned, 2 quarantined" in out
    assert "rows.year_range [fail]" in out and "year=1850" in out
    assert "rows.positive [fail]" in out and "year=2012, indicator=co2_emissions, value=0," in out


def test_the_run_console_names_indicator_and_years_of_a_failed_check():
    validation = {"checks": [{"check": "rows.positive", "expectation": "expect_column_values_to_be_between", "offending_rows": [
        {"region_id": "hunan.zhuzhou", "indicator": "co2_emissions", "year": 2013},
        {"region_id": "hunan.zhuzhou", "indicator": "co2_emissions", "year": 2012},
        {"region_id": "hunan.yueyang", "indicator": "gdp", "year": 2012},
    ]}]}
    validation = ValidationSummary.from_json(validation)
    label = "rows.positive (expect_column_values_to_be_between)"
    assert cells_at_fault(validation, "hunan.zhuzhou", label) == f"{label} [co2_emissions 2012, 2013]"
    assert cells_at_fault(validation, "hunan.zhuzhou", "other (x)") == "other (x)"
