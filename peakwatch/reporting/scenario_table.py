"""The table comparing scenarios per region and indicator, as `peakwatch run --details` prints it."""

from collections.abc import Sequence

from rich import box
from rich.table import Table

from peakwatch.results.numbers import significant
from peakwatch.results.scenarios import row_scenario, scenario_groups, solver_probability
from peakwatch.results.series import ScenarioRow, SeriesRow
from peakwatch.results.words import describe_close_call, describe_cut, describe_peak, peak_humps


INDICATOR = {"co2_emissions": "CO2", "energy_consumption": "energy"}


def indicator_label(indicator: str) -> str:
    return INDICATOR.get(indicator, indicator)


def region_label(row) -> str:
    """'Jiangyong 江永县', or the region id when the registry has no name."""
    return " ".join(n for n in (row.name_en, row.name_zh) if n) or row.region_id


def format_cut(row: SeriesRow | ScenarioRow) -> str:
    """The scenario row's "what it takes" cell, in words: the yearly change the
    intensity lever needs and how it compares with the scenario's; empty for
    the statistical forecast."""
    w = row.what_it_takes if isinstance(row, ScenarioRow) else None
    if not w:
        return ""
    if not w.reachable:
        text = f"out of reach: P {w.achieved_probability:.2f} at the largest cut tried"
    else:
        text = describe_cut(w.required_cut, w.extra_cut)
    if w.close_call:
        text += f" ({describe_close_call(w.noise_range, w.probability)})"
    return text


def row_humps(row) -> tuple[float, int | None, float] | None:
    """(share already peaked, its year, share still rising in 2060) of a row, when known."""
    if isinstance(row, ScenarioRow):
        if row.peak_year_distribution and row.last_observed_year:
            return peak_humps(row.peak_year_distribution, row.last_observed_year)
        return None
    return getattr(row, "humps", None)  # a RankedRow reads through to its SeriesRow


def row_peak(row: SeriesRow | ScenarioRow) -> str:
    """The forecast peak year of a row, in words when its distribution has two humps."""
    return describe_peak(row.peak_year_median, row.peak_year_p10, row.peak_year_p90, row_humps(row))


def scenario_table(series_rows: Sequence[SeriesRow], scenario_rows: Sequence[ScenarioRow]) -> Table:
    """Per region and indicator: the statistical forecast, then each scenario,
    with what it takes: the yearly change in carbon intensity of GDP
    (emissions) or energy intensity (energy) that gives P(peak <= target) >=
    the solver's probability, beside the scenario's own."""
    probability = solver_probability(scenario_rows)
    needed = f"what it takes for P ≥ {probability:.2f}" if probability is not None else "what it takes"
    table = Table(title="Scenarios (forecasts): the statistical forecast, then each scenario",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, expand=True)
    for name, justify, ratio in (("region,\nindicator", "left", None), ("scenario", "left", None),
                                 ("peak year", "left", 2), ("P(≤\ntarget)", "right", None),
                                 ("peak value", "right", None), (needed, "left", 3)):
        table.add_column(name, justify=justify, no_wrap=ratio is None, ratio=ratio)
    for (_, indicator), rows in scenario_groups(series_rows, scenario_rows):
        for i, row in enumerate(rows):
            lead = ((region_label(row), indicator_label(indicator), "")[min(i, 2)],)
            if row.error:
                table.add_row(*lead, row_scenario(row), f"not simulated: {row.error}", "", "", "")
                continue
            table.add_row(
                *lead, row_scenario(row), row_peak(row), f"{row.p_peak_by_target:.2f}",
                f"{significant(row.peak_value)} {row.unit or ''}".strip(), format_cut(row),
                end_section=i == len(rows) - 1,
            )
    return table


def format_scenario_table(series_rows: Sequence[SeriesRow], scenario_rows: Sequence[ScenarioRow], width: int = 160) -> str:
    """The scenario table as plain text ``width`` columns wide."""
    from peakwatch.reporting.console import render_text

    return render_text([scenario_table(series_rows, scenario_rows)], width)
