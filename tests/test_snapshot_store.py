"""The snapshot store publishes atomically and the reader follows the pointer."""
import duckdb
import pytest

from data.schema import create_schema
from data.warehouse import NoData, Warehouse
from etl.snapshot import LoaderBusy, SnapshotStore


def _build(store, value):
    with store.lock():
        sid, path = store.begin()
        con = duckdb.connect(str(path))
        create_schema(con)
        con.execute("CREATE OR REPLACE TABLE marker AS SELECT ? AS v", [value])
        con.execute("CHECKPOINT")
        con.close()
        store.publish(sid, path)
    return sid


def test_reader_without_snapshot_raises_nodata(tmp_path):
    wh = Warehouse(tmp_path / "warehouse")
    assert not wh.has_data
    with pytest.raises(NoData):
        wh.cursor()


def test_publish_switches_readers_to_new_snapshot(tmp_path):
    store = SnapshotStore(tmp_path / "warehouse")
    first = _build(store, "a")
    wh = Warehouse(store.root)
    assert wh.snapshot_id == first
    assert wh.rows("SELECT v FROM marker") == [("a",)]
    second = _build(store, "b")
    assert second != first
    assert wh.rows("SELECT v FROM marker") == [("b",)]
    # the new snapshot started as a copy of the published one
    assert wh.rows("SELECT count(*) FROM operations") == [(0,)]


def test_abandoned_build_leaves_published_snapshot_serving(tmp_path):
    store = SnapshotStore(tmp_path / "warehouse")
    first = _build(store, "a")
    with store.lock():
        sid, path = store.begin()
        con = duckdb.connect(str(path))
        con.execute("CREATE OR REPLACE TABLE marker AS SELECT 'half' AS v")
        con.close()
        # the loader "dies" here: nothing published
    wh = Warehouse(store.root)
    assert wh.snapshot_id == first
    assert wh.rows("SELECT v FROM marker") == [("a",)]
    with store.lock():
        removed = store.remove_stale_builds()
    assert removed and not any(p.exists() for p in removed)


def test_rollback_points_to_earlier_snapshot(tmp_path):
    store = SnapshotStore(tmp_path / "warehouse")
    first = _build(store, "a")
    _build(store, "b")
    store.point_to(first)
    assert Warehouse(store.root).rows("SELECT v FROM marker") == [("a",)]


def test_prune_keeps_recent_and_current(tmp_path):
    store = SnapshotStore(tmp_path / "warehouse")
    ids = [_build(store, str(i)) for i in range(7)]
    kept = store.published_ids()
    assert len(kept) == 5 and kept[-1] == ids[-1] == store.current_id()


def test_second_loader_is_refused_while_lock_held(tmp_path):
    store = SnapshotStore(tmp_path / "warehouse")
    with store.lock():
        other = SnapshotStore(tmp_path / "warehouse")
        with pytest.raises(LoaderBusy):
            with other.lock(wait=False):
                pass
