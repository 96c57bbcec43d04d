"""Early-warning rules, per-region overrides and where warnings are sent."""

from pydantic import Field, field_validator

from peakwatch.config.base import Frozen


class WarningRule(Frozen):
    """When one series warns: ``late`` below the threshold, ``drift`` on a move."""

    # Warn when P(peak <= target year) is below this.
    p_peak_threshold: float = Field(0.5, ge=0, le=1)
    drift_years: float = Field(1.0, gt=0)  # median peak year later by at least this
    p_drop: float = Field(0.1, gt=0, le=1)  # or P(peak <= target) fell by more than this


class RuleOverride(Frozen):
    # This region's threshold (null: the default).
    p_peak_threshold: float | None = Field(None, ge=0, le=1)
    # This region's drift in years (null: the default).
    drift_years: float | None = Field(None, gt=0)
    # This region's drop in probability (null: the default).
    p_drop: float | None = Field(None, gt=0, le=1)


class NotifyConfig(Frozen):
    # Prefect notification blocks as "<block-type-slug>/<block-name>"; the
    # URL and any token live in the block, never here.
    blocks: tuple[str, ...] = ("custom-webhook/peakwatch-warnings",)
    # Retries of a failed delivery, per block.
    retries: int = Field(2, ge=0)
    # Wait between delivery retries.
    retry_delay_seconds: float = Field(5.0, ge=0)

    @field_validator("blocks")
    @classmethod
    def _slug_and_name(cls, blocks: tuple[str, ...]) -> tuple[str, ...]:
        for block in blocks:
            slug, _, name = block.partition("/")
            if not slug or not name:
                raise ValueError(f"block {block!r}: expected '<block-type-slug>/<block-name>'")
        return blocks


class WarningConfig(Frozen):
    # Warn when P(peak <= target year) is below this.
    p_peak_threshold: float = Field(0.5, ge=0, le=1)
    # Warn when the median peak year moved later by at least this many years.
    drift_years: float = Field(1.0, gt=0)
    # Warn when P(peak <= target year) fell by more than this since the previous run.
    p_drop: float = Field(0.1, gt=0, le=1)
    scenario: str = "statistical"  # the series warned about (results.series.DEFAULT_SCENARIO)
    # Region id -> its own thresholds, overriding the ones above.
    regions: dict[str, RuleOverride] = {}
    # Where warnings are delivered (Prefect notification blocks).
    notify: NotifyConfig = NotifyConfig()

    @field_validator("scenario")
    @classmethod
    def _statistical_only(cls, scenario: str) -> str:
        # Warnings are decided on the statistical forecast's rows; another name
        # would only relabel those numbers, not warn on that scenario's.
        if scenario != "statistical":
            raise ValueError(
                f"only 'statistical' is supported, not {scenario!r}: early warnings are decided on the "
                "statistical forecast (scenario results are not assessed); remove the key or set it to statistical"
            )
        return scenario

    def rule_for(self, region_id: str) -> WarningRule:
        """The defaults, with this region's overrides (if any) on top."""
        override = self.regions.get(region_id)
        base = self.model_dump(include={"p_peak_threshold", "drift_years", "p_drop"})
        if override:
            base.update(override.model_dump(exclude_none=True))
        return WarningRule(**base)

    def threshold_overrides(self) -> dict[str, float]:
        return {r: o.p_peak_threshold for r, o in self.regions.items() if o.p_peak_threshold is not None}
