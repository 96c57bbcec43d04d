"""The run report: one self-contained HTML page per run (inline CSS, charts as
base64 PNG data URIs, no script, nothing fetched), built from the run summary
and the run's forecasts. Jinja's autoescape escapes every string from data.
"""

import base64
import io
from collections.abc import Iterator, Mapping

import jinja2

from forecasting.peaks import format_peak_year
from forecasting.series import SeriesForecast
from peakwatch.reporting import charts
from peakwatch.reporting.scenario_table import format_cut, row_humps
from peakwatch.results.numbers import format_p, significant, significant_pair
from peakwatch.results.ranking import RankedRow, most_at_risk, quarantined_rows, rank_by_risk
from peakwatch.results.scenarios import row_scenario, scenario_groups, solver_probability
from peakwatch.results.series import DEFAULT_SCENARIO, SeriesRow
from peakwatch.results.summary import RunSummary
from peakwatch.results.words import describe_humps

TEMPLATE = "report.html.j2"


def headline_rows(summary: RunSummary, names: dict[str, tuple[str, str]]) -> list:
    """One row per region x indicator, riskiest first, then one per region quarantined by validation."""
    return rank_by_risk(summary) + quarantined_rows(summary, names)


def scenario_table(summary: RunSummary) -> dict | None:
    """The report's scenario table, as `peakwatch run` prints it: per region and
    indicator with scenario rows, the statistical forecast, then each scenario;
    None when the run has no scenarios."""
    if not summary.scenarios:
        return None
    statistical = [r for r in summary.series if (r.scenario or DEFAULT_SCENARIO) == DEFAULT_SCENARIO]
    rows = [
        # the cut column's text is the console table's, close-call mark included
        {"row": row, "scenario": row_scenario(row), "first": i == 0, "span": len(group), "cut": format_cut(row)}
        for _key, group in scenario_groups(statistical, summary.scenarios)
        for i, row in enumerate(group)
    ]
    return {"rows": rows, "probability": solver_probability(summary.scenarios)}


def chart_uri(forecast: SeriesForecast, title: str, scenarios: dict[str, SeriesForecast]) -> str:
    buffer = io.BytesIO()
    charts.plot_fan_chart(forecast, buffer, title, scenarios)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def region_sections(
    summary: RunSummary,
    forecasts: Mapping[tuple[str, str, str], SeriesForecast],
    order: list[str],
    charted: set[tuple[str, str]] | None = None,
) -> list[dict]:
    """Per region (in ``order``): its summary rows and one chart per indicator (of
    the ``charted`` series when given) that has a forecast in ``forecasts`` (by
    summary.row_key), the statistical forecast drawn with the other scenarios'
    median paths."""
    series: dict[tuple[str, str], dict[str, SeriesRow]] = {}
    for row in summary.series:
        series.setdefault((row.region_id, row.indicator), {})[row.scenario or DEFAULT_SCENARIO] = row
    sections = {region_id: {"region_id": region_id, "rows": [], "charts": []} for region_id in order}
    for (region_id, indicator), by_scenario in sorted(series.items()):
        shown = DEFAULT_SCENARIO if DEFAULT_SCENARIO in by_scenario else next(iter(by_scenario))
        row = by_scenario[shown]
        section = sections.setdefault(region_id, {"region_id": region_id, "rows": [], "charts": []})
        section.update(name_zh=row.name_zh, name_en=row.name_en)
        section["rows"].extend(by_scenario.values())
        if charted is not None and (region_id, indicator) not in charted:
            continue
        scenarios = {name: forecasts[key] for name in by_scenario if (key := (region_id, indicator, name)) in forecasts}
        forecast = scenarios.pop(shown, None)  # drawn with the other scenarios' median paths
        if forecast and (forecast.history or forecast.fan is not None):
            label = charts.INDICATOR_LABELS.get(indicator, indicator)
            title = " · ".join(filter(None, (row.name_zh, row.name_en, label, forecast.model)))
            section["charts"].append(
                {"indicator": indicator, "title": title, "uri": chart_uri(forecast, title, scenarios), "scenarios": sorted(scenarios)}
            )
    return [s for s in sections.values() if s["rows"]]


def peak_words(row) -> str | None:
    """A two-humped peak-year distribution in words, or None: the median and band say it."""
    return describe_humps(row_humps(row))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("peakwatch.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["peak_year"] = lambda y: "–" if y is None else format_peak_year(y)
    env.filters["indicator"] = lambda i: charts.INDICATOR_LABELS.get(i, i)
    env.filters["p_peak"] = format_p
    env.filters["significant"] = significant
    env.globals["peak_words"] = peak_words
    env.globals["significant_pair"] = significant_pair  # {{ p | p_peak(threshold) }}
    return env


def render_report(
    summary: RunSummary,
    forecasts: Mapping[tuple[str, str, str], SeriesForecast],
    names: dict[str, tuple[str, str]] | None = None,
    max_charts: int | None = None,
) -> Iterator[str]:
    """The report page, in pieces as the template renders them (for
    ``write_atomic``: whole, a 10 000-series page was ~30 MB of text held twice,
    joined and then encoded, at the run's peak); ``forecasts``: the series'
    forecasts by summary.row_key, needed for the charted series only (a series
    without one gets no chart); fan charts for at most ``max_charts`` series,
    the riskiest (None: all), drawn before the first piece."""
    ranked: list[RankedRow] = rank_by_risk(summary)
    headline = ranked + quarantined_rows(summary, names or {})
    order = list(dict.fromkeys(r.region_id for r in headline))
    charted = most_at_risk(ranked, max_charts)
    limited = charted is not None and len(charted) < len(ranked)
    regions = region_sections(summary, forecasts, order, charted)
    return _environment().get_template(TEMPLATE).generate(
        summary=summary,
        headline=headline,
        regions=regions,
        # drawn only when the forecasts given hold scenario forecasts (a run's summary rows are statistical)
        scenario_paths=any(chart["scenarios"] for region in regions for chart in region["charts"]),
        charts_limit=max_charts if limited else None,
        scenarios=scenario_table(summary),
        calibration=[c for c in summary.calibration or () if c.series] or None,
        validation=summary.validation,
        failed_checks=summary.validation.failed_checks,
    )
