"""The region registry: identity, hierarchy and plan targets of each region."""

from typing import Literal

from pydantic import Field, model_validator

from forecasting.scenarios import PlanTargets
from peakwatch.config.base import Frozen


class IntensityCut(Frozen):
    period: tuple[int, int]  # first and last year; the cut is against the year before
    # The cut in energy per unit of GDP over the period, in percent.
    percent: float = Field(gt=0, lt=100)

    @model_validator(mode="after")
    def _ordered(self) -> "IntensityCut":
        if self.period[0] > self.period[1]:
            raise ValueError(f"period {list(self.period)} ends before it starts")
        return self


class Plan(Frozen):
    # The seed document the plan comes from (seeds/).
    seed: str
    # The plan's title.
    title: str
    # What the plan covers: the energy sector only or the whole economy.
    scope: Literal["energy_sector", "whole_economy"]
    # The year the plan says emissions peak by (the warning's target year).
    peak_target_year: int
    # Year -> planned non-fossil share of energy use, in percent.
    non_fossil_share: dict[int, float] | None = None
    # The planned cut in energy intensity over a five-year period.
    energy_intensity_cut: IntensityCut | None = None
    # Year -> planned new-energy capacity, in MW.
    new_energy_capacity_mw: dict[int, float] | None = None


class Region(Frozen):
    # Stable id, dotted from province down, e.g. hunan.yueyang.pingjiang.
    id: str
    # Administrative division code (GB/T 2260), if known.
    code: str | None = None
    # Chinese name, e.g. 平江县.
    name_zh: str
    # English or pinyin name, e.g. Pingjiang.
    name_en: str
    # Administrative level.
    level: Literal["province", "city", "county"]
    # Id of the region this one lies in (checked by validation.max_child_parent_ratio).
    parent: str | None = None
    # Other spellings sources use for this region (names, pinyin, old codes).
    aliases: tuple[str, ...] = ()
    # The region's carbon-peak plan and its targets; null: no target, no warnings.
    plan: Plan | None = None

    @property
    def target_year(self) -> int | None:
        return self.plan.peak_target_year if self.plan else None


class Registry(Frozen):
    # The regions, in the order reports list them.
    regions: tuple[Region, ...]

    def get(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def target_years(self) -> dict[str, int]:
        return {r.id: r.target_year for r in self.regions if r.target_year is not None}

    def names(self) -> dict[str, tuple[str, str]]:
        """region id -> (Chinese name, English name), for MLflow tags and the report."""
        return {r.id: (r.name_zh, r.name_en) for r in self.regions}

    def levels(self) -> dict[str, str]:
        """region id -> level (province, city, county): the forecast's pooling groups."""
        return {r.id: r.level for r in self.regions}

    def parents(self) -> dict[str, str]:
        """child region id -> parent region id, for the gate's hierarchy check."""
        return {r.id: r.parent for r in self.regions if r.parent}

    def plan_targets(self) -> dict[str, PlanTargets]:
        """The scenario simulation's slice of each region's plan."""
        targets = {}
        for region in self.regions:
            if region.plan is None:
                continue
            cut = region.plan.energy_intensity_cut
            targets[region.id] = PlanTargets(
                scope=region.plan.scope,
                non_fossil_share=region.plan.non_fossil_share,
                energy_intensity_cut=(cut.period[0], cut.period[1], cut.percent) if cut else None,
            )
        return targets
