"""The MLflow tracking store and what is logged to it."""

from pydantic import Field

from peakwatch.config.base import Frozen


class TrackingConfig(Frozen):
    # MLflow tracking URI; null: sqlite:///<artifacts_dir>/mlflow.db (env MLFLOW_TRACKING_URI).
    uri: str | None = None
    log_threads: int = Field(1, ge=1, le=16)  # >1 only for a remote, high-latency server
    # Fan charts (child-run fan_chart.png and the report's charts) for at most this
    # many statistical series, the most at risk first; null: every series.
    max_fan_charts: int | None = Field(100, ge=0)
    # Regions whose series' peak numbers are metrics of the parent run, side by
    # side in the MLflow compare view; null: the registry's regions with a plan target.
    watch: tuple[str, ...] | None = None
    # At most this many watched series (4 metrics each); the rest are left out, with a warning.
    max_watched_series: int = Field(50, ge=0, le=250)
    # A panel of at most this many series gets a child run per series; a larger one
    # only for the watched series and the charted ones (max_fan_charts).
    all_child_runs_up_to: int = Field(200, ge=0)
