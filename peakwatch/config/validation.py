"""Thresholds of the validation gate (see validation/settings.py for meanings)."""

from pydantic import Field, model_validator

from peakwatch.config.base import Frozen
from validation.settings import GateSettings, Severity


class ValidationConfig(Frozen):
    """Thresholds of the validation gate (see validation/settings.py for meanings)."""

    # Rows before this year fail rows.year_range.
    min_year: int = 1949
    max_year: int | None = None  # null: the current year at run time
    # A series with fewer observed years is quarantined (>= forecast.min_observed_years).
    min_observed_years: int = Field(8, ge=2)
    # A series whose last year is further behind the panel's latest is quarantined.
    max_years_behind_latest: int = Field(3, ge=0)
    # Gaps allowed inside a series.
    max_missing_years: int = Field(0, ge=0)
    # A year-on-year change by more than this factor fails (unit errors).
    max_jump_ratio: float = Field(3.0, gt=1)
    # Lowest plausible tCO2 per tce (co2 / energy of a region-year).
    min_carbon_intensity: float = Field(0.5, ge=0)
    # Highest plausible tCO2 per tce.
    max_carbon_intensity: float = Field(3.0, gt=0)
    # A region's value above its parent's times this fails.
    max_child_parent_ratio: float = Field(1.0, gt=0)
    # Check name -> severity (quarantine, warn), overriding the check's default.
    severities: dict[str, Severity] = {}
    # Rows validated per GX batch (bounded memory on large panels).
    max_batch_rows: int = Field(50_000, ge=1)

    @model_validator(mode="after")
    def _known_checks(self) -> "ValidationConfig":
        from validation.gate import check_names  # GX is heavy: import only when overrides are given

        unknown = sorted(set(self.severities) - set(check_names())) if self.severities else []
        if unknown:
            raise ValueError(f"validation.severities: unknown check(s) {unknown}; known: {sorted(check_names())}")
        schema = sorted(name for name in self.severities if name.startswith("schema."))
        if schema:  # without the contract's columns and types no other check can run
            raise ValueError(f"validation.severities: {schema} cannot be changed: a broken schema always makes the data unusable")
        if self.min_carbon_intensity >= self.max_carbon_intensity:
            raise ValueError("validation: min_carbon_intensity must be below max_carbon_intensity")
        return self

    def settings(self) -> GateSettings:
        return GateSettings(**self.model_dump())
