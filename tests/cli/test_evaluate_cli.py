"""`peakwatch evaluate` wiring: parser, config validation, table and goals text."""

import pytest

from forecasting.evaluation import AUTOETS, SELECTED, EvaluationRow
from peakwatch.cli import build_parser
from peakwatch.config import ConfigError, ForecastConfig
from peakwatch.evaluate import format_goals, format_rows


def test_evaluate_options_parse():
    args = build_parser().parse_args(["evaluate", "--ceads", "x.xlsx", "--limit", "3", "--no-autoets"])
    assert (str(args.ceads), args.limit, args.no_autoets, args.bench) == ("x.xlsx", 3, True, False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--ceads", "x.xlsx", "--config", "y.yaml"])


def test_unknown_candidate_model_is_a_config_error():
    assert ForecastConfig(candidates=["ses_log"]).settings().candidates == ("ses_log",)
    with pytest.raises(ValueError, match="unknown model.*prophet"):
        ForecastConfig(candidates=["prophet"])


@pytest.mark.parametrize("year", [2050, 2070])
def test_a_horizon_other_than_2060_is_a_config_error(year):
    """Censored paths are '>2060' throughout: at 2070 they sorted before real 2062-2070 peaks."""
    assert ForecastConfig(horizon_year=2060).settings().horizon_year == 2060
    with pytest.raises(ValueError, match=rf"horizon_year\n.*only 2060 is supported \(got {year}\)"):
        ForecastConfig(horizon_year=year)


def test_goals_say_met_or_missed_against_the_references():
    rows = [
        EvaluationRow(SELECTED, 10, 1.0, 10.0, 0.6, 0.8, 50),
        EvaluationRow("rw_drift_log", 10, 1.5, 12.0, 0.7, 0.9, 50),
        EvaluationRow(AUTOETS, 10, 0.9, 9.0, 0.8, 0.95, 50),
    ]
    goals = format_goals(rows)
    assert "1.000 vs 1.500 -> met" in goals
    assert "1.000 vs 0.900 -> MISSED" in goals
    assert "60.0% -> MISSED" in goals
    table = format_rows(rows)
    assert table.splitlines()[2].startswith(SELECTED) and "60.0%" in table


@pytest.fixture(scope="module")
def panel():
    from peakwatch.config import DEFAULT_CONFIG, load_config
    from peakwatch.evaluate import load_config_panel

    return load_config_panel(load_config(DEFAULT_CONFIG))


def _cut(panel, keep_years: int, region: str | None = None):
    """The panel with only its last ``keep_years`` years (of ``region`` alone, when given)."""
    import polars as pl

    recent = pl.col("year") > pl.col("year").max() - keep_years
    return panel.filter(recent | (pl.col("region_id") != region) if region else recent)


@pytest.mark.parametrize("limit", ["0", "-2", "x"])
def test_a_limit_below_one_is_refused(limit, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--limit", limit])
    assert "--limit" in capsys.readouterr().err


def test_the_header_says_how_many_series_qualify_and_which_were_evaluated(panel):
    """--limit 2 evaluates the first 2 series that qualify, and the header says
    that 2 is the limit, not the number that qualify."""
    from peakwatch.evaluate import describe_evaluated, evaluate_panel
    from forecasting.series import ForecastSettings, split_series

    short = _cut(panel, 8, "hunan.hengyang.leiyang")  # its two series have too few years for the hold-out
    n_series = len(split_series(short, {}))
    fast = ForecastSettings(n_paths=50, backtest_paths=20, candidates=("rw_drift_log", "ses_log"))
    result = evaluate_panel(short, fast, limit=2, with_autoets=False)
    assert (result.n_evaluated, result.n_eligible, result.n_series) == (2, n_series - 2, n_series)
    assert {row.n_series for row in result.rows} == {2}
    assert describe_evaluated(result) == (
        f"{n_series - 2} of {n_series} series with >= 10 observed years, the first 2 evaluated (--limit)"
    )
    whole = evaluate_panel(short, fast, with_autoets=False)
    assert describe_evaluated(whole) == f"{n_series - 2} of {n_series} series with >= 10 observed years"


def test_the_benchmark_takes_the_longest_fully_observed_series(panel):
    """The shipped panel has 19 years: benchmarked as 19, not refused for lacking 20."""
    from peakwatch.evaluate import bench_series
    from forecasting.series import ForecastSettings

    n_years = panel["year"].n_unique()
    series = bench_series(panel, ForecastSettings())
    assert len(series.values) == min(n_years, 20) and not any(v != v for v in series.values)


def test_a_panel_too_short_to_benchmark_points_to_ceads(panel, monkeypatch, capsys):
    from peakwatch import cli, evaluate

    monkeypatch.setattr(evaluate, "load_config_panel", lambda config: _cut(panel, 8))
    assert cli.main(["evaluate", "--bench"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "no series with 10 consecutive observed years to benchmark (the longest has 8)" in err
    assert "--ceads FILE" in err and "Traceback" not in err
