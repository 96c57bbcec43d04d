"""deploy/compose.yaml against what the `team` integration test starts from it
(tests/deploy/stack.py), and the rules the stack keeps: private network,
ports on 127.0.0.1 only, no secret in a committed file."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flows.cluster import SINGLE_THREAD_ENV, WORKER_CONFIG
from peakwatch.config import PROJECT_ROOT, load_config
from tests.deploy.stack import (
    DEPLOY, FOREIGN_ENV, IMAGE_ROOT, LOCAL_ONLY_ENV, PREFECT_YAML, START_ORDER, Site, env_file_example, interpolate,
    postgres_bin, postgres_major, read_compose,
)

PASSWORD = "test-password"
# Container-only names that must not survive the translation to this machine.
CONTAINER_NAMES = re.compile(r"\b(postgres|prefect-server|mlflow|dask-scheduler):\d+|0\.0\.0\.0|/srv/|/opt/peakwatch")


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path, {"POSTGRES_PASSWORD": PASSWORD})


def test_the_team_test_starts_every_service_of_the_compose_file():
    assert sorted(read_compose()["services"]) == sorted(START_ORDER)


def test_services_sit_on_the_private_network_and_publish_on_localhost_only():
    compose = read_compose()
    assert compose["networks"] == {"peakwatch": {}}
    for name, service in compose["services"].items():
        assert service["networks"] == ["peakwatch"], name
        assert "network_mode" not in service, name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this host"
            assert port.rsplit(":", 1)[1] in service["expose"], f"{name}: {port} is not a port it listens on"


def test_postgres_image_is_the_major_version_the_test_runs():
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        pytest.skip("PostgreSQL not installed (apt-get install -y postgresql)")
    image = read_compose()["services"]["postgres"]["image"]
    assert re.fullmatch(rf"postgres:{postgres_major()}(-[a-z]+)?", image), (image, postgres_bin())


def test_every_other_service_runs_peakwatchs_image_built_like_this_environment():
    compose = read_compose()
    for name, service in compose["services"].items():
        if name != "postgres":
            assert (service["image"], service["build"]) == (
                "peakwatch:latest", {"context": "..", "dockerfile": "deploy/Dockerfile"}
            ), name
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert re.search(rf"^FROM python:{python}-slim", dockerfile, re.M), f"the tests run on Python {python}"
    assert re.search(r"^RUN bash scripts/setup.sh$", dockerfile, re.M)  # requirements.lock, as here
    assert f"WORKDIR {IMAGE_ROOT}\n" in dockerfile


def test_local_commands_are_the_compose_commands_on_this_machine(site):
    def local(name, port):
        return str(site.ports[(name, port)])

    pg = f"postgresql://peakwatch:{PASSWORD}@127.0.0.1:{local('postgres', '5432')}"
    bin_dir = Path(sys.executable).parent
    assert site.command("mlflow") == [
        str(bin_dir / "mlflow"), "server", "--host", "127.0.0.1", "--port", local("mlflow", "5000"),
        "--workers", "2", "--backend-store-uri", f"{pg}/mlflow",
        "--artifacts-destination", str(site.root / "volumes" / "mlflow-artifacts"),
        "--allowed-hosts", f"127.0.0.1:{local('mlflow', '5000')},localhost:*,127.0.0.1:*",
    ]
    assert site.command("prefect-server") == [str(bin_dir / "prefect"), "server", "start"]
    assert site.environment("prefect-server")["PREFECT_API_DATABASE_CONNECTION_URL"] == (
        f"postgresql+asyncpg://peakwatch:{PASSWORD}@127.0.0.1:{local('postgres', '5432')}/prefect"
    )
    assert site.environment("prefect-worker") == {
        "PREFECT_API_URL": f"http://127.0.0.1:{local('prefect-server', '4200')}/api",
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{local('mlflow', '5000')}",
        "PEAKWATCH_DASK_ADDRESS": f"tcp://127.0.0.1:{local('dask-scheduler', '8786')}",
    }
    assert site.command("dask-scheduler")[2:] == [
        "--host", "127.0.0.1", "--port", local("dask-scheduler", "8786"),
        "--dashboard-address", f"127.0.0.1:{local('dask-scheduler', '8787')}",
    ]
    assert site.mounts("prefect-worker")[f"{IMAGE_ROOT}/configs"] == PROJECT_ROOT / "configs"


def test_nothing_of_the_containers_is_left_in_what_runs_here(site):
    compose = read_compose()
    for name, service in compose["services"].items():
        if name == "postgres":  # the image's own program: initdb/pg_ctl here
            continue
        for value in [*site.command(name)[1:], *site.environment(name).values()]:
            assert not CONTAINER_NAMES.search(value), f"{name}: {value!r} names a container"
        # the same variables as in the container, plus only those a local process needs
        assert set(site.environment(name)) == set(service.get("environment", {})), name
        # nor the test process's own Prefect, MLflow or Dask settings
        extra = set(site.process_env(name)) - set(site.environment(name)) - LOCAL_ONLY_ENV
        assert not [key for key in extra if FOREIGN_ENV.match(key)], name


def test_the_worker_sets_the_variables_peakwatch_reads(site, monkeypatch):
    for key, value in site.environment("prefect-worker").items():
        monkeypatch.setenv(key, value)
    config = load_config()
    env = site.environment("prefect-worker")
    assert (config.tracking_uri, config.dask.address) == (env["MLFLOW_TRACKING_URI"], env["PEAKWATCH_DASK_ADDRESS"])


def test_dask_workers_get_the_local_clusters_settings():
    env = read_compose()["services"]["dask-worker"]["environment"]
    dask_env = {f"DASK_{key.upper().replace('.', '__').replace('-', '_')}": str(value) for key, value in WORKER_CONFIG.items()}
    assert {k: v for k, v in env.items() if k.startswith("DASK_")} == dask_env
    assert SINGLE_THREAD_ENV.items() <= env.items()


def test_the_deployments_paths_are_mounted_on_the_worker(site):
    [deployment] = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    parameters = deployment["parameters"]
    config = Path(site.translate("prefect-worker", parameters["config_path"]))
    artifacts = Path(site.translate("prefect-worker", parameters["artifacts_dir"]))
    assert config == PROJECT_ROOT / "configs" / "peakwatch.yaml" and config.is_file()
    assert artifacts == site.root / "volumes" / "artifacts"  # a named volume, not the image's disk


def test_no_secret_is_committed():
    assert env_file_example()["POSTGRES_PASSWORD"] == "change-me"
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    # every password is the variable from deploy/.env
    assert re.findall(r"peakwatch:([^@\s]+)@", text) == ["${POSTGRES_PASSWORD}"] * 2
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, "deploy/.env must be git-ignored"


def test_a_missing_password_stops_the_stack_with_a_message():
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD is not set"):
        interpolate("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/.env}", {})
    assert interpolate("${PREFECT_UI_API_URL:-http://localhost:4200/api}", {}) == "http://localhost:4200/api"
