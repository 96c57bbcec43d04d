"""Which Dask cluster the fit stage runs on: a LocalCluster by default, or an
existing scheduler address. Chosen from config at run time."""

import logging
import math

import dask
from prefect_dask import DaskTaskRunner

from peakwatch.config import DaskConfig

# Each worker is a process with one thread; BLAS must not spawn more threads
# inside it, or the workers fight over the two cores.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# Dask config for LocalCluster workers. The statistical profiler keeps every
# distinct stack it samples; over statsmodels' deep stacks it grew a worker
# by ~90 KB per series fitted (flat without it).
# Dask keeps logs "for developers" of up to 1 000 recent messages per
# connection, each message under 1 MB whole: the scheduler's log of what it
# sent a worker held every partition's series inputs until the cluster closed
# (a LocalCluster's scheduler runs in the flow process), and a worker's log
# its own. Not kept, on either side (``scheduler_side_config``).
NO_DEVELOPER_LOGS = {"distributed.admin.low-level-log-length": 0}
# A Dask process's event loop wakes for housekeeping: a tick every 20 ms (to
# notice a blocked loop), a memory check every 100 ms, system metrics every
# 500 ms. In a worker each wake takes the GIL from the thread fitting, and the
# handoffs cost that thread more than the wakes cost the loop: the same 60
# fits took a worker 32 % more CPU than a plain loop, 0.1 % at these
# intervals. The price: a worker past its memory limit is caught within a
# second, not 100 ms. The flow process (a LocalCluster's scheduler and
# nannies) shares the two cores with the workers, so it wakes as seldom.
QUIET_EVENT_LOOP = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
SHARED_CONFIG = {**NO_DEVELOPER_LOGS, **QUIET_EVENT_LOOP}
WORKER_CONFIG = {"distributed.worker.profile.enabled": False, **SHARED_CONFIG}


def scheduler_side_config() -> dask.config.set:
    """Dask config for the flow process (the client, and a LocalCluster's
    scheduler and nannies): read as each connection opens and each server
    starts, so start the cluster inside."""
    return dask.config.set(SHARED_CONFIG)


def task_runner(config: DaskConfig, prefect_api_url: str | None = None) -> DaskTaskRunner:
    """The Dask task runner for the fit stage: the scheduler at ``config.address``,
    else a LocalCluster (``local_cluster_kwargs``). Workers of an existing
    scheduler need PREFECT_API_URL in their own env."""
    if config.address:
        return DaskTaskRunner(address=config.address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs(config, prefect_api_url)
    )


def local_cluster_kwargs(config: DaskConfig, prefect_api_url: str | None = None) -> dict:
    """The LocalCluster the flow starts (``peakwatch bench`` starts the same one).

    ``prefect_api_url`` is handed to the workers so that they report to the
    flow's own Prefect server instead of each starting an ephemeral one.
    """
    env = dict(SINGLE_THREAD_ENV)
    if prefect_api_url:
        env["PREFECT_API_URL"] = prefect_api_url
    return {
        "n_workers": config.n_workers,
        "threads_per_worker": config.threads_per_worker,
        "processes": True,
        "memory_limit": config.memory_limit,
        "env": env,
        "config": WORKER_CONFIG,
        "host": "127.0.0.1",
        "dashboard_address": None,
        "silence_logs": logging.WARNING,
    }


def n_partitions(config: DaskConfig, n_series: int, n_workers: int | None = None) -> int:
    """A few partitions per worker: enough to balance load, few enough that the
    ~100 ms Prefect/Dask overhead per task stays small next to the fits. More
    when partitions would exceed ``max_series_per_partition``: a worker then
    holds a bounded slice at a time, and progress arrives every few seconds
    rather than once per worker-sized chunk of the whole run."""
    per_worker = (n_workers or config.n_workers) * config.partitions_per_worker
    return max(per_worker, math.ceil(n_series / config.max_series_per_partition))
