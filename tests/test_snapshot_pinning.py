"""One snapshot per request (issue 15, part 1): a request is answered from the
snapshot current when it started, whatever the ETL publishes meanwhile, and
every response names it in X-Lagesbild-Snapshot."""
from __future__ import annotations

from data.warehouse import Warehouse
from etl.snapshot import SnapshotStore
from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, spor_row, write_csv


def test_a_pinned_request_keeps_its_snapshot_through_a_publish(tmp_path):
    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    wh = Warehouse(helpers.warehouse_dir(data_dir))
    first = wh.pin()
    before = wh.rows("SELECT count(*) FROM operations")[0][0]
    helpers.load(data_dir, write_csv(tmp_path / "spor_20261110.csv", SPOR_HEADER, [spor_row(900 + i) for i in range(7)]))
    second = SnapshotStore(helpers.warehouse_dir(data_dir)).current_id()
    assert second != first
    assert wh.snapshot_id == first and wh.rows("SELECT count(*) FROM operations")[0][0] == before
    wh.unpin()
    assert wh.snapshot_id == second and wh.rows("SELECT count(*) FROM operations")[0][0] == before + 7
    wh.close()


def test_every_response_names_its_snapshot(tmp_path):
    from app import create_app
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings

    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    app = create_app(make_settings(data_dir))
    client = logged_in_client(app, *READER)
    sid = SnapshotStore(helpers.warehouse_dir(data_dir)).current_id()
    for url in ("/api/v1/meta", "/", "/healthz", "/api/v1/waits?kva=NGB"):
        resp = client.get(url)
        assert resp.headers.get("X-Lagesbild-Snapshot") == sid, (url, dict(resp.headers))
    body = client.get("/api/v1/meta").get_json()
    assert body["snapshot_id"] == sid
