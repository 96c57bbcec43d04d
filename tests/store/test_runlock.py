import select
import subprocess
import sys

import pytest

from peakwatch.store.runlock import LOCK_NAME, RunLockedError, run_lock

HOLD = """
import sys, time
from pathlib import Path
from peakwatch.store.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    print("releasing", flush=True)
"""


def hold_lock(folder, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_is_refused_with_the_holder_named(tmp_path):
    holder = hold_lock(tmp_path, 30)
    try:
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}"):
            with run_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_waiting_run_gets_the_lock_when_the_first_finishes(tmp_path):
    holder = hold_lock(tmp_path, 1.0)
    with run_lock(tmp_path, wait_seconds=30, poll_seconds=0.1):
        # The holder says "releasing" just before it lets go: that line must
        # already be there when the waiter gets in.
        readable, _, _ = select.select([holder.stdout], [], [], 0)
        assert readable and holder.stdout.readline().strip() == "releasing"
    holder.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = hold_lock(tmp_path, 60)
    holder.kill()
    holder.wait()
    with run_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().startswith("pid ")
