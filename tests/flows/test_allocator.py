"""Polars' allocator hands freed memory back at once in any process that imports
the flows (flows/__init__.py): a fresh interpreter, since the setting is read
when Polars loads."""

import subprocess
import sys

PROBE = """
import flows, polars as pl, psutil
me = psutil.Process()
before = me.memory_info().rss
column = pl.Series(range(20_000_000), dtype=pl.Float64) * 2.0  # ~150 MB
held = me.memory_info().rss - before
del column
print(held // 2**20, (me.memory_info().rss - before) // 2**20)
"""


def test_memory_freed_by_polars_goes_back_to_the_system_at_once():
    env = {"PATH": "/usr/bin:/bin"}  # no _RJEM_MALLOC_CONF from outside
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True).stdout
    held, left = map(int, out.split())
    assert held > 100, out
    # with jemalloc's default decay the ~150 MB would still be resident here
    assert left < 30, out
