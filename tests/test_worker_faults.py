"""A worker killed (issue 15, part 5): gunicorn's master replaces it and the
next requests succeed; the data are the same snapshot before and after."""
from __future__ import annotations

import os
import signal
import threading
import time

import psutil

from tests.factories import build_random_warehouse
from tests.servers import Gunicorn


def _workers(server) -> list[psutil.Process]:
    return [p for p in psutil.Process(server.proc.pid).children() if p.is_running()]


def test_a_killed_worker_is_replaced_and_the_next_requests_succeed(tmp_path):
    data_dir = tmp_path / "var"
    build_random_warehouse(data_dir, seed=3, demo=True)
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"}
    with Gunicorn(env, workers=2) as server:
        status, headers, _ = server.request("GET", "/healthz")
        assert status == 200
        snapshot = headers["X-Lagesbild-Snapshot"]
        before = _workers(server)
        assert len(before) == 2
        # A request in flight while its worker dies: it may fail; the service must not.
        results = []
        inflight = threading.Thread(target=lambda: results.append(_safe(server)))
        inflight.start()
        os.kill(before[0].pid, signal.SIGKILL)
        inflight.join(timeout=30)
        deadline = time.time() + 30
        while True:
            now = _workers(server)
            if len(now) == 2 and before[0].pid not in {p.pid for p in now}:
                break
            assert time.time() < deadline, "gunicorn ersatte inte den dödade arbetaren"
            time.sleep(0.1)
        for _ in range(20):
            status, headers, _ = server.request("GET", "/healthz")
            assert status == 200 and headers["X-Lagesbild-Snapshot"] == snapshot


def _safe(server):
    try:
        return server.request("GET", "/healthz")[0]
    except OSError:
        return None
