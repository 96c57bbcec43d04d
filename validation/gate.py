"""The Great Expectations gate on the data contract.

Validation returns data (what failed, where, with which severity); the flow
decides what to do with it. A ``fail`` check quarantines the regions of its
offending rows, a ``warn`` check reports them and lets them go on. Only a
broken schema or an empty panel makes the whole panel unusable. A large panel
is validated a batch of regions at a time (``region_batches``).
"""

import logging
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import polars as pl

from peakwatch import contract as c
from validation import runner
from validation.report import CheckResult, UnusableDataError, ValidationReport
from validation.settings import GateSettings, Severity
from validation.suites import Suite, hierarchy, history, intensity, jumps, rows, schema

log = logging.getLogger(__name__)

__all__ = ["CheckResult", "GateSettings", "UnusableDataError", "ValidationReport", "passing_rows", "validate_panel"]

# Run after the schema suite has passed, in this order.
SUITES: tuple[Suite, ...] = (rows.SUITE, history.SUITE, jumps.SUITE, intensity.SUITE, hierarchy.SUITE)


def check_names() -> dict[str, Severity]:
    """Every check the gate runs, with its default severity."""
    settings = GateSettings()
    return {ch.name: ch.severity for suite in (schema.SUITE, *SUITES) for ch in suite.build_checks(settings)}


def _schema_error(panel: pl.DataFrame, failed: list[CheckResult]) -> UnusableDataError:
    missing = [name for name in c.COLUMNS if name not in panel.columns]
    if missing:
        return UnusableDataError(f"data is missing contract column(s) {missing}; has {panel.columns}")
    wrong = {
        ch.column: f"{panel.schema[ch.column]} (expected {c.SCHEMA[ch.column]})"
        for ch in failed
        if ch.column in c.SCHEMA
    }
    return UnusableDataError(f"contract column(s) with wrong types: {wrong}")


def _verdicts(checks: list[CheckResult]) -> tuple[dict, dict]:
    quarantined: dict[str, set[str]] = {}
    warned: dict[str, set[str]] = {}
    for ch in checks:
        if ch.success:
            continue
        target = quarantined if ch.severity == "fail" else warned
        for region in ch.regions:
            target.setdefault(region, set()).add(ch.label)
    q = {r: tuple(sorted(v)) for r, v in sorted(quarantined.items())}
    w = {r: tuple(sorted(v)) for r, v in sorted(warned.items()) if r not in q}
    return q, w


def region_batches(panel: pl.DataFrame, max_rows: int) -> Iterator[tuple[str, pl.DataFrame]]:
    """``panel`` in batches of whole regions of about ``max_rows`` rows, with a
    label for each ("" when the panel goes whole: small, or without text region
    ids). Rows without a region go with the first batch.

    Every check is about a row, a series, a region's rows, or a child region
    and its parent: the batches' results add up to the whole panel's, given
    the two things a batch cannot see (history.recent's newest year of each
    indicator, and the parents of the hierarchy suite), which come from the
    whole panel. At 10 000 series (380 000 rows) the suites validated whole
    peaked ~+130 MB over the panel.
    """
    if len(panel) <= max_rows or panel.schema.get(c.REGION_ID) != pl.String:
        yield "", panel
        return
    regions_per_batch = max(1, panel[c.REGION_ID].n_unique() * max_rows // len(panel))
    rank = pl.col(c.REGION_ID).rank("dense").cast(pl.Int64)
    batch = panel.select(((rank - 1) // regions_per_batch).fill_null(0)).to_series()
    n_batches = batch.max() + 1
    for k in range(n_batches):
        yield f"batch-{k + 1}-of-{n_batches}", panel.filter(batch == k)


def _gaps(history_frame: pl.DataFrame) -> dict[str, dict[str, tuple[int, ...]]]:
    gaps: dict[str, dict[str, tuple[int, ...]]] = {}
    for row in history_frame.iter_rows(named=True):
        years = tuple(int(y) for y in row["missing_years"].split(",") if y)
        gaps.setdefault(row[c.REGION_ID], {})[row[c.INDICATOR]] = years
    return gaps


def validate_panel(
    panel: pl.DataFrame,
    settings: GateSettings = GateSettings(),
    parents: dict[str, str] | None = None,
    docs_dir: Path | None = None,
) -> ValidationReport:
    """Run every suite on ``panel``; say which regions to quarantine and which to warn about.

    ``parents`` maps child region id -> parent region id (from the registry).
    With ``docs_dir``, GX Data Docs (HTML, ``index.html``) are written there,
    also when the data turn out unusable.
    """
    parents = parents or {}
    context = runner.open_context(docs_dir)
    run_id = runner.new_run_id()

    def finish_docs() -> Path | None:
        return runner.build_docs(context, docs_dir) if docs_dir is not None else None

    def run(suite: Suite, build_frame: Callable[[pl.DataFrame], pl.DataFrame]) -> list[CheckResult]:
        """The suite on every batch, its results combined."""
        results = None
        for label, batch in region_batches(panel, settings.max_batch_rows):
            batch_results = runner.run_suite(
                context, run_id, suite, build_frame(batch), suite.build_checks(settings), settings.severities, label
            )
            results = runner.combine(results, batch_results)
        return results

    schema_checks = run(schema.SUITE, lambda batch: schema.build_frame(batch, settings, parents))
    failed = [ch for ch in schema_checks if not ch.success]
    if failed or panel.is_empty():
        index = finish_docs()
        where = f" (Data Docs: {index})" if index else ""
        error = _schema_error(panel, failed) if failed else UnusableDataError("data has no rows")
        raise UnusableDataError(f"{error}{where}")

    checks = list(schema_checks)
    newest = history.newest_years(panel, settings)
    gaps: dict[str, dict[str, tuple[int, ...]]] = {}

    def history_frame(batch: pl.DataFrame) -> pl.DataFrame:
        frame = history.build_frame(batch, settings, parents, newest)
        gaps.update(_gaps(frame))
        return frame

    frame_builders = {
        history.SUITE: history_frame,
        hierarchy.SUITE: partial(hierarchy.build_frame, settings=settings, parents=parents, everything=panel),
    }
    for suite in SUITES:
        build = frame_builders.get(suite, partial(suite.build_frame, settings=settings, parents=parents))
        checks.extend(run(suite, build))
    quarantined, warned = _verdicts(checks)
    regions = tuple(sorted(panel[c.REGION_ID].drop_nulls().unique().to_list()))
    report = ValidationReport(
        n_rows=len(panel),
        regions_checked=len(regions),
        regions=regions,
        checks=tuple(checks),
        quarantined=quarantined,
        warned=warned,
        gaps=gaps,
        docs_dir=docs_dir,
    )
    finish_docs()
    log.info("validation: %s", report.metrics())
    return report


def passing_rows(panel: pl.DataFrame, report: ValidationReport) -> pl.DataFrame:
    """The rows of regions that were not quarantined (rows without a region are dropped)."""
    remaining = panel.filter(pl.col(c.REGION_ID).is_not_null() & ~pl.col(c.REGION_ID).is_in(list(report.quarantined)))
    if remaining.is_empty():
        raise UnusableDataError(
            f"nothing left to forecast: every region was quarantined by validation: {sorted(report.quarantined)}"
        )
    return remaining
