"""The Dask cluster the fit stage runs on."""

from pydantic import Field

from peakwatch.config.base import Frozen


class DaskConfig(Frozen):
    # An existing scheduler, e.g. tcp://10.0.0.5:8786; null: a local cluster (env PEAKWATCH_DASK_ADDRESS).
    address: str | None = None
    # Worker processes of the local cluster.
    n_workers: int = Field(2, ge=1)
    # Threads per worker (statsmodels is not thread-friendly: keep 1).
    threads_per_worker: int = Field(1, ge=1)
    # Memory limit per local worker, e.g. 4GiB.
    memory_limit: str = "4GiB"
    # Partitions of series per worker (a partition is one Dask task).
    partitions_per_worker: int = Field(3, ge=1)
    # Upper bound on a partition (more partitions beyond workers x partitions_per_worker).
    max_series_per_partition: int = Field(250, ge=1)
