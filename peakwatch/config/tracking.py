"""The MLflow tracking store and what is logged to it."""

from pydantic import Field

from peakwatch.config.base import Frozen


class TrackingConfig(Frozen):
    uri: str | None = None
    log_threads: int = Field(1, ge=1, le=16)  # >1 only for a remote, high-latency server
    # Fan charts (child-run fan_chart.png and the report's charts) for at most this
    # many statistical series, the most at risk first; null: every series.
    max_fan_charts: int | None = Field(100, ge=0)
