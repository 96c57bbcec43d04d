"""The table comparing scenarios per region and indicator, as `peakwatch run` prints it."""

from collections.abc import Sequence

from forecasting.peaks import format_peak_year
from peakwatch.results.scenarios import row_scenario, scenario_groups, solver_probability
from peakwatch.results.series import ScenarioRow, SeriesRow


def format_cut(row: SeriesRow | ScenarioRow) -> str:
    """The scenario row's "what it takes" cell: the yearly cut, the extra part,
    a close call's range; empty for the statistical forecast."""
    w = row.what_it_takes if isinstance(row, ScenarioRow) else None
    if not w:
        return ""
    if w.close_call:
        low, high = w.noise_range
        mark = f" ? any of {low:+.1%}..{high:+.1%} extra"
    else:
        mark = ""
    if not w.reachable:
        return f"not within bounds (P={w.achieved_probability:.2f}){mark}"
    return f"{w.required_cut:+.1%}/yr ({w.extra_cut:+.1%} extra){mark}"


def format_scenario_table(series_rows: Sequence[SeriesRow], scenario_rows: Sequence[ScenarioRow]) -> str:
    """Per region and indicator: the statistical forecast, then each scenario.

    The last column is the yearly cut in carbon intensity of GDP (emissions)
    or energy intensity (energy) that gives P(peak <= target) >= the solver's
    probability, and how much of it comes on top of the scenario; "?" marks
    a close call (explained below the table).
    """
    probability = solver_probability(scenario_rows)
    needed = f"yearly intensity cut for P>={probability:.2f}" if probability is not None else "cut needed"
    header = (
        f"{'region':<26} {'indicator':<19} {'scenario':<16} {'peak (p10-p90)':<20} "
        f"{'P(<=target)':>11} {'peak value':>12}  {needed}"
    )
    lines = [header, "-" * len(header)]
    for (region_id, indicator), rows in scenario_groups(series_rows, scenario_rows):
        for i, row in enumerate(rows):
            name = row_scenario(row)
            lead = f"{region_id:<26} {indicator:<19}" if i == 0 else " " * 46
            if row.error:
                lines.append(f"{lead} {name:<16} not simulated: {row.error}")
                continue
            band = (
                f"{format_peak_year(row.peak_year_median)} "
                f"[{format_peak_year(row.peak_year_p10)}, {format_peak_year(row.peak_year_p90)}]"
            )
            lines.append(
                f"{lead} {name:<16} {band:<20} {row.p_peak_by_target:>11.2f} "
                f"{row.peak_value:>7.2f} {row.unit:<4}  {format_cut(row)}"
            )
    if any(r.what_it_takes and r.what_it_takes.close_call for r in scenario_rows):
        lines.append(
            f"? close call: every extra cut in the range gives P(<=target) within two Monte Carlo standard errors "
            f"of {probability:.2f}; the cut shown is noise within it (more n_draws narrow the range)"
        )
    return "\n".join(lines)
