"""deploy/compose.yaml's stack, started on this machine for the `team` tests.

No containers here: each service runs from its compose command and
environment, translated to this machine by ``Site``: service names and
container ports become 127.0.0.1 and free ports, volumes become folders in a
temporary directory, the image's /opt/peakwatch this checkout, and programs
the virtual environment's. PostgreSQL runs from Debian's package
(initdb/pg_ctl) with the compose service's user, password and init script.
Every service is a process (group) of its own, stopped at the end.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from peakwatch.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
IMAGE_ROOT = "/opt/peakwatch"  # deploy/Dockerfile's WORKDIR: the checkout, in the image
BIN = Path(sys.executable).parent
# The order services start in (each waits for the ones before it to answer).
START_ORDER = ("postgres", "prefect-server", "mlflow", "dask-scheduler", "dask-worker", "prefect-worker")
# Set for local processes only. A container has a home of its own; here each
# process gets its own Prefect home. The worker polls every 2 s, not 10: the
# test's runs start sooner.
LOCAL_ONLY_ENV = {"PREFECT_HOME", "PREFECT_WORKER_QUERY_SECONDS"}
# What the host's environment must not lend a service (compose gives none of it).
FOREIGN_ENV = re.compile(r"^(PREFECT_|MLFLOW_|PEAKWATCH_|DASK_)")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def read_compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}."""

    def substitute(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return rest
        raise KeyError(f"{COMPOSE}: {name} is not set ({rest or 'no default'})")

    return INTERPOLATION.sub(substitute, value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_file_example() -> dict[str, str]:
    """deploy/.env.example as a mapping."""
    pairs = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@dataclass
class Site:
    """Where the compose file's names point on this machine."""

    root: Path
    env: dict[str, str]  # what deploy/.env would hold (the test's own password)
    compose: dict = field(default_factory=read_compose)
    ports: dict[tuple[str, str], int] = field(default_factory=dict)  # (service, container port) -> local port

    def __post_init__(self) -> None:
        for name, service in self.compose["services"].items():
            for port in service.get("expose", []):
                self.ports.setdefault((name, str(port)), free_port())

    def service(self, name: str) -> dict:
        return self.compose["services"][name]

    def volume(self, name: str) -> Path:
        path = self.root / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def mounts(self, name: str) -> dict[str, Path]:
        """Container path -> local folder, for the service's volumes and the image's root."""
        found = {IMAGE_ROOT: PROJECT_ROOT}
        for spec in self.service(name).get("volumes", []):
            source, target = spec.split(":")[:2]
            local = (DEPLOY / source).resolve() if source.startswith((".", "/")) else self.volume(source)
            found[target] = local
        return found

    def translate(self, name: str, value: str) -> str:
        """A command argument or environment value of service ``name``, for this machine."""
        value = interpolate(str(value), self.env)
        own = {port: local for (service, port), local in self.ports.items() if service == name}
        if value in own:  # e.g. `--port 5000`
            return str(own[value])
        for (service, port), local in self.ports.items():
            value = value.replace(f"{service}:{port}", f"127.0.0.1:{local}")
        for port, local in own.items():
            value = value.replace(f"0.0.0.0:{port}", f"127.0.0.1:{local}")
        if value == "0.0.0.0":
            return "127.0.0.1"
        # the longest container path first (/opt/peakwatch/configs before /opt/peakwatch)
        for target, local in sorted(self.mounts(name).items(), key=lambda m: -len(m[0])):
            if value == target or value.startswith(target + "/"):
                return str(local) + value[len(target):]
        return value

    def command(self, name: str) -> list[str]:
        """The service's command on this machine."""
        program, *args = self.service(name)["command"]
        return [str(BIN / program), *(self.translate(name, a) for a in args)]

    def environment(self, name: str) -> dict[str, str]:
        """The service's environment (compose's, translated), without the host's."""
        return {key: self.translate(name, value) for key, value in self.service(name).get("environment", {}).items()}

    def process_env(self, name: str) -> dict[str, str]:
        """What the local process gets: the host's environment less anything a
        container would not have, a Prefect home of its own, then compose's."""
        base = {k: v for k, v in os.environ.items() if not FOREIGN_ENV.match(k)}
        home = self.root / "homes" / name
        home.mkdir(parents=True, exist_ok=True)
        return {**base, "PREFECT_HOME": str(home), "PREFECT_WORKER_QUERY_SECONDS": "2", **self.environment(name)}

    def url(self, name: str, port: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[(name, port)]}"


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL's programs (apt-get install postgresql)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)")
    return found[-1].parent


def postgres_major() -> str:
    return postgres_bin().parent.name


class Stack:
    """The services, started in START_ORDER; ``stop`` ends them all."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None):
        self.site = Site(root, dict(env or {"POSTGRES_PASSWORD": secrets.token_hex(16)}))
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.pgdata: Path | None = None

    # -- PostgreSQL, as the postgres image would run it ------------------------------------

    def as_postgres(self) -> list[str]:
        """Run as the `postgres` system user when root (PostgreSQL refuses root)."""
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start_postgres(self) -> None:
        env = self.site.environment("postgres")
        user, password = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]
        port = self.site.ports[("postgres", "5432")]
        # Not under pytest's tmp folders: the postgres user must reach it.
        self.pgdata = Path(tempfile.mkdtemp(prefix="peakwatch-pg-"))
        pwfile = self.pgdata / "pw"
        pwfile.write_text(password, encoding="utf-8")
        if os.geteuid() == 0:
            shutil.chown(self.pgdata, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        pg = postgres_bin()
        data = self.pgdata / "data"
        log = self.logs / "postgres.log"
        self.run_logged(
            [*self.as_postgres(), str(pg / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}",
             "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8"], log,
        )
        # fsync off: a test's throwaway database (Prefect's migrations commit a lot)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={self.pgdata} -c fsync=off"
        self.run_logged(
            [*self.as_postgres(), str(pg / "pg_ctl"), "-D", str(data), "-l", str(self.pgdata / "server.log"),
             "-o", options, "-w", "-t", "60", "start"], log,
        )
        # the image runs /docker-entrypoint-initdb.d/*.sql on a new data folder
        for target, local in self.site.mounts("postgres").items():
            if target.startswith("/docker-entrypoint-initdb.d/"):
                self.run_logged(
                    [str(pg / "psql"), "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", user,
                     "-d", "postgres", "-f", str(local)], log, env={**os.environ, "PGPASSWORD": password},
                )

    def stop_postgres(self) -> None:
        if self.pgdata is None:
            return
        subprocess.run(
            [*self.as_postgres(), str(postgres_bin() / "pg_ctl"), "-D", str(self.pgdata / "data"), "-m", "fast",
             "-w", "stop"], capture_output=True, timeout=60,
        )
        log = self.pgdata / "server.log"
        if log.exists():
            shutil.copy(log, self.logs / "postgres-server.log")
        shutil.rmtree(self.pgdata, ignore_errors=True)
        self.pgdata = None

    def run_logged(self, cmd: list[str], log: Path, env: Mapping[str, str] | None = None) -> None:
        with log.open("ab") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{self.tail(log)}")

    # -- the other services ---------------------------------------------------------------

    def start(self, name: str) -> None:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            self.procs[name] = subprocess.Popen(
                self.site.command(name), env=self.site.process_env(name), cwd=PROJECT_ROOT,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,  # its children go with it
            )

    def wait_until(self, name: str, ready: Callable[[], bool], seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(self.logs / f'{name}.log')}")
            try:
                if ready():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} not ready after {seconds:.0f} s:\n{self.tail(self.logs / f'{name}.log')}")

    def up(self) -> "Stack":
        """Start every service and wait until each answers."""
        self.start_postgres()
        for name in ("prefect-server", "mlflow", "dask-scheduler"):  # they start side by side
            self.start(name)
        prefect, mlflow = self.prefect_api, self.mlflow_url
        self.wait_until("prefect-server", lambda: httpx.get(f"{prefect}/health", timeout=5).status_code == 200)
        self.wait_until("mlflow", lambda: httpx.get(f"{mlflow}/health", timeout=5).status_code == 200)
        self.wait_until("dask-scheduler", lambda: socket.create_connection(self.dask_address_tuple, 2).close() is None)
        self.start("dask-worker")
        self.start("prefect-worker")
        self.wait_until("dask-worker", self.dask_workers_ready)
        self.wait_until("prefect-worker", self.worker_online)
        return self

    @property
    def prefect_api(self) -> str:
        return self.site.url("prefect-server", "4200") + "/api"

    @property
    def mlflow_url(self) -> str:
        return self.site.url("mlflow", "5000")

    @property
    def dask_address(self) -> str:
        return self.site.url("dask-scheduler", "8786", scheme="tcp")

    @property
    def dask_address_tuple(self) -> tuple[str, int]:
        return "127.0.0.1", self.site.ports[("dask-scheduler", "8786")]

    def dask_workers_ready(self) -> bool:
        from distributed import Client

        command = self.site.command("dask-worker")
        expected = int(command[command.index("--nworkers") + 1])
        with Client(self.dask_address, timeout=10) as client:
            return len(client.scheduler_info(n_workers=-1)["workers"]) >= expected

    def worker_online(self) -> bool:
        pool = self.work_pool
        response = httpx.post(f"{self.prefect_api}/work_pools/{pool}/workers/filter", json={}, timeout=5)
        return response.status_code == 200 and any(w["status"] == "ONLINE" for w in response.json())

    @property
    def work_pool(self) -> str:
        command = self.site.service("prefect-worker")["command"]
        return command[command.index("--pool") + 1]

    def stop(self) -> None:
        """End every process group (SIGTERM, then SIGKILL), then PostgreSQL."""
        for name in reversed(list(self.procs)):
            self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            self.signal(name, signal.SIGKILL)  # whatever is left of the group (flow runs, nannies)
            if proc.poll() is None:
                proc.wait(timeout=10)
        self.stop_postgres()

    def signal(self, name: str, sig: int) -> None:
        try:
            os.killpg(self.procs[name].pid, sig)
        except ProcessLookupError:
            pass

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    @staticmethod
    def tail(path: Path, chars: int = 4000) -> str:
        return path.read_text(errors="replace")[-chars:] if path.exists() else f"({path.name}: no log)"

    def report(self) -> str:
        """The end of every service's log, for a failed test."""
        return "\n".join(f"----- {log.name}\n{self.tail(log)}" for log in sorted(self.logs.glob("*.log")))
