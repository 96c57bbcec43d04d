"""The one place that knows where run outputs live under the artifacts folder."""

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


RUN_LOG = "peakwatch.log"  # in a run's folder: what Prefect, Dask, GX and MLflow logged during it


@dataclass(frozen=True)
class Catalog:
    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    def raw_snapshot(self, sha256: str, suffix: str) -> Path:
        return self.raw_dir / f"{sha256}{suffix}"

    @property
    def manifest(self) -> Path:
        return self.raw_dir / "manifest.jsonl"

    @property
    def http_cache(self) -> Path:
        """ETag / Last-Modified / sha256 of each URL's last download."""
        return self.raw_dir / "http-cache.json"

    # A pull's scratch folder (flows/sources/pull.py): beside the artifacts
    # rather than in /tmp, which may be memory (tmpfs); gone when the pull ends.
    PULL_SCRATCH_PREFIX = ".pull-"

    def stale_pull_scratch(self) -> list[Path]:
        """Scratch folders left by pulls that were killed. Only a run holding
        the folder's run lock may delete them: no other pull is running then."""
        return sorted(self.root.glob(f"{self.PULL_SCRATCH_PREFIX}*"))

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def report(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "report.html"

    def validation_dir(self, run_id: str) -> Path:
        """GX Data Docs of a run (``index.html`` inside)."""
        return self.run_dir(run_id) / "validation"

    @property
    def pending_root(self) -> Path:
        """Runs not yet in the tracking store (peakwatch/store/pending.py)."""
        return self.root / "pending"

    def pending_dir(self, pending_id: str) -> Path:
        return self.pending_root / pending_id

    def building_dir(self, pending_id: str) -> Path:
        """Where a run builds its payload; renamed to ``pending_dir`` when whole."""
        return self.pending_root / f".building-{pending_id}"

    def stale_building_dirs(self) -> list[Path]:
        """Payloads whose run was killed before they were whole. Only a run
        holding the folder's run lock may delete them: no other run builds then."""
        return sorted(self.pending_root.glob(".building-*"))

    def console_log(self, command: str = "run") -> Path:
        """The libraries' log of a ``peakwatch run`` while it runs (moved into its run folder as ``RUN_LOG`` at the end),
        or of a ``peakwatch sync`` (it stays here: one sync may publish several runs)."""
        return self.root / "logs" / f"{command}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}.log"

    def standalone_validation_dir(self) -> Path:
        """Data Docs of a ``peakwatch validate`` call (not a run)."""
        return self.root / "validate" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") / "validation"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.root / "mlartifacts"


@contextmanager
def _replaced_atomically(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path`` to write, renamed to ``path`` once written;
    removed when writing or the rename fails (e.g. ``path`` is a folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str | Iterable[str]) -> None:
    """Write to a temporary name beside ``path``, then rename: never half-written.
    Text may come as an iterable of pieces, written as they come (a 10 000-series
    payload is then never whole in memory)."""
    with _replaced_atomically(path) as tmp:
        if isinstance(data, (bytes, str)):
            tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        else:
            with tmp.open("w", encoding="utf-8") as out:
                out.writelines(data)


def copy_atomic(source: Path, path: Path) -> None:
    """Copy the file ``source`` to ``path`` as ``write_atomic`` writes: never half-written."""
    with _replaced_atomically(path) as tmp:
        shutil.copyfile(source, tmp)


def move_dir(source: Path, target: Path) -> Path:
    """Move a finished folder into place with one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    source.replace(target)
    return target
