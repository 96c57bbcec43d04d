"""The Dask cluster the fit stage runs on."""

from pydantic import Field

from peakwatch.config.base import Frozen


class DaskConfig(Frozen):
    address: str | None = None
    n_workers: int = Field(2, ge=1)
    threads_per_worker: int = Field(1, ge=1)
    memory_limit: str = "4GiB"
    partitions_per_worker: int = Field(3, ge=1)
    # Upper bound on a partition (more partitions beyond workers x partitions_per_worker).
    max_series_per_partition: int = Field(250, ge=1)
