"""What `peakwatch run` and `peakwatch show` print: the verdict, what changed,
the headline table (rich: it fits the terminal, Chinese names included), and
the details on request. History (the observed status) and forecast (the
projected peak) are labelled as such wherever they sit side by side."""

import io
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.cells import cell_len
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from forecasting.peaks import format_peak_year
from peakwatch.redact import redact_text
from peakwatch.reporting.scenario_table import indicator_label, region_label, scenario_table
from peakwatch.results.calibration import trust_line
from peakwatch.results.notices import Change, EarlyWarnings
from peakwatch.results.numbers import format_p, significant_pair
from peakwatch.results.ranking import QuarantinedRow, RankedRow, quarantined_rows, rank_by_risk
from peakwatch.results.words import describe_peak
from peakwatch.results.series import SeriesRow
from peakwatch.results.summary import PullSummary, RunSummary, ValidationSummary


def format_pull(pull: PullSummary) -> str:
    """What each source gave, and what it could not place (never silently dropped)."""
    lines = []
    for src in pull.sources:
        lines.append(f"source {src.source}: {src.rows} rows, {src.fetched}, sha256 {src.sha256[:12]}")
        if src.derived:
            lines.append(f"  {len(src.derived)} region(s) not in the registry, forecast under derived ids")
        for item in src.unmatched:
            lines.append(f"  unmatched region {item['name']!r} ({item['n_rows']} row(s)) left out: {item['reason']}")
        if src.no_data:
            lines.append(f"  {len(src.no_data)} region(s) with no values at all: {', '.join(src.no_data)}")
    if pull.n_conflicts:
        lines.append(f"{pull.n_conflicts} conflicting value(s) between sources; higher precedence kept:")
        for item in pull.conflicts[:10]:
            dropped = ", ".join(f"{d['source']}={d['value']:g}" for d in item["dropped"])
            lines.append(
                f"  {item['region_id']} {item['indicator']} {item['year']}: "
                f"kept {item['kept']['source']}={item['kept']['value']:g}, dropped {dropped}"
            )
    return "\n".join(lines)


def format_filled(rows: Sequence[SeriesRow]) -> str:
    """Which years of each forecast series were filled, not observed."""
    filled = [r for r in rows if r.filled_years]
    if not filled:
        return "Every forecast series is fully observed: no years filled."
    lines = ["Filled years (missing in the data, interpolated log-linearly before fitting; not observed):"]
    for row in filled:
        years = ", ".join(map(str, row.filled_years))
        lines.append(f"  {row.region_id} {row.indicator}: {years} ({row.n_observed_years} observed)")
    return "\n".join(lines)


def format_changes(changes: Sequence[Change]) -> str:
    if not changes:
        return "No change in any projection since the previous run."
    lines = []
    for ch in changes:
        label = f"{ch.region_id} {ch.indicator}: {ch.change}"
        if ch.has_values:
            label += (
                f"; median peak {format_peak_year(ch.peak_year_median_old)} -> "
                f"{format_peak_year(ch.peak_year_median_new)}, P(<=target) "
                f"{format_p(ch.p_peak_by_target_old, ch.threshold)} -> "
                f"{format_p(ch.p_peak_by_target_new, ch.threshold)}"
            )
            if ch.peak_value_old is not None and ch.peak_value_new is not None:
                old, new = significant_pair(ch.peak_value_old, ch.peak_value_new)
                label += f", peak value {old} -> {new}" + (f" {ch.unit}" if ch.unit else "")
            if ch.causes:
                label += f" ({'; '.join(ch.causes)})"
        lines.append(label)
    return "\n".join(lines)


def cells_at_fault(validation: ValidationSummary, region: str, label: str) -> str:
    """A failed check's label with the indicators and years of the region's
    offending rows, e.g. ``rows.positive (...) [co2_emissions 2012]``."""
    years: dict[str, list] = {}
    for check in validation.checks:
        if f"{check['check']} ({check['expectation']})" != label:
            continue
        for row in check["offending_rows"]:
            if row.get("region_id") == region and row.get("indicator") is not None and row.get("year") is not None:
                years.setdefault(row["indicator"], []).append(row["year"])
    where = "; ".join(f"{indicator} {', '.join(map(str, sorted(set(ys))))}" for indicator, ys in years.items())
    return f"{label} [{where}]" if where else label


def format_validation(validation: ValidationSummary) -> list[str]:
    lines = []
    for title, by_region in (
        ("Quarantined by validation (not forecast):", validation.quarantined),
        ("Validation warnings (forecast anyway):", validation.warned),
    ):
        if by_region:
            lines.append(title)
            lines += [
                f"  {region}: {', '.join(cells_at_fault(validation, region, check) for check in checks)}"
                for region, checks in by_region.items()
            ]
    lines.append(f"Validation report (GX Data Docs): {validation.docs_dir}/index.html")
    return lines


def format_consistency(rows: Sequence[SeriesRow]) -> list[str]:
    """Energy and CO2 projected in different directions; carbon intensity out of bounds."""
    lines = []
    for row in rows:
        if row.directions_disagree and row.indicator == "co2_emissions":
            lines.append(f"  ~ {row.region_id}: energy projected {row.energy_direction}, CO2 {row.co2_direction} (next 10 years)")
    for row in rows:
        if row.carbon_intensity_within_bounds is False and row.indicator == "co2_emissions":
            lines.append(
                f"  ~ {row.region_id}: projected carbon intensity leaves (0, 3] tCO2/tce in "
                f"{row.carbon_intensity_first_year_out_of_bounds}"
            )
    return lines


def format_early_warnings(early: EarlyWarnings) -> list[str]:
    if early.delivery == "deferred":
        lines = ["Early warnings: decided when the run reaches MLflow, which holds what was announced before."]
    elif early.delivery == "superseded":
        lines = [f"Early warnings: not sent; run {early.superseded_by}, computed later, is already in MLflow."]
    elif early.alerts:
        lines = [f"New early warnings ({len(early.alerts)}), delivery: {early.delivery}"]
        lines += [f"  {alert.message}" for alert in early.alerts]
        for delivery in early.deliveries:
            error = f" ({delivery.error})" if delivery.error else ""
            lines.append(f"  via {delivery.block}: {delivery.status}{error}")
        if early.error:  # something after the delivery broke
            lines.append(f"  notify step error: {redact_text(early.error)}")
    else:
        # redacted again: a summary written before the step redacted its errors may quote a password
        error = f" (notify step error: {redact_text(early.error)})" if early.error else "."
        lines = ["No new early warnings" + error]
    if early.still_late:
        lines.append(f"Still late, not re-announced: {len(early.still_late)} series")
    return lines


def verdict(summary: RunSummary) -> str:
    """One line: how many regions are late per indicator, and how many series
    changed since the previous run, e.g. '4 of 5 regions late on CO2, 4 of 5
    on energy; 1 series changed since the previous run'."""
    late: dict[str, set[str]] = {}
    regions: dict[str, set[str]] = {}
    for row in rank_by_risk(summary):
        regions.setdefault(row.indicator, set()).add(row.region_id)
        if row.warned:
            late.setdefault(row.indicator, set()).add(row.region_id)
    parts = [
        f"{len(late.get(ind, ()))} of {len(regions[ind])} regions late on {indicator_label(ind)}"
        for ind in sorted(regions, key=lambda ind: indicator_label(ind) != "CO2")
    ]
    for i in range(1, len(parts)):  # "4 of 5 regions late on CO2, 4 of 5 on energy"
        parts[i] = parts[i].replace(" regions late", "")
    answer = ", ".join(parts) or "nothing forecast"
    if summary.previous_run_id is None:
        return f"{answer}; first run: nothing to compare with yet"
    changed = len({(c.region_id, c.indicator, c.scenario) for c in summary.changes})
    return f"{answer}; {changed or 'no'} series changed since the previous run"


PEAK_YEAR_WIDTH = 18  # "2057 [2051, >2060]" on one line


def common_target_year(rows: Sequence[RankedRow | SeriesRow | QuarantinedRow]) -> int | None:
    """The target year when every forecast row shares one (the headline then names it once)."""
    targets = {row.target_year for row in rows if getattr(row, "target_year", None)}
    return targets.pop() if len(targets) == 1 else None


def headline_table(rows: Iterable[RankedRow | SeriesRow | QuarantinedRow], narrow: bool = False) -> Table:
    """Most at risk first. "history" is the observed status (peaked, plateau,
    rising, unknown); the other columns are the forecast. ``narrow``: the
    peak-year column fixed at its minimum width (see ``Headline``)."""
    rows = list(rows)
    target = f" year {year}" if (year := common_target_year(rows)) else ""
    table = Table(
        title="Regions, most at risk first", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
        collapse_padding=True, caption_justify="left",
        caption=f"history: the observed status; forecast peak year: median [10 %, 90 %] of the simulated paths; "
        f"P: that the peak comes by the target{target}",
    )
    for header, justify, min_width in (
        ("region", "left", 9), ("indicator", "left", 6), ("history\n(observed)", "left", 8),
        ("forecast:\npeak year", "left", PEAK_YEAR_WIDTH), ("forecast:\nP", "right", 4),
        ("forecast:\nvs " + (target.split()[-1] if target else "target"), "left", 9),
    ):
        fixed = narrow and min_width == PEAK_YEAR_WIDTH
        table.add_column(header, justify=justify, min_width=min_width, width=min_width if fixed else None)
    for row in rows:
        table.add_row(*headline_cells(row, bool(target)))
    return table


class Headline:
    """The headline table at the console's width. Rich narrows the widest column
    first, and the peak-year column then takes its minimum width back: the table
    ran past an 80-column terminal, cutting its last header. When the table does
    not fit, that column is fixed at its minimum, so the region names wrap instead;
    when even that does not fit (below about 75 columns, where rich would crop
    the verdict), each series becomes a line of its own."""

    def __init__(self, rows: Iterable[RankedRow | SeriesRow | QuarantinedRow]):
        self.rows = list(rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for narrow in (False, True):
            table = headline_table(self.rows, narrow=narrow)
            # uncropped, as rich laid it out; trailing blanks (the box's edge) may be cut
            lines = Segment.split_lines(console.render(table, options))
            if max((cell_len("".join(s.text for s in line).rstrip()) for line in lines), default=0) <= options.max_width:
                yield table
                return
        yield headline_lines(self.rows)


def headline_lines(rows: Sequence[RankedRow | SeriesRow | QuarantinedRow]) -> Text:
    """The headline as one line per series (wrapped by the console), for terminals too narrow for the table:
    "Yueyang 岳阳市, CO2: late, P 0.28; peak year 2043 [2024, >2060]; history plateau"."""
    year = common_target_year(rows)
    out = Text("Regions, most at risk first" + (f" (P: that the peak comes by {year})" if year else ""))
    for row in rows:
        region, indicator, history, peak, p, verdict_cell = headline_cells(row, bool(year))
        name = f"{region}, {indicator}" if indicator else str(region)
        if not p:  # not forecast: the reason is the whole answer
            out.append(f"\n{name}: {peak}")
            continue
        out.append(f"\n{name}: ")
        out.append(verdict_cell)
        out.append(f", P {p}; peak year {peak}" + (f"; history {history}" if history else ""))
    return out


def headline_cells(row: RankedRow | SeriesRow | QuarantinedRow, one_target: bool) -> tuple:
    if isinstance(row, QuarantinedRow):
        return region_label(row), "", "", "not forecast: quarantined by validation (details: the checks)", "", ""
    if row.error:
        return region_label(row), indicator_label(row.indicator), row.status or "", f"not forecast: {row.error}", "", ""
    late = "late" if getattr(row, "warned", False) else "on time"
    return (
        region_label(row),
        indicator_label(row.indicator),
        row.status or "",
        describe_peak(row.peak_year_median, row.peak_year_p10, row.peak_year_p90, row.humps),
        format_p(row.p_peak_by_target, getattr(row, "threshold", None)),
        Text(late if one_target else f"{late} for {row.target_year}", style="bold red" if late == "late" else ""),
    )


def format_changes_short(summary: RunSummary) -> str:
    if summary.previous_run_id is None:
        return "First run in this series: nothing to compare with yet."
    return f"Changes since run {summary.previous_run_id}:\n{format_changes(summary.changes)}"


def format_warnings_line(early: EarlyWarnings) -> str:
    """The early warnings in one line (every one with --details)."""
    return format_early_warnings(early)[0] if early.alerts else " ".join(format_early_warnings(early))


def run_answer(summary: RunSummary) -> list[RenderableType]:
    """What `peakwatch run` prints first: the verdict, what changed, the headline
    table, the warnings and how far to trust P on this panel."""
    changes = [Text(format_changes_short(summary))] if summary.changes else []  # none: the verdict says so
    return [
        Text(verdict(summary), style="bold"),
        *changes,
        Headline([*rank_by_risk(summary), *quarantined_rows(summary, {})]),
        Text(format_warnings_line(summary.early_warnings)),
        *([Text(trust)] if (trust := trust_line(summary.calibration)) else []),
    ]


def run_details(summary: RunSummary) -> list[RenderableType]:
    """What `--details` and `peakwatch show` add: sources, filled years, the
    scenario table, validation, every warning, the consistency checks."""
    out: list[RenderableType] = [Text(format_pull(summary.pull)), Text(format_filled(summary.series))]
    if summary.scenarios:
        out.append(scenario_table(summary.series, summary.scenarios))
    lines = format_validation(summary.validation)
    lines.append(f"{len(summary.warnings)} warning(s): P(peak <= target year) below threshold")
    lines += [f"  ! {warning.message}" for warning in summary.warnings]
    lines += format_consistency(summary.series)
    lines += format_early_warnings(summary.early_warnings)
    out.append(Text("\n".join(lines)))
    return out


def render_text(renderables: Sequence[RenderableType], width: int = 100) -> str:
    """The renderables as plain text ``width`` columns wide (tests, logs)."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(Group(*renderables))
    return console.file.getvalue()
