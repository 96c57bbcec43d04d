"""Test-session environment: Prefect state in a temporary home, never ~/.prefect.

Set before any test imports prefect, because Prefect reads its settings early.
"""

import os
import sys
import tempfile

# Same BLAS threading as the Dask workers, so in-process reference forecasts
# match the cluster's to the last digit.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="peakwatch-prefect-"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("PEAKWATCH_DASK_ADDRESS", None)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def default_runs_dir(tmp_path_factory):
    """Two `peakwatch run`s on the embedded default into one artifacts folder
    (real ephemeral Prefect server, Dask LocalCluster, SQLite MLflow store)."""
    from peakwatch import cli

    artifacts = tmp_path_factory.mktemp("default-runs")
    for _ in range(2):
        assert cli.main(["run", "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
    return artifacts


@pytest.fixture(autouse=True)
def _fresh_lease_services():
    """Prefect keeps one lease-acquiring service per concurrency limit name, with
    the client of the server it first talked to; tests start and stop their own
    servers, so a later test's lease (flows/lease.py) would go to a dead one."""
    yield
    if "prefect.concurrency.services" in sys.modules:
        sys.modules["prefect.concurrency.services"].ConcurrencySlotAcquisitionWithLeaseService.drain_all()
