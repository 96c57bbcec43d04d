"""What the gate returns: per-check results with offending rows, and per-region verdicts.

Validation returns data; the flow and the CLI decide what to do with it.
"""

from dataclasses import dataclass, field
from pathlib import Path

from validation.settings import Severity

MAX_OFFENDING_ROWS = 20


class UnusableDataError(ValueError):
    """The data as a whole cannot be used (broken schema or nothing left)."""


@dataclass(frozen=True)
class CheckResult:
    check: str  # our stable name, e.g. "rows.unique_key"
    expectation: str  # the GX expectation type
    column: str | None
    severity: Severity
    success: bool
    suite: str = ""
    unexpected_count: int = 0
    # Offending rows (at most MAX_OFFENDING_ROWS) of the frame the suite ran on.
    offending_rows: tuple[dict, ...] = ()
    regions: tuple[str, ...] = ()
    error: str | None = None  # GX could not evaluate the expectation
    rule: str = ""  # what was expected, in words, e.g. "n_observed >= 8"

    @property
    def label(self) -> str:
        return f"{self.check} ({self.expectation})"

    def as_dict(self) -> dict:
        return {
            "check": self.check,
            "expectation": self.expectation,
            "suite": self.suite,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "regions": list(self.regions),
            "offending_rows": list(self.offending_rows),
            "error": self.error,
        }


@dataclass(frozen=True)
class ValidationReport:
    n_rows: int
    regions_checked: int
    checks: tuple[CheckResult, ...]
    quarantined: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> failed check labels
    warned: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> warning labels (not quarantined)
    # region -> {indicator: [missing years]}; every region with a forecast series is listed.
    gaps: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)
    docs_dir: Path | None = None
    regions: tuple[str, ...] = ()  # every region checked

    def passed(self) -> list[str]:
        """Regions neither quarantined nor warned."""
        return [r for r in self.regions if r not in self.quarantined and r not in self.warned]

    def metrics(self) -> dict[str, float]:
        return {
            "validation_regions_checked": self.regions_checked,
            "validation_regions_passed": self.regions_checked - len(self.quarantined) - len(self.warned),
            "validation_regions_warned": len(self.warned),
            "validation_regions_quarantined": len(self.quarantined),
            "validation_checks_failed": sum(not ch.success for ch in self.checks),
            "validation_missing_years": sum(len(y) for by in self.gaps.values() for y in by.values()),
        }

    def failures(self, region: str | None = None) -> list[CheckResult]:
        """Unsuccessful checks, optionally only those touching ``region``."""
        return [ch for ch in self.checks if not ch.success and (region is None or region in ch.regions)]

    def as_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            **self.metrics(),
            "quarantined": {k: list(v) for k, v in self.quarantined.items()},
            "warned": {k: list(v) for k, v in self.warned.items()},
            "gaps": {r: {i: list(y) for i, y in by.items()} for r, by in self.gaps.items()},
            "passed": self.passed(),
            "docs_dir": str(self.docs_dir) if self.docs_dir else None,
            "checks": [ch.as_dict() for ch in self.checks],
        }
