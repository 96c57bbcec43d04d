"""`peakwatch evaluate` wiring: parser, config validation, tables, goals, outputs."""

import numpy as np
import pytest

from forecasting.evaluation import BASE_RATE, ENGINE, NAIVE, RANDOM_WALK, EventCase, EventScores, HorizonRow
from peakwatch.cli import parse
from peakwatch.config import ForecastConfig
from peakwatch.evaluate import PanelEvaluation, format_events, format_goals, format_holdout, write_outputs


def test_evaluate_options_parse():
    args = parse(["evaluate", "--ceads", "x.xlsx", "--limit", "3", "--no-autoets",
                                      "--cuts", "2010", "2012", "--output", "out"])
    assert (str(args.ceads), args.limit, args.no_autoets, args.bench, args.cuts, str(args.output)) == (
        "x.xlsx", 3, True, False, [2010, 2012], "out")
    with pytest.raises(SystemExit):
        parse(["evaluate", "--ceads", "x.xlsx", "--config", "y.yaml"])


def test_an_unknown_combination_is_a_config_error():
    assert ForecastConfig(combine="inverse_mse").settings().combine == "inverse_mse"
    with pytest.raises(ValueError, match="combine"):
        ForecastConfig(combine="best")


@pytest.mark.parametrize("year", [2050, 2070])
def test_a_horizon_other_than_2060_is_a_config_error(year):
    """Censored paths are '>2060' throughout: at 2070 they sorted before real 2062-2070 peaks."""
    assert ForecastConfig(horizon_year=2060).settings().horizon_year == 2060
    with pytest.raises(ValueError, match=rf"horizon_year\n.*only 2060 is supported \(got {year}\)"):
        ForecastConfig(horizon_year=year)


@pytest.mark.parametrize("limit", ["0", "-2", "x"])
def test_a_limit_below_one_is_refused(limit, capsys):
    with pytest.raises(SystemExit):
        parse(["evaluate", "--limit", limit])
    assert "--limit" in capsys.readouterr().err


def made_up_result() -> PanelEvaluation:
    cases = tuple(
        EventCase(f"r{i}", "co2_emissions", {ENGINE: p, RANDOM_WALK: 0.01, BASE_RATE: 0.3}, happened)
        for i, (p, happened) in enumerate([(0.1, False)] * 18 + [(0.1, True)] * 2 + [(0.7, True)] * 6 + [(0.7, False)] * 4)
    )
    holdout = [
        HorizonRow(0, 100, {ENGINE: 1.35, NAIVE: 1.5, RANDOM_WALK: 3.0}, 0.80, 0.95),
        HorizonRow(1, 20, {ENGINE: 0.7, NAIVE: 0.7, RANDOM_WALK: 1.0}, 0.85, 0.95),
        HorizonRow(2, 20, {ENGINE: 1.7, NAIVE: 1.8, RANDOM_WALK: 2.0}, 0.65, 0.95),
    ]
    return PanelEvaluation(holdout, 20, [EventScores(2012, 7, cases, 0.3)], 30, 3, 2019)


def test_goals_say_met_or_missed_with_the_figures():
    goals = format_goals(made_up_result()).splitlines()
    assert goals[0] == "goal median MASE <= 1.40 (naive 1.500): 1.350 -> met"
    assert goals[1] == "goal pooled 80 % coverage in [76%, 84%]: 80.0% -> met"
    assert goals[2] == "goal 80 % coverage >= 70% at every horizon: lowest 65.0% at 2 -> MISSED"
    # Brier: 20 cases at 0.1 (2 happened), 10 at 0.7 (6 happened)
    brier = (18 * 0.01 + 2 * 0.81 + 6 * 0.09 + 4 * 0.49) / 30
    assert goals[3].startswith(f"goal cut 2012: Brier <= 0.18 ({brier:.4f})") and goals[3].endswith("-> met")


def test_tables_show_every_forecaster_the_bins_and_the_differences():
    result = made_up_result()
    holdout = format_holdout(result.holdout)
    assert NAIVE in holdout and "85.0%" in holdout and holdout.splitlines()[3].split()[0] == "all"
    events = format_events(result.events)
    assert "cut 2012, k = 7: 30 series, event rate 26.7%" in events
    assert f"{BASE_RATE} = 0.30" in events
    assert "0.0-0.2   0.100  0.100    20" in events  # bin, mean predicted, observed, cases
    assert "0.6-0.8   0.700  0.600    10" in events


def test_outputs_are_csv_tables_and_a_reliability_diagram(tmp_path):
    import polars as pl

    written = write_outputs(made_up_result(), tmp_path)
    assert [p.name for p in written] == ["evaluation_holdout.csv", "evaluation_events.csv",
                                          "evaluation_reliability.csv", "reliability.png"]
    events = pl.read_csv(tmp_path / "evaluation_events.csv")
    assert set(events["forecaster"]) == {ENGINE, RANDOM_WALK, BASE_RATE}
    assert pl.read_csv(tmp_path / "evaluation_reliability.csv")["count"].to_list() == [20, 10]
    assert (tmp_path / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def panel():
    from peakwatch.config import DEFAULT_CONFIG, load_config
    from peakwatch.evaluate import load_config_panel

    return load_config_panel(load_config(DEFAULT_CONFIG))


def test_the_shipped_panel_evaluates_end_to_end(panel):
    """Both protocols on the shipped panel; every cut's P comes from the engine's own paths."""
    from peakwatch.evaluate import evaluate_panel
    from forecasting.series import ForecastSettings

    result = evaluate_panel(panel, ForecastSettings(n_paths=200), cuts=(2015,), with_autoets=False)
    assert result.n_series == 10 and result.n_holdout == 10
    assert [s.cut for s in result.events] == [2015] and result.events[0].n == 10
    p = result.events[0].probabilities(ENGINE)
    assert np.all((p > 0) & (p < 1))  # never exactly 0 or 1 from finitely many paths


def test_the_benchmark_takes_the_longest_fully_observed_series(panel):
    """The shipped panel has 19 years: benchmarked as 19, not refused for lacking 20."""
    from peakwatch.evaluate import bench_series

    n_years = panel["year"].n_unique()
    series, whole = bench_series(panel)
    assert len(series.values) == min(n_years, 20) and not any(v != v for v in series.values)
    assert len(whole) == 10


def test_a_panel_too_short_to_benchmark_points_to_ceads(panel, monkeypatch, capsys):
    from peakwatch import cli, evaluate

    monkeypatch.setattr(evaluate, "load_config_panel", lambda config: _cut(panel, 8))
    assert cli.main(["evaluate", "--bench"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "no series with 10 consecutive observed years to benchmark (the longest has 8)" in err
    assert "--ceads FILE" in err and "Traceback" not in err


def _cut(panel, keep_years: int):
    """The panel with only its last ``keep_years`` years."""
    import polars as pl

    return panel.filter(pl.col("year") > pl.col("year").max() - keep_years)
