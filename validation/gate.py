"""The Great Expectations gate on the data contract.

Validation returns data (what failed, where, with which severity); the flow
decides what to do with it. ``fail`` quarantines the regions whose rows break
the expectation; a broken schema makes the whole batch unusable.
"""

import logging
import os
from dataclasses import dataclass, field
from typing import Literal

import great_expectations as gx
import polars as pl

from forecasting import contract as c

log = logging.getLogger(__name__)

Severity = Literal["fail", "warn"]
SUITE_NAME = "peakwatch-contract"


class UnusableDataError(ValueError):
    """The data as a whole cannot be used (broken schema or nothing left)."""


@dataclass(frozen=True)
class CheckResult:
    expectation: str
    column: str | None
    severity: Severity
    success: bool
    unexpected_count: int = 0
    # Offending rows (at most 20), as contract dicts, for the report.
    offending_rows: tuple[dict, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    n_rows: int
    regions_checked: int
    checks: tuple[CheckResult, ...]
    quarantined: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> failed checks
    warned: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        return {
            "validation_regions_checked": self.regions_checked,
            "validation_regions_quarantined": len(self.quarantined),
            "validation_regions_warned": len(self.warned),
            "validation_regions_passed": self.regions_checked - len(self.quarantined),
            "validation_checks_failed": sum(not ch.success for ch in self.checks),
        }

    def as_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            **self.metrics(),
            "quarantined": {k: list(v) for k, v in self.quarantined.items()},
            "warned": {k: list(v) for k, v in self.warned.items()},
            "checks": [
                {
                    "expectation": ch.expectation,
                    "column": ch.column,
                    "severity": ch.severity,
                    "success": ch.success,
                    "unexpected_count": ch.unexpected_count,
                    "regions": list(ch.regions),
                    "offending_rows": list(ch.offending_rows),
                }
                for ch in self.checks
            ],
        }


def _expectations(known_units: dict[str, str]) -> list[tuple[gx.expectations.Expectation, Severity]]:
    e = gx.expectations
    return [
        (e.ExpectColumnValuesToNotBeNull(column=c.REGION_ID), "fail"),
        (e.ExpectColumnValuesToNotBeNull(column=c.YEAR), "fail"),
        (e.ExpectColumnValuesToNotBeNull(column=c.INDICATOR), "fail"),
        (e.ExpectColumnValuesToNotBeNull(column=c.VALUE), "fail"),
        (e.ExpectCompoundColumnsToBeUnique(column_list=[c.REGION_ID, c.INDICATOR, c.YEAR]), "fail"),
        (e.ExpectColumnValuesToBeBetween(column=c.VALUE, min_value=0), "fail"),
        (e.ExpectColumnValuesToBeInSet(column=c.INDICATOR, value_set=sorted(known_units)), "fail"),
        (
            e.ExpectColumnPairValuesToBeInSet(
                column_A=c.INDICATOR,
                column_B=c.UNIT,
                value_pairs_set=sorted(known_units.items()),
            ),
            "fail",
        ),
    ]


def _check_schema(panel: pl.DataFrame) -> None:
    missing = [name for name in c.COLUMNS if name not in panel.columns]
    if missing:
        raise UnusableDataError(f"data is missing contract column(s) {missing}; has {panel.columns}")
    wrong = {
        name: str(panel.schema[name])
        for name, dtype in c.SCHEMA.items()
        if panel.schema[name] != dtype and not (dtype == pl.Int64 and panel.schema[name].is_integer())
    }
    if wrong:
        raise UnusableDataError(f"contract column(s) with wrong types: {wrong}")


def _gx_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    return context


def validate_panel(panel: pl.DataFrame, known_units: dict[str, str] = c.UNITS) -> ValidationReport:
    """Run the contract suite on ``panel`` and say which regions to quarantine."""
    _check_schema(panel)
    if panel.is_empty():
        raise UnusableDataError("data has no rows")
    frame = panel.select(c.COLUMNS).to_pandas()
    context = _gx_context()
    batch = (
        context.data_sources.add_pandas("peakwatch")
        .add_dataframe_asset("panel")
        .add_batch_definition_whole_dataframe("whole")
    )
    pairs = _expectations(known_units)
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE_NAME))
    for expectation, _ in pairs:
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=SUITE_NAME, data=batch, suite=suite)
    )
    result = definition.run(batch_parameters={"dataframe": frame}, result_format="COMPLETE")

    severity_by_id = {exp.id: sev for (exp, sev) in zip(suite.expectations, [s for _, s in pairs])}
    checks, quarantined, warned = [], {}, {}
    for item in result.results:
        config = item.expectation_config
        severity = severity_by_id.get(config.id, "fail")
        rows = item.result.get("unexpected_index_list") or []
        indices = [r if isinstance(r, int) else r.get("index", r) for r in rows]
        indices = [i for i in indices if isinstance(i, int)]
        offending = panel[indices] if indices else panel.clear()
        regions = tuple(sorted(set(offending[c.REGION_ID].drop_nulls().to_list())))
        name = config.type
        column = config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []) or []) or None
        checks.append(
            CheckResult(
                expectation=name,
                column=column,
                severity=severity,
                success=bool(item.success),
                unexpected_count=int(item.result.get("unexpected_count") or len(indices)),
                offending_rows=tuple(offending.head(20).to_dicts()),
                regions=regions,
            )
        )
        target = quarantined if severity == "fail" else warned
        for region in regions:
            target[region] = tuple(sorted(set(target.get(region, ())) | {f"{name}({column})"}))
    report = ValidationReport(
        n_rows=len(panel),
        checks=tuple(checks),
        quarantined=quarantined,
        warned={k: v for k, v in warned.items() if k not in quarantined},
        regions_checked=panel[c.REGION_ID].n_unique(),
    )
    return report


def passing_rows(panel: pl.DataFrame, report: ValidationReport) -> pl.DataFrame:
    """The rows of regions that were not quarantined."""
    remaining = panel.filter(~pl.col(c.REGION_ID).is_in(list(report.quarantined)))
    if remaining.is_empty():
        raise UnusableDataError(
            f"every region was quarantined by validation: {sorted(report.quarantined)}"
        )
    return remaining
