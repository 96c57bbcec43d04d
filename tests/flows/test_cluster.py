"""How many partitions the fit stage makes: a few per worker, more when they
would grow past the configured bound."""

from flows.cluster import n_partitions
from flows.config import DaskConfig
from forecasting.series import partition


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


def test_local_cluster_workers_run_without_the_dask_profiler():
    from flows.cluster import task_runner

    runner = task_runner(DaskConfig())
    assert runner.cluster_kwargs["config"] == {"distributed.worker.profile.enabled": False}
