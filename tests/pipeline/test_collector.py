"""The cycle collector paused and objects set aside for a stage, and left as they were after."""

import gc

import pytest

from pipeline.collector import collector_paused, set_aside


@pytest.fixture(autouse=True)
def _collector_as_found():
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    gc.unfreeze()
    if frozen:
        gc.freeze()
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_paused_in_the_block_and_running_again_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_runs_again_when_the_block_raises():
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_objects_set_aside_leave_the_collectors_passes_until_the_block_ends():
    gc.unfreeze()
    held = [[index] for index in range(1000)]
    with set_aside() as set_aside_now:
        assert gc.get_freeze_count() == 0
        set_aside_now()
        assert gc.get_freeze_count() >= len(held)
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_keeps_them_frozen():
    gc.freeze()
    frozen = gc.get_freeze_count()
    # Frozen objects may still die (the count then drops), so the check is: nothing new is frozen in the block,
    # and what the process froze is not unfrozen after it.
    held = [[index] for index in range(1000)]
    with set_aside() as set_aside_now:
        set_aside_now()
        assert gc.get_freeze_count() <= frozen, f"{len(held):,} objects made after the freeze were frozen"
    assert 0 < gc.get_freeze_count() <= frozen
