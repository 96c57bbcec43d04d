"""How far to trust today's P: the run's own panel, cut a few years before its
last year and scored with the peak-event protocol of ``peakwatch evaluate``
(forecasting.evaluation.calibration_check). One ``CalibrationCheck`` per cut,
in the summary (``calibration``), the report and the MLflow parent run."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from forecasting.evaluation import BASE_RATE, ENGINE, RANDOM_WALK, EventScores
from peakwatch.results.fields import pick, take

# forecaster -> the short name in MLflow metric keys
METRIC_NAMES = {ENGINE: "engine", BASE_RATE: "base_rate", RANDOM_WALK: "random_walk"}


@dataclass(frozen=True, slots=True)
class CalibrationCheck:
    """The event "no new high in cut+1..cut+window", scored on the series observed
    at ``cut``: each forecaster's Brier and log score (lower is better) and the
    engine's reliability table (bins of P: mean predicted, observed share, count)."""

    cut: int
    window: int
    series: int
    event_rate: float | None = None
    base_rate: float | None = None  # the event's rate at the five cuts before, the reference
    brier: dict[str, float] | None = None
    log_score: dict[str, float] | None = None
    reliability: tuple[dict, ...] = ()

    @classmethod
    def from_scores(cls, scores: EventScores) -> "CalibrationCheck":
        return cls.from_json(scores.as_summary())

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "CalibrationCheck":
        return take(cls, raw, reliability=tuple(raw.get("reliability") or ()))

    def to_json(self) -> dict:
        return {**pick(self, (f.name for f in fields(self))), "reliability": list(self.reliability)}

    def metrics(self) -> dict[str, float]:
        """MLflow parent-run metrics, keyed by the window: calibration_k5_brier_engine, ..."""
        prefix = f"calibration_k{self.window}"
        scores = {
            f"{prefix}_{score}_{METRIC_NAMES.get(name, name)}": value
            for score, by_forecaster in (("brier", self.brier), ("log_score", self.log_score))
            for name, value in (by_forecaster or {}).items()
        }
        counts = {f"{prefix}_series": float(self.series), f"{prefix}_cut_year": float(self.cut)}
        if self.event_rate is not None:
            counts[f"{prefix}_event_rate"] = self.event_rate
        return {**counts, **scores}


def trust_line(checks: tuple[CalibrationCheck, ...] | None) -> str | None:
    """One line for the console: the first (shortest-window) check's Brier
    against its references, or None when the run has no check with series."""
    check = next((c for c in checks or () if c.series and c.brier), None)
    if check is None:
        return None
    references = ", ".join(
        f"{name.split(' (')[0].replace(' with drift', '')} {value:.3f}" for name, value in check.brier.items() if name != ENGINE
    )
    rough = ", rough" if check.series < 30 else ""
    return (
        f"Trust: on this panel cut at {check.cut} ({check.series} series{rough}), P scored Brier "
        f"{check.brier[ENGINE]:.3f}; {references} (lower is better; details in the report)"
    )
