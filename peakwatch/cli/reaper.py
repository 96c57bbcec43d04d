"""The servers and clusters a command starts never outlive it.

``peakwatch run`` starts an ephemeral Prefect server (a uvicorn process) and a
Dask LocalCluster (worker processes). They stop when the command ends, unless
it is killed (SIGKILL, the OOM killer): then nothing in it runs again, and its
children kept running, parented to init (a Prefect server still listening 19
minutes later). So ``guard_children`` marks the command's environment with a
token every child inherits, and starts a watchdog (``main``, a small process
in its own session) that reads a pipe only the command holds. However the
command ends, the kernel closes the pipe; the watchdog then stops every
process still carrying the token (SIGTERM, then SIGKILL) and names them on
stderr. After a clean end there is nothing left to stop.

Linux only (``/proc``), as the project is.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MARK = "PEAKWATCH_RUN_TOKEN"
SETTLE_SECONDS = 2.0  # what still runs this long after the command ended was left behind
GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL
_watchdog: tuple[subprocess.Popen, int] | None = None  # and the pipe's write end, held for this process's life


def guard_children() -> None:
    """Start the watchdog of this process's children (once per process)."""
    global _watchdog
    if _watchdog is not None:
        return
    token = f"{os.getpid()}-{os.urandom(6).hex()}"
    read_end, write_end = os.pipe()  # not inherited (PEP 446): only this process holds the write end
    env = {k: v for k, v in os.environ.items() if k != MARK}  # the watchdog must not find itself
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "peakwatch.cli.reaper", token],
        stdin=read_end, stdout=subprocess.DEVNULL, env=env,
        start_new_session=True,  # a Ctrl-C or a kill of the command's process group spares it
    )
    os.close(read_end)
    _watchdog = (watchdog, write_end)
    os.environ[MARK] = token


def marked(token: str) -> list[int]:
    """The processes whose environment carries ``token`` (this one aside)."""
    entry = f"{MARK}={token}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:  # gone, or another user's
            continue
        if entry in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


def describe(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = "?"
    return f"pid {pid} ({command[:80]})"


def stop(pids: list[int], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM, then SIGKILL whatever still runs after ``grace`` seconds."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has stopped; its parent (init, now) reaps it


def main(token: str) -> None:
    sys.stdin.buffer.read()  # returns when the command has ended, however it ended
    left = marked(token)
    deadline = time.monotonic() + SETTLE_SECONDS
    while left and time.monotonic() < deadline:  # helpers that end with the command (multiprocessing's tracker)
        time.sleep(0.1)
        left = [pid for pid in left if _alive(pid)]
    if not left:
        return
    owner = token.split("-")[0]
    names = ", ".join(describe(pid) for pid in left)
    stop(left)
    print(f"peakwatch: the command (pid {owner}) ended and left processes running; stopped: {names}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
