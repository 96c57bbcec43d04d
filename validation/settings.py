"""The gate's thresholds: the slice of the run config the validation layer sees.

``peakwatch.config`` parses the ``validation:`` block of the YAML into a frozen
pydantic model and hands down only this dataclass, so ``validation`` never reads
a file or an environment variable.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Severity = Literal["fail", "warn"]


@dataclass(frozen=True)
class GateSettings:
    min_year: int = 1949
    # None: the current calendar year, read when the gate runs (never at import).
    max_year: int | None = None
    min_observed_years: int = 8
    # Last observed year at most this many years behind the newest year of that indicator in all the data.
    max_years_behind_latest: int = 3
    # More missing years than this inside a series -> warning (gaps are always counted).
    max_missing_years: int = 0
    # |year-on-year ratio| beyond this -> warning (catches x10 000 unit slips).
    max_jump_ratio: float = 3.0
    # Implied MtCO2 per Mtce; coal burns at ~2.66-2.77 tCO2/tce.
    min_carbon_intensity: float = 0.5
    max_carbon_intensity: float = 3.0
    # A child region may not exceed this multiple of its parent (same indicator, year).
    max_child_parent_ratio: float = 1.0
    # Per-check overrides of the default severity, e.g. {"history.recent": "warn"}.
    severities: dict[str, Severity] = field(default_factory=dict)
    # A panel of more rows is validated a batch of whole regions at a time: the
    # suites' frames and GX's pandas copies of them grow with the rows they hold.
    max_batch_rows: int = 50_000

    def latest_allowed_year(self) -> int:
        return self.max_year if self.max_year is not None else date.today().year
