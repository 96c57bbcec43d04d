import pytest

from peakwatch import cli


@pytest.fixture(scope="session")
def default_runs_dir(tmp_path_factory):
    """Two `peakwatch run`s on the embedded default into one artifacts folder
    (real ephemeral Prefect server, Dask LocalCluster, SQLite MLflow store)."""
    artifacts = tmp_path_factory.mktemp("default-runs")
    for _ in range(2):
        assert cli.main(["run", "--artifacts-dir", str(artifacts)]) == cli.EXIT_OK
    return artifacts
