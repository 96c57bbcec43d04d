"""`peakwatch evaluate` wiring: parser, config validation, table and goals text."""

import pytest

from flows.cli import build_parser
from flows.config import ConfigError, ForecastConfig
from flows.evaluate import format_goals, format_rows
from forecasting.evaluation import AUTOETS, SELECTED, EvaluationRow


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
