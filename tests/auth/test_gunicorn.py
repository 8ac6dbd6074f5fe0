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


def _audit(server):
    from auth import audit
    from auth.db import AuthDB

    db = AuthDB(f"sqlite:///{server.data_dir / 'app.db'}")
    try:
        return audit.recent(db, limit=0)
    finally:
        db.dispose()


def test_valid_certificate_is_served(proxy_server, pki):
    for _ in range(4):  # whichever worker answers
        status, headers, body = proxy_server.request("GET", "/", {"X-SSL-Client-Cert": pki.header("valid")})
        assert status == 200
        assert "Content-Security-Policy" in headers and "unsafe-eval" not in headers["Content-Security-Policy"]
    status, _, body = proxy_server.request("GET", "/_dash-layout", {"X-SSL-Client-Cert": pki.header("valid")})
    assert status == 200 and body.startswith(b"{")
    assert any(e.action == "login" and e.actor == HSA_ID for e in _audit(proxy_server))


@pytest.mark.parametrize("name,reason", REJECTED + [(None, "missing")])
def test_refused_certificates(proxy_server, pki, name, reason):
    headers = {"X-SSL-Client-Cert": pki.header(name)} if name else {}
    status, resp_headers, body = proxy_server.request("GET", "/", {**headers, "Accept": "text/html"})
    assert status == 401
    text = body.decode("utf-8")
    assert "Du kunde inte loggas in" in text and reason in text
    status, _, body = proxy_server.request("GET", "/api/v1/meta", headers)
    assert status == 401 and json.loads(body)["reason"] == reason
    assert any(e.action == "login_failed" and e.detail == reason for e in _audit(proxy_server))


def test_header_from_untrusted_source_is_ignored(proxy_server, pki):
    status, _, body = proxy_server.request("GET", "/api/v1/meta", {"X-SSL-Client-Cert": pki.header("valid")},
                                           source="127.0.0.2")
    assert status == 401 and json.loads(body)["reason"] == "untrusted_source"
    entries = [e for e in _audit(proxy_server) if e.action == "login_failed" and e.remote_addr == "127.0.0.2"]
    assert entries and entries[0].detail.startswith("untrusted_source")


def test_healthz_is_public(proxy_server):
    status, _, body = proxy_server.request("GET", "/healthz", source="127.0.0.2")
    assert status == 200 and json.loads(body) == {"status": "ok"}
