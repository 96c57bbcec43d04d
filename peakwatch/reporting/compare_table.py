"""The `peakwatch compare` table: two runs side by side per region and indicator."""

from collections.abc import Sequence

from forecasting.peaks import CENSORED_YEAR, format_peak_year
from peakwatch.results.notices import ERROR_CHANGES, Change
from peakwatch.results.numbers import format_p
from peakwatch.results.series import DEFAULT_SCENARIO
from peakwatch.results.summary import RunSummary


def _year(value: float | None) -> str:
    return "-" if value is None else format_peak_year(value)


def _year_shift(old: float | None, new: float | None) -> str:
    if old is None or new is None:
        return ""
    if old >= CENSORED_YEAR and new >= CENSORED_YEAR:
        return "0"
    shift = f"{new - old:+.0f}"
    return f"{shift}*" if max(old, new) >= CENSORED_YEAR else shift


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _p(value: float | None, threshold: float | None) -> str:
    return "-" if value is None else format_p(value, threshold)


def _shift(old: float | None, new: float | None, fmt: str) -> str:
    return "" if old is None or new is None else format(new - old, "+" + fmt)


def _run_line(label: str, summary: RunSummary) -> str:
    return f"{label}: {summary.run_id}  {summary.run_date}  data {(summary.data_sha256 or '')[:12]}"


def format_comparison(rows: Sequence[Change], summary_a: RunSummary, summary_b: RunSummary) -> str:
    head = (
        f"{'region':<26} {'indicator':<19} {'peak year A':>11} {'B':>6} {'chg':>5}  "
        f"{'P(<=tgt) A':>10} {'B':>5} {'chg':>6}  {'peak value A':>12} {'B':>9} {'chg':>8} {'unit':<6}  "
        f"{'change':<15} cause"
    )
    lines = [
        _run_line("A", summary_a),
        _run_line("B", summary_b),
        "",
        head,
        "-" * len(head),
    ]
    for row in rows:
        series = f"{row.region_id:<26} {row.indicator:<19}"
        if row.scenario and row.scenario != DEFAULT_SCENARIO:
            series = f"{row.region_id + ' [' + row.scenario + ']':<26} {row.indicator:<19}"
        if not row.has_values:
            detail = f"A: {row.old}; B: {row.new}" if row.change in ERROR_CHANGES else ""
            lines.append(f"{series} {row.change:<15} {detail}".rstrip())
            continue
        y0, y1 = row.peak_year_median_old, row.peak_year_median_new
        p0, p1 = row.p_peak_by_target_old, row.p_peak_by_target_new
        v0, v1 = row.peak_value_old, row.peak_value_new
        lines.append(
            f"{series} {_year(y0):>11} {_year(y1):>6} {_year_shift(y0, y1):>5}  "
            f"{_p(p0, row.threshold):>10} {_p(p1, row.threshold):>5} {_shift(p0, p1, '.2f'):>6}  "
            f"{_num(v0, '.3f'):>12} {_num(v1, '.3f'):>9} {_shift(v0, v1, '.3f'):>8} {row.unit or '':<6}  "
            f"{row.change:<15} {'; '.join(row.causes)}".rstrip()
        )
    moved = sum(r.change not in ("unchanged", "not forecast") for r in rows)
    lines += ["", f"{moved} of {len(rows)} series changed (* = one side is censored, >2060)."]
    return "\n".join(lines)
