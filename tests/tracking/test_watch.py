"""The watched series: readable metric keys that MLflow takes, the order and
cap of the watched set, and which series get child runs."""

from mlflow.utils.validation import validate_param_and_metric_name

from peakwatch.results.series import SeriesRow
from peakwatch.tracking import watch


def row(region_id, indicator="co2_emissions", scenario="statistical", p=0.4, median=2031.0, error=None):
    peaks = {} if error else dict(
        target_year=2030, peak_year_median=median, peak_year_p10=median - 3, peak_year_p90=median + 5, p_peak_by_target=p
    )
    return SeriesRow(region_id=region_id, indicator=indicator, scenario=scenario, error=error, **peaks)


def test_region_labels_are_the_last_part_of_the_id_unless_two_share_it():
    labels = watch.region_labels(["hunan.yueyang", "hunan.yueyang.pingjiang", "hubei.yueyang", "hunan.zhuzhou"])
    assert labels == {
        "hunan.yueyang": "hunan.yueyang",
        "hunan.yueyang.pingjiang": "pingjiang",
        "hubei.yueyang": "hubei.yueyang",
        "hunan.zhuzhou": "zhuzhou",
    }


def test_metric_keys_read_like_yueyang_co2_peak_year_and_mlflow_takes_them():
    watched, left_out = watch.watched_series(
        [row("hunan.yueyang"), row("hunan.yueyang", "energy_consumption"), row("ceads.安徽安庆"), row("x.a:b?c", "gdp")],
        ["hunan.yueyang", "ceads.安徽安庆", "x.a:b?c"],
        cap=10,
    )
    metrics = watch.watched_metrics(watched)
    assert left_out == 0
    assert metrics["yueyang.co2.peak_year"] == 2031.0
    assert metrics["yueyang.co2.peak_year_p10"] == 2028.0 and metrics["yueyang.co2.peak_year_p90"] == 2036.0
    assert metrics["yueyang.co2.p_peak_by_target"] == 0.4
    assert metrics["yueyang.energy.peak_year"] == 2031.0
    assert "安徽安庆.co2.peak_year" in metrics and "a_b_c.gdp.peak_year" in metrics
    assert len(metrics) == 4 * 4
    assert all(validate_param_and_metric_name(key) for key in metrics)


def test_watched_series_follow_the_watch_order_skip_scenarios_and_are_capped():
    rows = [
        row("hunan.b", "energy_consumption"), row("hunan.b"), row("hunan.a"), row("hunan.c"),
        row("hunan.a", scenario="plan"),
    ]
    watched, left_out = watch.watched_series(rows, ["hunan.b", "hunan.a", "hunan.z"], cap=2)
    assert [(r.region_id, r.indicator) for r in watched] == [("hunan.b", "co2_emissions"), ("hunan.b", "energy_consumption")]
    assert left_out == 1  # hunan.a's statistical row; hunan.z has no series, hunan.c is not watched


def test_a_series_that_could_not_be_forecast_has_no_metrics():
    watched, _ = watch.watched_series([row("hunan.a", error="too short")], ["hunan.a"], cap=5)
    assert watch.watched_metrics(watched) == {}


def test_child_runs_for_every_series_of_a_small_panel_else_the_watched_and_charted():
    rows = [row(f"r.{i}") for i in range(6)] + [row("r.0", scenario="plan")]
    watched = rows[:2]
    charted = {("r.5", "co2_emissions")}
    assert watch.child_run_series(rows, watched, charted, all_up_to=6) is None  # 6 statistical series
    assert watch.child_run_series(rows, watched, charted, all_up_to=5) == {
        ("r.0", "co2_emissions"), ("r.1", "co2_emissions"), ("r.5", "co2_emissions")
    }
    assert watch.child_run_series(rows, watched, None, all_up_to=0) is None  # every series is charted
