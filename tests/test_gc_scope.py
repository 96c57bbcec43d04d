import gc
import weakref

from peakwatch.gc_scope import cycles_freed_on_exit


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_cycle_made_inside_is_freed_on_exit_and_nothing_stays_frozen():
    gc.disable()  # no automatic collection: only the scope's own can free the cycle
    try:
        kept = Node()
        with cycles_freed_on_exit():
            made = weakref.ref(Node())
            assert made() is not None
        assert made() is None
        assert gc.get_freeze_count() == 0
        assert kept.me is kept
    finally:
        gc.enable()


def test_inside_someone_elses_freeze_it_still_frees_and_leaves_their_freeze():
    gc.disable()
    theirs = Node()
    gc.freeze()
    try:
        with cycles_freed_on_exit():
            made = weakref.ref(Node())
        assert made() is None
        # still frozen: the collector's generations (what get_objects lists) do not hold it
        # (not a freeze count: other threads' frozen objects may be freed meanwhile)
        assert not any(obj is theirs for obj in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.enable()
