"""The run report page (peakwatch/reporting/report.py) and the table round trip that lets
`peakwatch report` rebuild a past run's forecasts from MLflow artifacts."""

import base64
import dataclasses
import html
import re
import warnings

import numpy as np
import pytest

from flows.fit import SeriesFiles, series_records
from forecasting.series import ForecastSettings, SeriesInput, forecast_series
from peakwatch.config import DEFAULT_CONFIG, load_config
from peakwatch.reporting import charts as plots, report
from peakwatch.results import ranking, tables
from peakwatch.results.rows import series_row as typed_series_row
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow
from peakwatch.results.summary import RunSummary
from peakwatch.store import series as series_files
from peakwatch.tracking import layout as tracking


def series_row(forecast, registry) -> dict:
    """A summary row as summary.json holds it."""
    return typed_series_row(forecast, registry.names()).to_json()


def typed(run_summary: dict) -> RunSummary:
    return RunSummary.from_json(run_summary)


def make_forecast(region_id: str, growth: float, indicator: str = "co2_emissions"):
    years = np.arange(2005, 2024)
    values = 10 * (1 + growth) ** np.arange(len(years))
    values[3] = np.nan  # 2008 missing: a filled year
    return forecast_series(SeriesInput(region_id, indicator, "MtCO2", years, values, 2030), ForecastSettings(n_paths=200))


def by_key(forecasts, scenario: str = DEFAULT_SCENARIO) -> dict:
    """Forecasts as render_report takes them: by their row's key."""
    return {(f.region_id, f.indicator, scenario): f for f in forecasts}


@pytest.fixture(scope="module")
def registry():
    return load_config(DEFAULT_CONFIG).regions


@pytest.fixture(scope="module")
def run(registry):
    """A summary of three series (one rising fast, one flat, one failed) and a quarantined region."""
    forecasts = [
        make_forecast("hunan.zhuzhou", -0.01),
        make_forecast("hunan.yueyang", 0.05),
        dataclasses.replace(make_forecast("hunan.hengyang.leiyang", 0.0), peaks=None, fan=None, error="too few years"),
    ]
    rows = [series_row(f, registry) for f in forecasts]
    run_summary = {
        "run_id": "run-2", "run_date": "2026-11-23T12:00:00+00:00", "experiment": "peakwatch-monthly",
        "code_version": "0.1.0", "config_hash": "abc" * 10, "previous_run_id": "run-1",
        "data": [{"source": "panel", "location": "x.csv", "sha256": "f" * 64, "rows": 100}],
        "validation": {
            "n_rows": 100, "validation_regions_checked": 4, "validation_regions_passed": 3,
            "validation_regions_quarantined": 1, "validation_regions_warned": 0, "validation_checks_failed": 1,
            "quarantined": {"hunan.yongzhou.jiangyong": ["negative values"]}, "warned": {},
            "checks": [{"expectation": "negative values", "column": "value", "severity": "fail", "success": False,
                        "unexpected_count": 2, "regions": ["hunan.yongzhou.jiangyong"], "offending_rows": []}],
        },
        "series": rows,
        "warnings": [{"region_id": "hunan.yueyang", "indicator": "co2_emissions"}],
        "changes": [{"region_id": "hunan.yueyang", "indicator": "co2_emissions", "scenario": "statistical",
                     "change": "crossed to late", "peak_year_median_old": 2029.0, "peak_year_median_new": 2041.0,
                     "p_peak_by_target_old": 0.6, "p_peak_by_target_new": 0.2, "causes": ["data now ends 2023 (was 2022)"]}],
    }
    return run_summary, forecasts


def test_headline_puts_the_warned_region_first_then_failed_then_quarantined(run, registry):
    run_summary, _ = run
    names = registry.names()
    rows = report.headline_rows(typed(run_summary), names)
    assert [r.region_id for r in rows] == [
        "hunan.yueyang", "hunan.zhuzhou", "hunan.hengyang.leiyang", "hunan.yongzhou.jiangyong"
    ]
    assert rows[0].warned and not rows[1].warned
    assert rows[-1].name_zh == "江永县" and rows[-1].quarantined == ["negative values"]


def test_the_ranking_reads_the_summary_rows_rather_than_copying_them(run):
    run_summary, _ = run
    run_summary = typed(run_summary)
    ranked = ranking.rank_by_risk(run_summary)
    series = run_summary.series
    assert sorted(id(r.row) for r in ranked) == sorted(id(row) for row in series)
    first = ranked[0]
    assert (first.warned, first.threshold) == (True, None)
    assert all(getattr(first, name) == getattr(first.row, name) for name in SeriesRow.__dataclass_fields__)
    with pytest.raises(AttributeError):
        first.no_such_field


def test_report_holds_every_section_and_is_self_contained(run, registry):
    run_summary, forecasts = run
    names = registry.names()
    html = "".join(report.render_report(typed(run_summary), by_key(forecasts), names))
    # Headline rows, Chinese and pinyin names, the change and its cause, the quarantine reason.
    for text in ("岳阳市", "Yueyang", "株洲市", "江永县", "crossed to late", "data now ends 2023 (was 2022)",
                 "negative values", "too few years", "2029 → 2041"):
        assert text in html
    assert len(re.findall(r'<tr class="late" data-region="hunan.yueyang"', html)) == 1
    # One chart per series (the failed one still shows its history), each a decodable PNG data URI.
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(uris) == 3
    assert all(base64.b64decode(u).startswith(b"\x89PNG") for u in uris)
    # Nothing fetched, nothing executed.
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_strings_from_data_are_escaped(run):
    run_summary, forecasts = run
    hostile = dict(run_summary)
    hostile["series"] = [
        {**row, "name_zh": "<script>alert(1)</script>", "name_en": '"><img src=x onerror=alert(2)> $\\frac{1}{'}
        for row in run_summary["series"]
    ]
    hostile["validation"] = {**run_summary["validation"], "quarantined": {"<b>evil</b>": ["<i>check</i>"]}}
    html = "".join(report.render_report(typed(hostile), by_key(forecasts)))  # a "$" in a chart title must not break mathtext either
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<b>evil" not in html and "&lt;b&gt;evil&lt;/b&gt;" in html


def test_scenario_median_paths_are_drawn_on_the_statistical_chart(run):
    _, forecasts = run
    base = forecasts[0]
    plain = report.chart_uri(base, "t", {})
    with_scenario = report.chart_uri(base, "t", {"high-growth": make_forecast("hunan.zhuzhou", 0.04)})
    assert plain != with_scenario


def test_a_region_chart_is_drawn_once_with_every_scenario_median(run, registry):
    run_summary, forecasts = run
    statistical = forecasts[1]
    high = make_forecast("hunan.yueyang", 0.08)
    high_row = {**series_row(high, registry), "scenario": "high-growth"}
    with_scenario = {**run_summary, "series": [*run_summary["series"], high_row]}
    page = "".join(report.render_report(typed(with_scenario), by_key(forecasts) | by_key([high], "high-growth")))
    section = page[page.index('id="region-hunan.yueyang"'):]
    charts = re.findall(r'<img class="chart" alt="([^"]+)" src="([^"]+)"', section[: section.index("</section>")])
    assert len(charts) == 1
    title, uri = charts[0]
    assert uri == report.chart_uri(statistical, html.unescape(title), {"high-growth": high})
    assert uri != report.chart_uri(statistical, html.unescape(title), {})
    assert "other scenarios' median paths" in page  # said only where drawn


def test_series_without_a_forecast_keep_their_rows_but_get_no_chart(run):
    """What a 10 000-series run does: only the charted series' forecasts are rebuilt."""
    run_summary, forecasts = run
    page = "".join(report.render_report(typed(run_summary), by_key(forecasts[1:2])))
    titles = re.findall(r'<img class="chart" alt="([^"]+)"', page)
    assert len(titles) == 1 and "Yueyang" in titles[0]
    for region_id in ("hunan.zhuzhou", "hunan.yueyang", "hunan.hengyang.leiyang"):
        assert f'id="region-{region_id}"' in page


def test_summary_rows_and_forecast_tables_rebuild_the_forecast(run, registry):
    _, forecasts = run
    original = forecasts[0]
    row = series_row(original, registry)
    rebuilt = tables.forecast_from_table(SeriesRow.from_json(row), tables.forecast_table(original), tables.peak_years_table(original))
    np.testing.assert_array_equal(np.asarray(rebuilt.history), np.asarray(original.history))  # NaN where filled
    assert rebuilt.fan == original.fan
    assert rebuilt.peaks == original.peaks
    assert rebuilt.filled_years == original.filled_years == (2008,)
    # The same chart, so a regenerated report shows what the run showed.
    assert report.chart_uri(rebuilt, "t", {}) == report.chart_uri(original, "t", {})


def test_the_peak_year_distribution_is_in_the_series_table_not_the_row(run, registry):
    """10 000 rows held ~16 MB of distributions (38 years each) that only a
    charted series' fan chart reads."""
    _, forecasts = run
    original = forecasts[1]
    row = series_row(original, registry)
    assert "peak_year_distribution" not in row
    table = tables.peak_years_table(original)
    assert table["share"].sum() == pytest.approx(1.0)
    without = tables.forecast_from_table(SeriesRow.from_json(row), tables.forecast_table(original))
    assert without.peaks.peak_year_distribution == {} and without.peaks.peak_year_median == original.peaks.peak_year_median


def test_a_row_from_before_peak_years_csv_still_draws_its_distribution(run, registry):
    _, forecasts = run
    original = forecasts[1]
    distribution = {str(year): share for year, share in original.peaks.peak_year_distribution.items()}
    old_row = {**series_row(original, registry), "peak_year_distribution": distribution}
    rebuilt = tables.forecast_from_table(SeriesRow.from_json(old_row), tables.forecast_table(original))
    assert rebuilt.peaks == original.peaks


def test_chinese_titles_draw_without_missing_glyphs(run):
    _, forecasts = run
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.chart_uri(forecasts[0], "岳阳市 平江县 株洲市 江永县 耒阳市", {})
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


def test_fan_charts_are_limited_to_the_series_most_at_risk(run, registry):
    run_summary, forecasts = run
    html = "".join(report.render_report(typed(run_summary), by_key(forecasts), max_charts=1))
    titles = re.findall(r'<img class="chart" alt="([^"]+)"', html)
    assert len(titles) == 1 and "Yueyang" in titles[0]  # the warned series
    assert "tracking.max_fan_charts" in html
    assert "tracking.max_fan_charts" not in "".join(report.render_report(typed(run_summary), by_key(forecasts), max_charts=3))


def test_child_run_files_have_fan_charts_for_the_charted_series_only(run, tmp_path):
    _, forecasts = run
    records = series_records(forecasts, {}, tmp_path, charted={("hunan.yueyang", "co2_emissions")})
    charts = sorted(p.parent.name for p in tmp_path.glob("*/fan_chart.png"))
    assert charts == ["1"] and len(list(tmp_path.glob("*/forecast.csv"))) == 3 == len(records)


def test_series_files_written_as_partitions_arrive_match_the_records(run, tmp_path):
    """The monthly flow writes each partition's files and records during the fit,
    in arrival order, and draws the charts at the end from the summary rows and
    the files: each record points at its series' own files, and the chart is the
    one the fit's own forecast draws."""
    run_summary, forecasts = run
    files = SeriesFiles(tmp_path, "series")
    records = files.write(forecasts[2:], {}) + files.write(forecasts[:2], {})  # partitions arrive out of order
    arrived = forecasts[2:] + forecasts[:2]
    assert records == [tracking.series_record(f, {}, artifacts=r.artifacts) for f, r in zip(arrived, records)]
    for record, forecast in zip(records, arrived):
        table = (tmp_path / record.artifacts / series_files.FORECAST_CSV).read_text()
        assert table == tables.forecast_table(forecast).write_csv()
    assert not list(tmp_path.glob("series/*/fan_chart.png"))  # charts wait for the ranking
    files.draw_charts(typed(run_summary).series, charted={("hunan.yueyang", "co2_emissions")})
    charted = [r for r in records if (tmp_path / r.artifacts / series_files.FAN_CHART_PNG).exists()]
    assert [r.tags["region_id"] for r in charted] == ["hunan.yueyang"]
    # drawn from the summary row and the table read back: the same picture as from the fit's own forecast
    plots.plot_fan_chart(forecasts[1], tmp_path / "direct.png")
    assert (tmp_path / charted[0].artifacts / series_files.FAN_CHART_PNG).read_bytes() == (tmp_path / "direct.png").read_bytes()
    files.draw_charts(typed(run_summary).series, charted=None)  # every series, the failed one too (history only)
    assert len(list(tmp_path.glob("series/*/fan_chart.png"))) == 3


def test_series_files_refuse_a_series_twice_or_unwritten(run, tmp_path):
    run_summary, forecasts = run
    files = SeriesFiles(tmp_path)
    files.write(forecasts[:1], {})
    with pytest.raises(ValueError, match="hunan.zhuzhou/co2_emissions written twice"):
        files.write(forecasts[:1], {})
    with pytest.raises(ValueError, match="hunan.yueyang/co2_emissions has no files"):
        files.draw_charts(typed(run_summary).series, charted=None)


def test_peak_values_show_three_significant_figures(run):
    """A county's 0.600 (0.582-0.627) Mtce read '0.6 (0.6–0.6)' at one decimal."""
    run_summary, _ = run
    small = dict(run_summary)
    small["series"] = [
        {**row, "peak_value": 0.6, "peak_value_p10": 0.5816, "peak_value_p90": 0.62749} if row["region_id"] == "hunan.zhuzhou"
        else {**row, "peak_value": 25.265, "peak_value_p10": 24.04, "peak_value_p90": 1234.5}
        for row in run_summary["series"]
    ]
    html = "".join(report.render_report(typed(small), {}))
    assert "0.600 (0.582–0.627) MtCO2" in html
    assert "25.3 (24.0–1234) MtCO2" in html


def test_the_changes_table_shows_the_peak_value_before_and_after(run):
    run_summary, _ = run
    moved = {"region_id": "hunan.zhuzhou", "indicator": "energy_consumption", "scenario": "statistical",
             "change": "moved", "unit": "Mtce", "peak_year_median_old": 2041.0, "peak_year_median_new": 2041.0,
             "p_peak_by_target_old": 0.29, "p_peak_by_target_new": 0.29, "peak_value_old": 0.6,
             "peak_value_new": 0.612, "threshold": 0.5, "causes": []}
    html = "".join(report.render_report(typed({**run_summary, "changes": [moved]}), {}))
    table = html[html.index('id="changes-table"'):html.index("</table>", html.index('id="changes-table"'))]
    assert "<th>peak value</th>" in table and "0.600 → 0.612 Mtce" in table


def _scenario_rows(run_summary) -> list[dict]:
    """Scenario rows as the scenario engine writes them into summary['scenarios']."""
    zhuzhou = next(r for r in run_summary["series"] if r["region_id"] == "hunan.zhuzhou")
    fields = ("region_id", "name_zh", "name_en", "indicator", "unit", "target_year", "peak_year_median",
              "peak_year_p10", "peak_year_p90", "p_peak_by_target", "peak_value", "peak_value_p10", "peak_value_p90")
    base = {k: zhuzhou[k] for k in fields} | {"error": None, "drivers": {}, "events": [], "notes": []}
    cut = {"lever": "carbon_intensity_of_gdp", "probability": 0.8, "reachable": True, "extra_cut": 0.0254,
           "scenario_cut": 0.0262, "required_cut": 0.0509, "achieved_probability": 0.806}
    return [
        {**base, "scenario": "baseline", "peak_year_median": 2058.0, "p_peak_by_target": 0.0, "peak_value": 15.457, "what_it_takes": cut},
        {**base, "scenario": "efficiency_push", "peak_year_median": 2031.0, "p_peak_by_target": 0.481, "peak_value": 10.745},
        {**{k: base[k] for k in ("region_id", "name_zh", "name_en", "indicator", "unit")}, "scenario": "plan",
         "error": "driver gdp: no history", "drivers": {}, "events": [], "notes": []},
    ]


def test_the_report_lists_every_scenario_beside_the_statistical_forecast(run):
    run_summary, _ = run
    html = "".join(report.render_report(typed({**run_summary, "scenarios": _scenario_rows(run_summary)}), {}))
    table = html[html.index('id="scenario-table"'):html.index("</table>", html.index('id="scenario-table"'))]
    rows = re.findall(r'<tr data-region="([^"]+)" data-indicator="([^"]+)" data-scenario="([^"]+)">', table)
    assert rows == [("hunan.zhuzhou", "co2_emissions", s) for s in ("statistical", "baseline", "efficiency_push", "plan")]
    assert "what it takes for P ≥ 0.80" in table and "needs intensity −5.1 %/yr, 2.5 points more than the scenario" in table
    assert ">2058<" in table and "15.5 MtCO2" in table and "0.48" in table
    assert "not simulated: driver gdp: no history" in table


def test_without_scenario_forecasts_the_charts_claim_no_scenario_paths(run):
    run_summary, forecasts = run
    html = "".join(report.render_report(typed({**run_summary, "scenarios": _scenario_rows(run_summary)}), by_key(forecasts[:1])))
    assert "median paths" not in html.replace("the median path", "")
    assert "Scenarios table above" in html
    plain = "".join(report.render_report(typed(run_summary), {}))
    assert 'id="scenario-table"' not in plain and "Scenarios table" not in plain
