"""One run at a time per artifacts folder.

An exclusive ``flock`` on ``<artifacts>/.peakwatch-run.lock``: the kernel drops
it when the holder exits or crashes, so a killed run never leaves a stale lock.

The CLI takes the lock before it starts any server (a second run learns at
once that the folder is busy, not after Prefect has started); the flow takes
it again, for runs started by a deployment: within one process the lock is
re-entrant.
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

LOCK_NAME = ".peakwatch-run.lock"
_held: set[Path] = set()  # folders whose lock this process holds


class RunLockedError(RuntimeError):
    """Another run holds the artifacts folder."""


@contextmanager
def run_lock(folder: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.5) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    key = folder.resolve()
    if key in _held:  # ours already (the CLI took it before starting the flow)
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = path.read_text(encoding="utf-8").strip() or "unknown process"
                    raise RunLockedError(
                        f"another peakwatch run is using {folder} ({holder}); "
                        "wait for it to finish, or pass --wait SECONDS to queue behind it"
                    ) from None
                time.sleep(poll_seconds)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC".encode())
        _held.add(key)
        yield path
    finally:
        _held.discard(key)
        os.close(fd)  # closing the descriptor releases the lock
