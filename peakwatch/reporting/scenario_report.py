"""Scenario rows for summary.json and the table comparing scenarios per region."""

from peakwatch.config import Registry
from peakwatch.results.summary import peak_fields
from forecasting.peaks import format_peak_year
from forecasting.scenarios import STATISTICAL_SCENARIO, ScenarioResult


def scenario_row(result: ScenarioResult, registry: Registry) -> dict:
    region = registry.get(result.region_id)
    row = {
        "region_id": result.region_id,
        "name_zh": region.name_zh if region else None,
        "name_en": region.name_en if region else None,
        "scenario": result.scenario,
        "indicator": result.indicator,
        "unit": result.unit,
        "last_observed_year": result.last_observed_year,
        "drivers": dict(result.drivers),
        "events": list(result.events),
        "notes": list(result.notes),
        "error": result.error,
    }
    if result.peaks is not None:
        # a scenario's child run has no files: its peak-year distribution stays in the row (a few rows per region)
        distribution = {str(year): share for year, share in result.peaks.peak_year_distribution.items()}
        row.update(peak_fields(result.peaks), peak_year_distribution=distribution, value_at_target=result.value_at_target_median)
    if result.what_it_takes is not None:
        w = result.what_it_takes
        row["what_it_takes"] = {
            "lever": w.lever,
            "probability": w.probability,
            "reachable": w.reachable,
            "extra_cut": w.extra_cut,
            "scenario_cut": w.scenario_cut,
            "required_cut": w.required_cut,
            "achieved_probability": w.achieved_probability,
            "noise_range": list(w.noise_range) if w.noise_range else None,
            "close_call": w.close_call,
        }
    return row


def format_cut(row: dict) -> str:
    """The scenario row's "what it takes" cell: the yearly cut, the extra part,
    a close call's range; empty for the statistical forecast."""
    w = row.get("what_it_takes")
    if not w:
        return ""
    if w.get("close_call"):
        low, high = w["noise_range"]
        mark = f" ? any of {low:+.1%}..{high:+.1%} extra"
    else:
        mark = ""
    if not w["reachable"]:
        return f"not within bounds (P={w['achieved_probability']:.2f}){mark}"
    return f"{w['required_cut']:+.1%}/yr ({w['extra_cut']:+.1%} extra){mark}"


def solver_probability(scenario_rows: list[dict]) -> float | None:
    """The P(peak <= target) the "what it takes" solver aimed for (one per run)."""
    return next((r["what_it_takes"]["probability"] for r in scenario_rows if r.get("what_it_takes")), None)


def scenario_groups(series_rows: list[dict], scenario_rows: list[dict]) -> list[tuple[tuple[str, str], list[dict]]]:
    """Per (region, indicator) that has scenario rows, in order: its statistical
    forecast row (when ``series_rows`` has one), then each scenario's row."""
    statistical = {(r["region_id"], r["indicator"]): r for r in series_rows}
    groups = []
    for key in sorted({(r["region_id"], r["indicator"]) for r in scenario_rows}):
        rows = [statistical[key]] if key in statistical else []
        groups.append((key, rows + [r for r in scenario_rows if (r["region_id"], r["indicator"]) == key]))
    return groups


def format_scenario_table(series_rows: list[dict], scenario_rows: list[dict]) -> str:
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
            name = row.get("scenario", STATISTICAL_SCENARIO)
            lead = f"{region_id:<26} {indicator:<19}" if i == 0 else " " * 46
            if row.get("error"):
                lines.append(f"{lead} {name:<16} not simulated: {row['error']}")
                continue
            band = (
                f"{format_peak_year(row['peak_year_median'])} "
                f"[{format_peak_year(row['peak_year_p10'])}, {format_peak_year(row['peak_year_p90'])}]"
            )
            lines.append(
                f"{lead} {name:<16} {band:<20} {row['p_peak_by_target']:>11.2f} "
                f"{row['peak_value']:>7.2f} {row['unit']:<4}  {format_cut(row)}"
            )
    if any((r.get("what_it_takes") or {}).get("close_call") for r in scenario_rows):
        lines.append(
            f"? close call: every extra cut in the range gives P(<=target) within two Monte Carlo standard errors "
            f"of {probability:.2f}; the cut shown is noise within it (more n_draws narrow the range)"
        )
    return "\n".join(lines)


def compare_scenarios(series_rows: list[dict], scenario_rows: list[dict]) -> dict:
    """region -> indicator -> scenario -> the headline numbers, statistical first.

    The same comparison as the printed table, as data for summary.json.
    """
    table: dict = {}
    rows = [{**r, "scenario": STATISTICAL_SCENARIO} for r in series_rows] + scenario_rows
    wanted = {(r["region_id"], r["indicator"]) for r in scenario_rows}
    for row in rows:
        if (row["region_id"], row["indicator"]) not in wanted:
            continue
        cell = {"error": row["error"]} if row.get("error") else {
            "peak_year_median": row["peak_year_median"],
            "peak_year_p10": row["peak_year_p10"],
            "peak_year_p90": row["peak_year_p90"],
            "p_peak_by_target": row["p_peak_by_target"],
            "peak_value": row["peak_value"],
        }
        if row.get("what_it_takes"):
            cell["required_cut"] = row["what_it_takes"]["required_cut"]
            cell["extra_cut"] = row["what_it_takes"]["extra_cut"]
            cell["close_call"] = row["what_it_takes"].get("close_call", False)
        table.setdefault(row["region_id"], {}).setdefault(row["indicator"], {})[row["scenario"]] = cell
    return table
