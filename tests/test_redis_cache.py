"""Redis as the shared result cache of many app servers (issue 15, part 2),
started from Debian's redis-server on loopback: a question computed on one
server is answered from the cache on another; with Redis down the servers
answer uncached and say so in the log, never a failed page."""
from __future__ import annotations

import logging

import pytest

from tests.cluster import Redis
from tests.conftest import make_settings
from tests.factories import build_random_warehouse

@pytest.fixture
def redis_port(tmp_path):
    with Redis(tmp_path / "redis") as server:
        yield server.port, server.proc


def test_two_servers_share_one_redis_and_survive_it_going_down(tmp_path, redis_port, caplog):
    import redis

    from app import create_app
    from tests.auth.support import READER, logged_in_client

    port, proc = redis_port
    data_dir = tmp_path / "var"
    build_random_warehouse(data_dir, seed=6, demo=True)
    url = f"redis://127.0.0.1:{port}/0"
    a = create_app(make_settings(data_dir, redis_url=url))
    b = create_app(make_settings(data_dir, redis_url=url))
    client_a, client_b = logged_in_client(a, *READER), logged_in_client(b, "lasare2", "lasare2-losenord-1")
    r = redis.Redis(port=port)
    first = client_a.get("/api/v1/waits?kva=NGB&period=90")
    assert first.status_code == 200
    keys = set(r.keys("*"))
    assert keys, "the question's answer is in Redis"
    second = client_b.get("/api/v1/waits?kva=NGB&period=90")
    assert second.get_json() == first.get_json()
    assert set(r.keys("*")) == keys                              # answered from the shared cache, nothing new
    proc.terminate()
    proc.wait(timeout=10)
    with caplog.at_level(logging.WARNING, logger="lagesbild.data"):
        down = client_b.get("/api/v1/waits?kva=NGB&period=365")
    assert down.status_code == 200 and down.get_json()["rows"]
    assert any("Resultatcachen svarar inte" in rec.getMessage() for rec in caplog.records)
