"""A damaged snapshot is noticed and undone (issue 10, part 4): the app and
`etl status` check the published snapshot when they open it, the app keeps
serving the last good one and /healthz says why, `etl rollback` publishes an
earlier intact snapshot, `etl snapshots` lists them, and runs that only
reject files evict no rollback point."""
from __future__ import annotations

from data.warehouse import NoData, Warehouse
from etl.snapshot import KEEP_SNAPSHOTS, SnapshotStore
from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, spor_row, write_csv


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _second_snapshot(wh, files) -> tuple[str, str]:
    store = SnapshotStore(helpers.warehouse_dir(wh))
    first = store.current_id()
    helpers.load(wh, write_csv(files / "spor_20261104.csv", SPOR_HEADER, [spor_row(700 + i) for i in range(5)]))
    return first, store.current_id()


def test_a_truncated_snapshot_is_refused_and_the_last_good_one_keeps_serving(wh, files):
    store = SnapshotStore(helpers.warehouse_dir(wh))
    serving = Warehouse(helpers.warehouse_dir(wh))
    good_id = serving.snapshot_id
    n_before = serving.rows("SELECT count(*) FROM operations")[0][0]
    first, second = _second_snapshot(wh, files)
    assert first == good_id and second != first
    _truncate(store.path_for(second))
    assert serving.snapshot_id == good_id and serving.damaged and "skadad" in serving.damaged
    assert serving.rows("SELECT count(*) FROM operations")[0][0] == n_before  # still answering
    fresh = Warehouse(helpers.warehouse_dir(wh))
    try:
        fresh.rows("SELECT 1")
        raise AssertionError("a damaged snapshot must not be served")
    except NoData as exc:
        assert "etl rollback" in str(exc)
    serving.close()


def test_healthz_reports_a_damaged_snapshot(tmp_path, files):
    from app import create_app
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    server = create_app(make_settings(data_dir))
    client = server.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/healthz").status_code == 200
    _, second = _second_snapshot(data_dir, files)
    _truncate(SnapshotStore(helpers.warehouse_dir(data_dir)).path_for(second))
    server.extensions["warehouse"].snapshot_id  # this app had the good snapshot open: it keeps serving it
    resp = client.get("/healthz")
    assert resp.status_code == 200 and "skadad" in resp.get_json()["varning"]
    fresh = create_app(make_settings(data_dir)).test_client()  # a server started now has nothing to serve
    resp = fresh.get("/healthz")
    assert resp.status_code == 503 and "skadad" in resp.get_json()["fel"] and "rollback" in resp.get_json()["fel"]


def test_status_fails_and_rollback_restores_the_previous_intact_snapshot(wh, files):
    store = SnapshotStore(helpers.warehouse_dir(wh))
    first, second = _second_snapshot(wh, files)
    _truncate(store.path_for(second))
    status = helpers.run_cli(wh, "status")
    assert status.returncode == 1 and "kan inte användas" in status.stderr and "rollback" in status.stderr
    listing = helpers.run_cli(wh, "snapshots")
    assert listing.returncode == 0 and "SKADAD" in listing.stdout and first in listing.stdout
    back = helpers.run_cli(wh, "rollback")
    assert back.returncode == 0, back.stdout + back.stderr
    assert store.current_id() == first and f"{first} är publicerad nu" in back.stdout
    assert helpers.run_cli(wh, "status").returncode == 0
    refused = helpers.run_cli(wh, "rollback", second)
    assert refused.returncode == 2 and "Återställer inte" in refused.stderr


def test_runs_that_only_reject_files_evict_no_rollback_point(wh, files):
    store = SnapshotStore(helpers.warehouse_dir(wh))
    for i in range(KEEP_SNAPSHOTS):
        helpers.load(wh, write_csv(files / f"spor_202611{10 + i:02d}.csv", SPOR_HEADER,
                                   [spor_row(2000 + 10 * i + j) for j in range(3)]))
    data_points = store.published_ids()
    for i in range(KEEP_SNAPSHOTS + 2):
        bad = files / f"bad_{i}" / f"spor_202611{20 + i:02d}.csv"
        bad.parent.mkdir()
        bad.write_text("inte;en;rubrik\n1;2;3\n", encoding="utf-8")
        assert helpers.load(wh, bad).files[0].outcome == "rejected"
    ids = store.published_ids()
    assert set(data_points[-KEEP_SNAPSHOTS:]) <= set(ids)  # every rollback point is still there
    assert len(ids) <= KEEP_SNAPSHOTS + 1


def test_the_api_says_why_instead_of_a_500_on_a_damaged_snapshot(tmp_path, files):
    from app import create_app
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    _, second = _second_snapshot(data_dir, files)
    _truncate(SnapshotStore(helpers.warehouse_dir(data_dir)).path_for(second))
    client = logged_in_client(create_app(make_settings(data_dir)), *READER)
    for url in ("/api/v1/meta", "/api/v1/waits?kva=NGB&period=90"):
        resp = client.get(url)
        assert resp.status_code == 503, (url, resp.status_code)
        assert "etl rollback" in resp.get_json()["fel"] and "Traceback" not in resp.get_data(as_text=True)


def test_the_pages_say_maintenance_on_a_damaged_snapshot_not_no_data(tmp_path, files):
    import sys

    from app import create_app
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    _, second = _second_snapshot(data_dir, files)
    _truncate(SnapshotStore(helpers.warehouse_dir(data_dir)).path_for(second))
    app = create_app(make_settings(data_dir))   # a server started now has nothing good to open
    with app.test_request_context("/"):
        for name, kwargs in (("jamfor", {}), ("nationellt", {}), ("kapacitet", {}), ("enhet", {"hsa_id": "SE1"})):
            text = str(sys.modules[f"pages.{name}"].layout(**kwargs))
            assert "Tjänsten underhålls" in text and "Inga data är inlästa ännu" not in text, name
