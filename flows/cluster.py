"""Which Dask cluster the fit stage runs on: a LocalCluster by default, or an
existing scheduler address. Chosen from config at run time."""

import logging

from prefect_dask import DaskTaskRunner

from flows.config import DaskConfig

# Each worker is a process with one thread; BLAS must not spawn more threads
# inside it, or the workers fight over the two cores.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def task_runner(config: DaskConfig) -> DaskTaskRunner:
    if config.address:
        return DaskTaskRunner(address=config.address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": config.n_workers,
            "threads_per_worker": config.threads_per_worker,
            "processes": True,
            "memory_limit": config.memory_limit,
            "env": SINGLE_THREAD_ENV,
            "host": "127.0.0.1",
            "dashboard_address": None,
            "silence_logs": logging.WARNING,
        },
    )


def n_partitions(config: DaskConfig, n_workers: int | None = None) -> int:
    """A few partitions per worker: enough to balance load, few enough that the
    ~100 ms Prefect/Dask overhead per task stays small next to the fits."""
    return (n_workers or config.n_workers) * config.partitions_per_worker
