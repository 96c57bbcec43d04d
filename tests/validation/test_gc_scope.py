import gc
import weakref

from validation.gc_scope import cycles_freed_on_exit


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
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with cycles_freed_on_exit():
            made = weakref.ref(Node())
        assert made() is None
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        gc.enable()
