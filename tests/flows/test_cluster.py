"""How many partitions the fit stage makes: a few per worker, more when they
would grow past the configured bound; what the cluster keeps of them."""

import gc
import time
from fractions import Fraction

from distributed import Client, LocalCluster

from flows.cluster import local_cluster_kwargs, n_partitions, scheduler_side_config
from forecasting.series import partition
from peakwatch.config import DaskConfig


def test_a_few_partitions_per_worker_for_small_runs():
    config = DaskConfig(n_workers=2, partitions_per_worker=3, max_series_per_partition=250)
    assert n_partitions(config, 10) == 6
    assert n_partitions(config, 1500) == 6


def test_partitions_never_exceed_the_bound_at_scale():
    config = DaskConfig(n_workers=2, partitions_per_worker=3, max_series_per_partition=250)
    for n_series in (1501, 10_000, 12_345):
        parts = partition(list(range(n_series)), n_partitions(config, n_series))
        assert max(len(p) for p in parts) <= 250
        assert sum(len(p) for p in parts) == n_series


def test_a_scheduler_with_more_workers_gets_more_partitions():
    config = DaskConfig(n_workers=2, partitions_per_worker=3)
    assert n_partitions(config, 100, n_workers=8) == 24


def _intervals_ms(server) -> dict[str, float]:
    return {name: callback.callback_time for name, callback in server.periodic_callbacks.items()}


def test_the_cluster_wakes_seldom_and_workers_run_without_the_profiler():
    """Each wake of a worker's event loop takes the GIL from the fits: at Dask's
    default intervals a worker spent ~30 % more CPU on the same fits than a
    plain loop. Read on the running worker, nanny and scheduler, not from the
    kwargs, so a config key Dask stopped reading fails here."""
    with scheduler_side_config(), LocalCluster(**local_cluster_kwargs(DaskConfig(n_workers=1))) as cluster, Client(
        cluster
    ) as client:
        (worker,) = client.run(lambda dask_worker: _intervals_ms(dask_worker)).values()
        (nanny_server,) = cluster.workers.values()
        nanny = _intervals_ms(nanny_server)
        for server in (worker, nanny, _intervals_ms(cluster.scheduler)):
            assert server["tick"] == 1000
            assert server["monitor"] == 2000  # system metrics
        assert worker["memory_monitor"] == nanny["memory_monitor"] == 1000
        assert "profile" not in worker


def _live_fractions() -> int:
    gc.collect()
    return sum(isinstance(o, Fraction) for o in gc.get_objects())


def test_the_flow_process_lets_go_of_a_finished_tasks_inputs():
    """Dask logged every message under 1 MB whole (up to 1 000 per connection),
    a task's arguments included: with the scheduler in the flow process, every
    partition's series inputs stayed until the cluster closed."""
    assert _live_fractions() == 0
    with scheduler_side_config(), LocalCluster(**local_cluster_kwargs(DaskConfig(n_workers=1))) as cluster, Client(
        cluster
    ) as client:
        future = client.submit(sum, [Fraction(i, 7) for i in range(100)])
        assert future.result() == Fraction(4950, 7)
        future.release()
        deadline = time.monotonic() + 30  # the release reaches the scheduler asynchronously
        while (live := _live_fractions()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live == 0
