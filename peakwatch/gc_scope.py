"""Freeing reference cycles made inside a block, without walking the whole heap.

GX runs and matplotlib figures are webs of reference cycles that only Python's
cyclic collector frees, and with a large heap (a 10 000-series panel's run, or
a test process) a full collection is both rare and slow. Here the objects from
before the block are frozen, so the collection on the way out looks at the
block's own objects only.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycles_freed_on_exit() -> Iterator[None]:
    """Collect the garbage made inside the block as it ends (see the module's docstring)."""
    ours = not gc.get_freeze_count()  # not when someone else has frozen objects: unfreezing would undo theirs
    if ours:
        gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        if ours:
            gc.unfreeze()
