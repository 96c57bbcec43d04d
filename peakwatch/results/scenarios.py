"""Scenario rows side by side with the statistical forecast, per region and indicator."""

from collections.abc import Sequence

from forecasting.scenarios import STATISTICAL_SCENARIO
from peakwatch.results.series import ScenarioRow, SeriesRow


def row_scenario(row: SeriesRow | ScenarioRow) -> str:
    """A scenario row's scenario; a statistical forecast's row is the statistical scenario."""
    return row.scenario if isinstance(row, ScenarioRow) else STATISTICAL_SCENARIO


def solver_probability(scenario_rows: Sequence[ScenarioRow]) -> float | None:
    """The P(peak <= target) the "what it takes" solver aimed for (one per run)."""
    return next((r.what_it_takes.probability for r in scenario_rows if r.what_it_takes), None)


def scenario_groups(
    series_rows: Sequence[SeriesRow], scenario_rows: Sequence[ScenarioRow]
) -> list[tuple[tuple[str, str], list[SeriesRow | ScenarioRow]]]:
    """Per (region, indicator) that has scenario rows, in order: its statistical
    forecast row (when ``series_rows`` has one), then each scenario's row."""
    statistical = {(r.region_id, r.indicator): r for r in series_rows}
    groups = []
    for key in sorted({(r.region_id, r.indicator) for r in scenario_rows}):
        rows = [statistical[key]] if key in statistical else []
        groups.append((key, rows + [r for r in scenario_rows if (r.region_id, r.indicator) == key]))
    return groups


def compare_scenarios(series_rows: Sequence[SeriesRow], scenario_rows: Sequence[ScenarioRow]) -> dict:
    """region -> indicator -> scenario -> the headline numbers, statistical first.

    The same comparison as the printed table, as data for summary.json.
    """
    table: dict = {}
    wanted = {(r.region_id, r.indicator) for r in scenario_rows}
    for row in [*series_rows, *scenario_rows]:
        if (row.region_id, row.indicator) not in wanted:
            continue
        cell = {"error": row.error} if row.error else {
            "peak_year_median": row.peak_year_median,
            "peak_year_p10": row.peak_year_p10,
            "peak_year_p90": row.peak_year_p90,
            "p_peak_by_target": row.p_peak_by_target,
            "peak_value": row.peak_value,
        }
        what = row.what_it_takes if isinstance(row, ScenarioRow) else None
        if what:
            cell["required_cut"] = what.required_cut
            cell["extra_cut"] = what.extra_cut
            cell["close_call"] = what.close_call
        table.setdefault(row.region_id, {}).setdefault(row.indicator, {})[row_scenario(row)] = cell
    return table
