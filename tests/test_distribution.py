"""Snapshot distribution to many app servers (issue 15, part 1): `etl publish
--to DIR...` copies the published snapshot to each server's own data
directory and switches its CURRENT; two real gunicorn servers pick it up and
name it in X-Lagesbild-Snapshot; `etl rollback --to DIR...` points every
server back at the previous one."""
from __future__ import annotations

import json
import time

import pytest

from etl.snapshot import SnapshotStore
from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, spor_row, write_csv
from tests.servers import Gunicorn


def _snapshot_of(server) -> str:
    status, headers, body = server.request("GET", "/healthz")
    assert status == 200, body
    return headers.get("X-Lagesbild-Snapshot")


def _wait_for(server, sid, timeout=10) -> None:
    deadline = time.time() + timeout
    while _snapshot_of(server) != sid:
        assert time.time() < deadline, f"{server.url} tog inte ögonblicksbilden {sid}"
        time.sleep(0.1)


def test_two_servers_take_a_publish_and_a_rollback(tmp_path):
    etl_dir, servers = tmp_path / "etl", [tmp_path / "app1", tmp_path / "app2"]
    helpers.load(etl_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    first = SnapshotStore(helpers.warehouse_dir(etl_dir)).current_id()
    proc = helpers.run_cli(etl_dir, "publish", *sum((["--to", str(d)] for d in servers), []))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(SnapshotStore(helpers.warehouse_dir(d)).current_id() == first for d in servers)
    env = lambda d: {"LAGESBILD_DATA_DIR": str(d), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"}  # noqa: E731
    with Gunicorn(env(servers[0]), workers=1) as a, Gunicorn(env(servers[1]), workers=1) as b:
        assert _snapshot_of(a) == _snapshot_of(b) == first
        helpers.load(etl_dir, write_csv(tmp_path / "spor_20261110.csv", SPOR_HEADER,
                                        [spor_row(900 + i) for i in range(6)]))
        second = SnapshotStore(helpers.warehouse_dir(etl_dir)).current_id()
        assert _snapshot_of(a) == first                       # the server's own copy: unchanged until published to it
        proc = helpers.run_cli(etl_dir, "publish", "--to", str(servers[0]), "--to", str(servers[1]))
        assert proc.returncode == 0 and "kopierad och publicerad" in proc.stdout, proc.stdout + proc.stderr
        _wait_for(a, second)
        _wait_for(b, second)
        proc = helpers.run_cli(etl_dir, "rollback", "--to", str(servers[0]), "--to", str(servers[1]))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        _wait_for(a, first)
        _wait_for(b, first)


def test_publish_refuses_a_damaged_snapshot_and_changes_no_server(tmp_path):
    etl_dir, target = tmp_path / "etl", tmp_path / "app1"
    helpers.load(etl_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    store = SnapshotStore(helpers.warehouse_dir(etl_dir))
    path = store.path_for(store.current_id())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    proc = helpers.run_cli(etl_dir, "publish", "--to", str(target))
    assert proc.returncode == 2 and "kan inte spridas" in proc.stderr
    assert SnapshotStore(helpers.warehouse_dir(target)).current_id() is None
    proc = helpers.run_cli(etl_dir, "rollback", "--to", str(target))
    assert proc.returncode == 2 and "ingen tidigare hel" in proc.stderr
