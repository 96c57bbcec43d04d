"""Run suites with Great Expectations (GX 1.x) and turn its results into ours.

One ephemeral context per gate run; one pandas asset per suite frame (per
suite and batch of regions for a large panel; GX has no Polars source:
convert at the boundary); one shared run id so the Data Docs show the suites
of one gate run side by side.
"""

import os
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import great_expectations as gx
import polars as pl
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.expectations.metadata_types import FailureSeverity

from peakwatch import contract as c
from peakwatch.gc_scope import cycles_freed_on_exit
from validation.docs_offline import make_offline
from validation.report import MAX_OFFENDING_ROWS, CheckResult
from validation.settings import Severity
from validation.suites import Check, Suite

DOCS_SITE = "peakwatch"
GX_SEVERITY = {"fail": FailureSeverity.CRITICAL, "warn": FailureSeverity.WARNING}
ROWS_PER_REGION = 5  # offending rows kept per region and check
ESCAPING_VIEW = {"module_name": "validation.docs_view", "class_name": "EscapingPageView"}


def staging_dir(docs_dir: Path) -> Path:
    return Path(docs_dir).with_name(f".{Path(docs_dir).name}.tmp")


def open_context(docs_dir: Path | None):
    """An in-memory GX context; with ``docs_dir``, a Data Docs site rendered beside it."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        site = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging_dir(docs_dir))},
            # every page that can show input values is drawn by a view that escapes them
            "site_section_builders": {section: {"view": ESCAPING_VIEW} for section in ("expectations", "validations", "profiling")},
        }
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=site)
    return context


def new_run_id() -> RunIdentifier:
    now = datetime.now(timezone.utc)
    return RunIdentifier(run_name=f"peakwatch-gate-{now:%Y%m%dT%H%M%S}", run_time=now)


def _indices(result: dict) -> list[int]:
    rows = result.get("unexpected_index_list") or []
    found = [r if isinstance(r, int) else r.get("index") if isinstance(r, dict) else None for r in rows]
    return [i for i in found if isinstance(i, int)]


def _offending(frame: pl.DataFrame, indices: list[int]) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    """All offending rows' regions, and a few rows per region for the report."""
    if not indices:
        return (), ()
    rows = frame[indices]
    regions = tuple(sorted(set(rows[c.REGION_ID].drop_nulls().to_list()))) if c.REGION_ID in rows.columns else ()
    if c.REGION_ID in rows.columns:
        # what kept_rows can choose from: the first rows of the first regions (a
        # broken unit column offends on every row; they are not all made dicts)
        first = rows[c.REGION_ID].unique(maintain_order=True).head(MAX_OFFENDING_ROWS * ROWS_PER_REGION)
        region = pl.col(c.REGION_ID)
        rows = rows.filter(
            (region.is_in(first.drop_nulls().implode()) | region.is_null())
            & (pl.int_range(pl.len()).over(c.REGION_ID) < ROWS_PER_REGION)
        )
    return kept_rows(rows.to_dicts()), regions


def kept_rows(rows: list[dict]) -> tuple[dict, ...]:
    """The offending rows the report keeps: at most ``ROWS_PER_REGION`` per
    region and ``MAX_OFFENDING_ROWS x ROWS_PER_REGION`` in all, each region's
    first row before any region's second, so that a region quarantined has its
    rows listed (in the order given) however many other regions offend."""
    rank, seen = [], {}
    for row in rows:
        region = row.get(c.REGION_ID)
        seen[region] = seen.get(region, 0) + 1
        rank.append(seen[region])
    cap = MAX_OFFENDING_ROWS * ROWS_PER_REGION
    chosen = sorted((r, i) for i, r in enumerate(rank) if r <= ROWS_PER_REGION)[:cap]
    return tuple(rows[i] for _, i in sorted(chosen, key=lambda pair: pair[1]))


def describe_rule(kwargs: dict) -> str:
    """The expectation's bounds or set in words, for the terminal summary."""
    column = kwargs.get("column")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if column and (low is not None or high is not None):
        above = "<" if kwargs.get("strict_min") else "<="
        below = "<" if kwargs.get("strict_max") else "<="
        if low is not None and high is not None:
            return f"{low:.4g} {above} {column} {below} {high:.4g}"
        return f"{column} {above.replace('<', '>')} {low:.4g}" if low is not None else f"{column} {below} {high:.4g}"
    if column and "value_set" in kwargs:
        return f"{column} in {sorted(kwargs['value_set'])}"
    if column and "type_" in kwargs:
        return f"{column} of type {kwargs['type_']}"
    if "column_list" in kwargs:
        return f"one row per {', '.join(kwargs['column_list'])}"
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} = {kwargs['column_B']}"
    if column:
        return f"{column} not empty"
    return ""


def combine(before: list[CheckResult] | None, batch: list[CheckResult]) -> list[CheckResult]:
    """A suite's results so far and those of its next batch (other regions), as one."""
    if before is None:
        return batch
    return [
        replace(
            a,
            success=a.success and b.success,
            unexpected_count=a.unexpected_count + b.unexpected_count,
            offending_rows=kept_rows([*a.offending_rows, *b.offending_rows]),
            regions=tuple(sorted({*a.regions, *b.regions})),
            error=a.error or b.error,
        )
        for a, b in zip(before, batch)
    ]


def run_suite(
    context,
    run_id: RunIdentifier,
    suite: Suite,
    frame: pl.DataFrame,
    checks: list[Check],
    severities: dict[str, Severity],
    batch_label: str = "",
) -> list[CheckResult]:
    """Validate ``frame`` against ``checks``; one CheckResult per check, in order.
    ``batch_label`` names the batch of regions ``frame`` holds when the gate
    validates the data in batches: each is its own suite in the Data Docs."""
    name = f"{suite.name}-{batch_label}" if batch_label else suite.name
    # A GX run's objects (batch, definition, result) refer to each other in
    # cycles that keep the suite's pandas copy alive until Python's next full
    # collection, which is rare: at 10 000 series ~60 MB per suite, piling up.
    # Collecting the run's own objects only: a full collection after each of
    # the 48 batch runs at 10 000 series took 7.5 s (25 s in a test process).
    with cycles_freed_on_exit():
        return _run_gx(context, run_id, suite, frame, checks, severities, name)


def _run_gx(
    context,
    run_id: RunIdentifier,
    suite: Suite,
    frame: pl.DataFrame,
    checks: list[Check],
    severities: dict[str, Severity],
    name: str,
) -> list[CheckResult]:
    batch = (
        context.data_sources.add_or_update_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("whole")
    )
    gx_suite = context.suites.add(gx.ExpectationSuite(name=name))
    severity_of = {}
    for check in checks:
        severity = severities.get(check.name, check.severity)
        severity_of[check.name] = severity
        expectation = check.expectation.copy(
            update={"severity": GX_SEVERITY[severity], "meta": {"check": check.name, "severity": severity}}
        )
        gx_suite.add_expectation(expectation)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=gx_suite))
    try:
        result = definition.run(batch_parameters={"dataframe": frame.to_pandas()}, result_format="COMPLETE", run_id=run_id)
    finally:
        # GX keeps the last context alive (gx.get_context registers it globally) and
        # each data source caches its batch's pandas copy: at 10 000 series the
        # suites' copies held ~150 MB for the rest of the flow. The results (and
        # the Data Docs built from them) do not need the data source.
        context.data_sources.delete(name)

    out = []
    for item in result.results:
        config = item.expectation_config
        name = (config.meta or {}).get("check", config.type)
        error = None
        if item.exception_info and item.exception_info.get("raised_exception"):
            error = str(item.exception_info.get("exception_message"))
        indices = _indices(item.result or {})
        rows, regions = _offending(frame, indices)
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or (
            f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None
        )
        out.append(
            CheckResult(
                check=name,
                expectation=config.type,
                column=column,
                severity=severity_of.get(name, "fail"),
                success=bool(item.success),
                suite=suite.name,
                unexpected_count=int((item.result or {}).get("unexpected_count") or len(indices)),
                offending_rows=rows,
                regions=regions,
                error=error,
                rule=describe_rule(kwargs),
            )
        )
    return out


def build_docs(context, docs_dir: Path) -> Path:
    """Render Data Docs into a sibling temp folder, made to render offline
(docs_offline), then swap it in: never half-written."""
    final = Path(docs_dir)
    staging = staging_dir(final)
    shutil.rmtree(staging, ignore_errors=True)
    context.build_data_docs(site_names=[DOCS_SITE])
    make_offline(staging)
    shutil.rmtree(final, ignore_errors=True)
    staging.replace(final)
    return final / "index.html"
