"""Proxy mode through a real gunicorn (deploy/gunicorn.conf.py, two workers) on loopback.

127.0.0.1 is the trusted proxy; requests from 127.0.0.2 (another loopback
address) are an untrusted source.
"""
from __future__ import annotations

import json

import pytest

from tests.auth.pki import HSA_ID, REJECTED
from tests.servers import Gunicorn


@pytest.fixture(scope="module")
def proxy_server(tmp_path_factory, pki):
    data_dir = tmp_path_factory.mktemp("gunicorn-proxy") / "var"
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(pki.ca_file)}
    with Gunicorn(env) as server:
        server.data_dir = data_dir
        yield server


def _audit(server, wanted):
    """The server's audit entries once one satisfies ``wanted``: frequent entries
    reach the database from the worker's batching writer within FLUSH_SECONDS."""
    import time

    from auth import audit
    from auth.db import AuthDB

    db = AuthDB(f"sqlite:///{server.data_dir / 'app.db'}")
    try:
        deadline = time.time() + 5
        while True:
            entries = audit.recent(db, limit=0)
            if any(wanted(e) for e in entries) or time.time() > deadline:
                return [e for e in entries if wanted(e)]
            time.sleep(0.05)
    finally:
        db.dispose()


def test_valid_certificate_is_served(proxy_server, pki):
    for _ in range(4):  # whichever worker answers
        status, headers, body = proxy_server.request("GET", "/", {"X-SSL-Client-Cert": pki.header("valid")})
        assert status == 200
        assert "Content-Security-Policy" in headers and "unsafe-eval" not in headers["Content-Security-Policy"]
    status, _, body = proxy_server.request("GET", "/_dash-layout", {"X-SSL-Client-Cert": pki.header("valid")})
    assert status == 200 and body.startswith(b"{")
    assert _audit(proxy_server, lambda e: e.action == "login" and e.actor == HSA_ID)


@pytest.mark.parametrize("name,reason", REJECTED + [(None, "missing")])
def test_refused_certificates(proxy_server, pki, name, reason):
    headers = {"X-SSL-Client-Cert": pki.header(name)} if name else {}
    status, resp_headers, body = proxy_server.request("GET", "/", {**headers, "Accept": "text/html"})
    assert status == 401
    text = body.decode("utf-8")
    assert "Du kunde inte loggas in" in text and reason in text
    status, _, body = proxy_server.request("GET", "/api/v1/meta", headers)
    assert status == 401 and json.loads(body)["reason"] == reason
    assert _audit(proxy_server, lambda e: e.action == "login_failed" and e.detail == reason)


def test_header_from_untrusted_source_is_ignored(proxy_server, pki):
    status, _, body = proxy_server.request("GET", "/api/v1/meta", {"X-SSL-Client-Cert": pki.header("valid")},
                                           source="127.0.0.2")
    assert status == 401 and json.loads(body)["reason"] == "untrusted_source"
    entries = _audit(proxy_server, lambda e: e.action == "login_failed" and e.remote_addr == "127.0.0.2")
    assert entries and entries[0].detail.startswith("untrusted_source")


def test_healthz_is_public(proxy_server):
    status, _, body = proxy_server.request("GET", "/healthz", source="127.0.0.2")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_audit_rows_of_a_burst_are_all_there_after_a_graceful_stop(tmp_path, pki):
    """300 API calls from 10 clients at once on two workers, then SIGTERM: every
    call is in the audit log (the batching writer flushes on a graceful stop)."""
    from concurrent.futures import ThreadPoolExecutor

    from auth import audit
    from auth.db import AuthDB
    from tests.factories import build_random_warehouse

    data_dir = tmp_path / "var"
    data_dir.mkdir()
    build_random_warehouse(data_dir, seed=3)
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(pki.ca_file)}
    header = {"X-SSL-Client-Cert": pki.header("valid")}
    with Gunicorn(env, workers=2) as server:
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(lambda i: server.request("GET", "/api/v1/meta", header)[0],
                                     range(300)))
        server.proc.terminate()  # graceful: SIGTERM
        server.proc.wait(timeout=30)
    db = AuthDB(f"sqlite:///{data_dir / 'app.db'}")
    try:
        api_rows = [e for e in audit.recent(db, limit=0) if e.action == "api"]
    finally:
        db.dispose()
    assert statuses == [200] * 300
    assert len(api_rows) == 300
