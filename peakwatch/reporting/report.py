"""The run report: one self-contained HTML page per run (inline CSS, charts as
base64 PNG data URIs, no script, nothing fetched), built from the run summary
and the run's forecasts. Jinja's autoescape escapes every string from data.
"""

import base64
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2

from peakwatch.reporting import plots, scenario_report
from peakwatch.results.probability import format_p
from peakwatch.results.sigfig import significant, significant_pair
from peakwatch.results.summary import DEFAULT_SCENARIO
from forecasting.peaks import format_peak_year
from forecasting.series import SeriesForecast

TEMPLATE = "report.html.j2"


def _scenario(row: dict) -> str:
    return row.get("scenario") or DEFAULT_SCENARIO


def _risk(row: Mapping[str, Any]) -> tuple:
    """Most at risk first: warned, then lowest P(peak <= target), then latest median
    peak year; series that could not be forecast after every forecast one."""
    if row.get("error"):
        return (2, 0.0, 0.0)
    return (0 if row["warned"] else 1, row["p_peak_by_target"], -row["peak_year_median"])


class RankedRow(Mapping[str, Any]):
    """A summary row with its ``warned`` flag and the ``threshold`` its warning
    compared P with (None: not warned, or a summary from before warnings kept
    it), read through rather than copied: a copy of every row was ~1 KB a
    series at the run's peak (the report)."""

    __slots__ = ("row", "warned", "threshold")

    def __init__(self, row: Mapping[str, Any], warned: bool, threshold: float | None = None):
        self.row = row
        self.warned = warned
        self.threshold = threshold

    def __getitem__(self, key: str) -> Any:
        if key in self.__slots__[1:]:
            return getattr(self, key)
        return self.row[key]

    def __iter__(self) -> Iterator[str]:
        yield from self.row
        yield from self.__slots__[1:]

    def __len__(self) -> int:
        return len(self.row) + 2


def rank_by_risk(summary: Mapping[str, Any]) -> list[RankedRow]:
    """The summary's rows of the statistical scenario, riskiest first, each with ``warned``."""
    warned = {(w["region_id"], w["indicator"]): w.get("threshold") for w in summary["warnings"]}
    rows = [
        RankedRow(row, (key := (row["region_id"], row["indicator"])) in warned, warned.get(key))
        for row in summary["series"]
        if _scenario(row) == DEFAULT_SCENARIO
    ]
    return sorted(rows, key=_risk)


def _most_at_risk(ranked: list[RankedRow], limit: int | None) -> set[tuple[str, str]] | None:
    return None if limit is None else {(r["region_id"], r["indicator"]) for r in ranked[:limit]}


def charted_series(summary: dict, limit: int | None) -> set[tuple[str, str]] | None:
    """The ``limit`` statistical series most at risk, the ones drawn as fan charts
    (None: every series). Drawing costs ~0.13 s a chart: at scale, the run's most."""
    return None if limit is None else _most_at_risk(rank_by_risk(summary), limit)


def _quarantined_rows(summary: dict, names: dict[str, tuple[str, str]]) -> list[dict]:
    rows = []
    for region_id, checks in summary["validation"]["quarantined"].items():
        name_zh, name_en = names.get(region_id, (None, None))
        rows.append({"region_id": region_id, "name_zh": name_zh, "name_en": name_en, "quarantined": checks})
    return rows


def headline_rows(summary: dict, names: dict[str, tuple[str, str]]) -> list[Mapping[str, Any]]:
    """One row per region x indicator, riskiest first, then one per region quarantined by validation."""
    return rank_by_risk(summary) + _quarantined_rows(summary, names)


def scenario_table(summary: Mapping[str, Any]) -> dict | None:
    """The report's scenario table, as `peakwatch run` prints it: per region and
    indicator with scenario rows, the statistical forecast, then each scenario;
    None when the run has no scenarios."""
    scenarios = summary.get("scenarios") or []
    if not scenarios:
        return None
    statistical = [r for r in summary["series"] if _scenario(r) == DEFAULT_SCENARIO]
    rows = [
        # the cut column's text is the console table's, close-call mark included
        {"row": row, "scenario": _scenario(row), "first": i == 0, "span": len(group), "cut": scenario_report.format_cut(row)}
        for _key, group in scenario_report.scenario_groups(statistical, scenarios)
        for i, row in enumerate(group)
    ]
    return {"rows": rows, "probability": scenario_report.solver_probability(scenarios)}


def chart_uri(forecast: SeriesForecast, title: str, scenarios: dict[str, SeriesForecast]) -> str:
    buffer = io.BytesIO()
    plots.plot_fan_chart(forecast, buffer, title, scenarios)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def region_sections(
    summary: dict,
    forecasts: Mapping[tuple[str, str, str], SeriesForecast],
    order: list[str],
    charted: set[tuple[str, str]] | None = None,
) -> list[dict]:
    """Per region (in ``order``): its summary rows and one chart per indicator (of
    the ``charted`` series when given) that has a forecast in ``forecasts`` (by
    summary.row_key), the statistical forecast drawn with the other scenarios'
    median paths."""
    series: dict[tuple[str, str], dict[str, dict]] = {}
    for row in summary["series"]:
        series.setdefault((row["region_id"], row["indicator"]), {})[_scenario(row)] = row
    sections = {region_id: {"region_id": region_id, "rows": [], "charts": []} for region_id in order}
    for (region_id, indicator), by_scenario in sorted(series.items()):
        shown = DEFAULT_SCENARIO if DEFAULT_SCENARIO in by_scenario else next(iter(by_scenario))
        row = by_scenario[shown]
        section = sections.setdefault(region_id, {"region_id": region_id, "rows": [], "charts": []})
        section.update(name_zh=row.get("name_zh"), name_en=row.get("name_en"))
        section["rows"].extend(by_scenario.values())
        if charted is not None and (region_id, indicator) not in charted:
            continue
        scenarios = {name: forecasts[key] for name in by_scenario if (key := (region_id, indicator, name)) in forecasts}
        forecast = scenarios.pop(shown, None)  # drawn with the other scenarios' median paths
        if forecast and (forecast.history or forecast.fan is not None):
            label = plots.INDICATOR_LABELS.get(indicator, indicator)
            title = " · ".join(filter(None, (row.get("name_zh"), row.get("name_en"), label, forecast.model)))
            section["charts"].append(
                {"indicator": indicator, "title": title, "uri": chart_uri(forecast, title, scenarios), "scenarios": sorted(scenarios)}
            )
    return [s for s in sections.values() if s["rows"]]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("peakwatch.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["peak_year"] = lambda y: "–" if y is None else format_peak_year(y)
    env.filters["indicator"] = lambda i: plots.INDICATOR_LABELS.get(i, i)
    env.filters["p_peak"] = format_p
    env.filters["significant"] = significant
    env.globals["significant_pair"] = significant_pair  # {{ p | p_peak(threshold) }}
    return env


def render_report(
    summary: dict,
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
    ranked = rank_by_risk(summary)
    headline = ranked + _quarantined_rows(summary, names or {})
    order = list(dict.fromkeys(r["region_id"] for r in headline))
    charted = _most_at_risk(ranked, max_charts)
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
        validation=summary["validation"],
        failed_checks=[ch for ch in summary["validation"]["checks"] if not ch["success"]],
    )
