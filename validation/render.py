"""A plain-text summary of a ValidationReport for the terminal: per region,
passed / warned / quarantined, with the checks at fault and their offending rows."""

import textwrap

from peakwatch import contract as c
from validation.report import CheckResult, ValidationReport

ROWS_SHOWN = 3  # offending rows printed per region and check


def _format_row(row: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in row.items() if k not in (c.REGION_ID, c.SOURCE))


def _short(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _region_lines(report: ValidationReport, region: str) -> list[str]:
    lines = []
    for ch in report.failures(region):
        rows = [r for r in ch.offending_rows if r.get(c.REGION_ID) == region]
        mark = "x" if ch.severity == "fail" else "!"
        rule = f": expected {ch.rule}" if ch.rule else ""
        lines.append(f"    {mark} {ch.check} [{ch.severity}] {ch.expectation}{rule}")
        lines.extend(f"        {_format_row(r)}" for r in rows[:ROWS_SHOWN])
        if len(rows) > ROWS_SHOWN:
            lines.append(f"        ... {len(rows) - ROWS_SHOWN} more shown in the Data Docs")
    return lines


def _gap_text(report: ValidationReport, region: str) -> str:
    parts = [f"{ind} {','.join(map(str, years))}" for ind, years in report.gaps.get(region, {}).items() if years]
    return f"    gaps: {'; '.join(parts)}" if parts else ""


def _unattributed(checks: tuple[CheckResult, ...]) -> list[str]:
    """Failed checks whose offending rows name no region (e.g. an empty region_id)."""
    lines = []
    for ch in checks:
        if not ch.success and not ch.regions:
            detail = ch.error or f"{ch.unexpected_count} offending row(s)"
            lines.append(f"  {ch.check} [{ch.severity}] {ch.expectation}: {detail}")
            lines.extend(f"      {_format_row(r)}" for r in ch.offending_rows[:ROWS_SHOWN])
    return lines


def format_report(report: ValidationReport) -> str:
    m = report.metrics()
    lines = [
        f"Validation: {m['validation_regions_checked']} region(s) checked in {report.n_rows} rows: "
        f"{m['validation_regions_passed']} passed, {m['validation_regions_warned']} warned, "
        f"{m['validation_regions_quarantined']} quarantined; {m['validation_missing_years']} missing year(s) inside series",
    ]
    if report.quarantined:
        lines += ["", "QUARANTINED (not forecast):"]
        for region in report.quarantined:
            lines.append(f"  {region}")
            lines += _region_lines(report, region)
            lines += [t for t in [_gap_text(report, region)] if t]
    if report.warned:
        lines += ["", "WARNED (forecast; check the warnings):"]
        for region in report.warned:
            lines.append(f"  {region}")
            lines += _region_lines(report, region)
            lines += [t for t in [_gap_text(report, region)] if t]
    other = _unattributed(report.checks)
    if other:
        lines += ["", "Failed checks not tied to a region:"] + other
    passed = report.passed()
    if passed:
        lines += ["", f"PASSED ({len(passed)}):"]
        lines += textwrap.wrap(", ".join(passed), width=100, initial_indent="  ", subsequent_indent="  ")
    if report.docs_dir:
        lines += ["", f"Data Docs: {report.docs_dir / 'index.html'}"]
    return "\n".join(lines)
