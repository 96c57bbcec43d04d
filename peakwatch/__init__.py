"""peakwatch: monthly peak-year projections of regional energy use and CO2
emissions, with early warnings. The rooms below ``peakwatch`` (contract,
config, sources, store, results, reporting, tracking, cli) and the card's
top-level packages (``flows``, ``forecasting``, ``validation``) are described
in docs/architecture.md.

Importing ``peakwatch`` sets how freed memory goes back to the system; it is
imported before Polars by every entry point (``flows``, ``forecasting`` and
``validation`` import the data contract from here).
"""

import ctypes
import os
import platform

# Polars' allocator (jemalloc) keeps freed pages for a while by default: at
# 10 000 series ~200 MB of the input's parsing stayed resident after it was
# done, and pulling and validating peaked ~100 MB higher. Hand them back at
# once. Read when Polars loads, so it is set here, before any module of the
# flow imports Polars; a value already in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

# Arrow's default pool (mimalloc in the pyarrow wheels) keeps what it frees
# until Arrow allocates again, and the flow's only Arrow work is validation's
# hand-over to pandas for GX: at 10 000 series ~30 MB stayed resident from
# validation to the end of the run. glibc's malloc (below) hands it back.
# Read when Arrow first allocates; a value already in the environment wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


# glibc serves a block from its heap once a block that size has been freed
# (its mmap threshold grows with the largest free, up to 32 MB), and a heap
# block freed below a live one is not handed back: at 10 000 series the
# pandas copies that validation makes left 120-180 MB free but resident for
# the rest of the run. A fixed trim threshold (Dask's setting for its
# workers) keeps large blocks in their own mappings, returned when freed.
# glibc reads MALLOC_TRIM_THRESHOLD_ at start; one already set there wins.
M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
if platform.libc_ver()[0] == "glibc" and "MALLOC_TRIM_THRESHOLD_" not in os.environ:
    ctypes.CDLL("libc.so.6").mallopt(M_TRIM_THRESHOLD, 64 * 1024)
