"""What a run tells: warnings (late series), changes since the previous run,
and the early warnings the notify step announced (with their deliveries)."""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from peakwatch.results.fields import pick, take
from peakwatch.results.series import SeriesKey


@dataclass(frozen=True, slots=True)
class SeriesWarning:
    """A series whose P(peak <= target) is below its threshold (``kind`` late)."""

    region_id: str
    indicator: str
    kind: str = "late"
    message: str = ""
    p_peak_by_target: float | None = None
    peak_year_median: float | None = None
    target_year: int | None = None
    threshold: float | None = None  # the region's: what p_peak_by_target was compared with

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


CHANGE_VALUES = (
    "unit",
    "peak_year_median_old",
    "peak_year_median_new",
    "p_peak_by_target_old",
    "p_peak_by_target_new",
    "threshold",
    "peak_value_old",
    "peak_value_new",
    "causes",
)
# Change kinds: a series gone or new; its forecast error; its projection.
APPEARED = ("new series", "no longer forecast")
ERROR_CHANGES = ("forecast error changed", "not forecast")


@dataclass(frozen=True, slots=True)
class Change:
    """What changed in one series since the previous run (results.changes)."""

    region_id: str
    indicator: str
    scenario: str
    change: str
    old: str | None = None  # the forecast errors, for ERROR_CHANGES
    new: str | None = None
    unit: str | None = None
    peak_year_median_old: float | None = None
    peak_year_median_new: float | None = None
    p_peak_by_target_old: float | None = None
    p_peak_by_target_new: float | None = None
    threshold: float | None = None
    peak_value_old: float | None = None
    peak_value_new: float | None = None
    causes: list[str] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        """Whether the change carries both runs' numbers (not a series gone, new or failing)."""
        return self.change not in APPEARED and self.change not in ERROR_CHANGES

    from_json = classmethod(take)

    def to_json(self) -> dict:
        out = {"region_id": self.region_id, "indicator": self.indicator, "scenario": self.scenario, "change": self.change}
        if self.change in ERROR_CHANGES:
            out.update(old=self.old, new=self.new)
        elif self.has_values:
            out.update(pick(self, CHANGE_VALUES))
        return out


@dataclass(frozen=True, slots=True)
class Alert:
    """A new early warning: ``kind`` late | crossed | drift (results.early_warnings)."""

    kind: str
    region_id: str
    name_en: str
    indicator: str
    scenario: str
    target_year: int
    threshold: float
    peak_year_median_old: float | None
    peak_year_median_new: float
    p_peak_by_target_old: float | None
    p_peak_by_target_new: float
    causes: tuple[str, ...]
    drifted: tuple[str, ...] = ()  # drift only: the rules that fired (early_warnings.DRIFT_RULES)
    message: str = ""  # one line, the same in the webhook message, the artifact and the summary

    @property
    def key(self) -> SeriesKey:
        return self.region_id, self.indicator, self.scenario

    def to_json(self) -> dict:
        out = pick(self, (f.name for f in fields(self)))
        return {**out, "causes": list(self.causes), "drifted": list(self.drifted)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "Alert":
        return take(cls, raw, causes=tuple(raw.get("causes", ())), drifted=tuple(raw.get("drifted", ())))


@dataclass(frozen=True, slots=True)
class LateSeries:
    """A series late again, not announced again; ``since``: the run date of its last warning."""

    region_id: str
    indicator: str
    scenario: str
    since: str | None
    p_peak_by_target: float

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


@dataclass(frozen=True, slots=True)
class BackOnTime:
    """A series late when last assessed and on time now."""

    region_id: str
    indicator: str
    scenario: str
    p_peak_by_target: float

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification block's delivery of the warnings."""

    block: str
    status: str  # sent | failed | missing
    attempts: int
    error: str | None = None

    from_json = classmethod(take)

    def to_json(self) -> dict:
        return pick(self, (f.name for f in fields(self)))


@dataclass(frozen=True, slots=True)
class EarlyWarnings:
    """What the notify step announced. ``delivery``: deferred (the run is not in
    MLflow yet), superseded, error, none, recorded, sent or failed."""

    alerts: tuple[Alert, ...] = ()
    still_late: tuple[LateSeries, ...] = ()
    back_on_time: tuple[BackOnTime, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    delivery: str = "deferred"
    error: str | None = None  # a failure of the step (after what was sent, if anything)
    superseded_by: str | None = None  # the newer run already in MLflow

    def to_json(self) -> dict:
        out = {
            "alerts": [a.to_json() for a in self.alerts],
            "still_late": [s.to_json() for s in self.still_late],
            "back_on_time": [s.to_json() for s in self.back_on_time],
            "deliveries": [d.to_json() for d in self.deliveries],
            "delivery": self.delivery,
        }
        if self.superseded_by is not None:
            out["superseded_by"] = self.superseded_by
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "EarlyWarnings":
        return take(
            cls,
            raw,
            alerts=tuple(Alert.from_json(a) for a in raw.get("alerts", ())),
            still_late=tuple(LateSeries.from_json(s) for s in raw.get("still_late", ())),
            back_on_time=tuple(BackOnTime.from_json(s) for s in raw.get("back_on_time", ())),
            deliveries=tuple(Delivery.from_json(d) for d in raw.get("deliveries", ())),
        )


# The summary's early warnings until the run is in MLflow (where their state lives).
DEFERRED_WARNINGS = EarlyWarnings()
