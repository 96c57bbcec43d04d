"""Freed memory goes back to the system at once in any process that imports the
flows (flows/__init__.py), from Polars' allocator, Arrow's and glibc's: each
test runs a fresh interpreter, since the settings are read when the process
starts or the library first allocates."""

import platform
import subprocess
import sys

import pytest

PROBE = """
import flows, polars as pl, psutil
me = psutil.Process()
before = me.memory_info().rss
column = pl.Series(range(20_000_000), dtype=pl.Float64) * 2.0  # ~150 MB
held = me.memory_info().rss - before
del column
print(held // 2**20, (me.memory_info().rss - before) // 2**20)
"""


def _run_probe(script: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """What ``script`` prints, run in a fresh interpreter that gets no allocator
    settings from outside (_RJEM_MALLOC_CONF, MALLOC_TRIM_THRESHOLD_,
    ARROW_DEFAULT_MEMORY_POOL) but those in ``env``."""
    env = {"PATH": "/usr/bin:/bin", **(env or {})}
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout.split()


def test_memory_freed_by_polars_goes_back_to_the_system_at_once():
    held, left = map(int, _run_probe(PROBE))
    assert held > 100, (held, left)
    # with jemalloc's default decay the ~150 MB would still be resident here
    assert left < 30, (held, left)


HEAP_PROBE = """
import sys
if sys.argv[1] == "import-flows":
    import flows
import psutil
me = psutil.Process()
big = bytearray(16 * 2**20)
del big  # glibc's default: once a 16 MB block is freed, blocks up to that size come from its heap
before = me.memory_info().rss
blocks, survivors = [], []
for _ in range(40):
    blocks.append(bytearray(2**20))
    survivors.append(bytearray(4096))  # a small object still alive above each block
held = me.memory_info().rss - before
del blocks
print(held // 2**20, (me.memory_info().rss - before) // 2**20)
"""


def _heap_probe(mode: str) -> tuple[int, int]:
    held, left = map(int, _run_probe(HEAP_PROBE, mode))
    return held, left


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's (other C libraries differ)")
def test_heap_blocks_freed_below_live_objects_go_back_to_the_system():
    held, left = _heap_probe("plain")
    assert held > 35 and left > 35, (held, left)  # glibc's default: the 40 MB stay resident
    held, left = _heap_probe("import-flows")
    assert held > 35 and left < 5, (held, left)


ARROW_PROBE = """
import sys, time
if sys.argv[1] == "import-flows":
    import flows
import numpy as np, psutil, pyarrow as pa, pyarrow.compute as pc
me = psutil.Process()
ones = np.ones(2**17)
before = me.memory_info().rss
arrays = [pc.add(pa.array(ones), 1.0) for _ in range(100)]  # 1 MB each, from Arrow's default pool
held = me.memory_info().rss - before
del arrays
time.sleep(0.5)
print(pa.default_memory_pool().backend_name, held // 2**20, (me.memory_info().rss - before) // 2**20)
"""


def _arrow_probe(mode: str, env: dict[str, str] | None = None) -> tuple[str, int, int]:
    backend, held, left = _run_probe(ARROW_PROBE, mode, env=env)
    return backend, int(held), int(left)


def test_memory_freed_by_arrow_goes_back_to_the_system():
    backend, held, left = _arrow_probe("plain")
    assert held > 80 and left > 80, (backend, held, left)  # the wheel's mimalloc keeps it all
    backend, held, left = _arrow_probe("import-flows")
    assert backend == "system"
    assert held > 80 and left < held / 2, (backend, held, left)


def test_an_arrow_pool_set_in_the_environment_wins():
    backend, _, _ = _arrow_probe("import-flows", {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"})
    assert backend == "jemalloc"
