"""The SITHS front as shipped (issue 9): Debian's nginx with
deploy/nginx.conf.example (paths and ports put in, nothing else changed) and a
test PKI, in front of a real gunicorn, on loopback.

A valid card works; expired, foreign, revoked, wrong-EKU and missing
certificates each reach the app's Swedish explanation page with the right
reason and an audit entry; a request that reaches gunicorn directly from the
trusted address without nginx's secret is refused."""
from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509

from tests.front import NGINX, nginx_front as _nginx, proxy_env as _app_env, write_pki
from tests.servers import Gunicorn


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    assert Path(NGINX).exists(), "Debians nginx saknas: make test installerar nginx-light (scripts/system-deps.sh)"
    base = tmp_path_factory.mktemp("nginx")
    write_pki(base)
    data_dir = base / "var"
    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=4, demo=True)
    with Gunicorn(_app_env(base, data_dir), workers=1, threads=4) as app:
        with _nginx(base, [app.port]) as ports:
            yield {"https": ports["https"], "base": base, "app": app, "data_dir": data_dir,
                   "nginx_t": ports["nginx_t"]}


def _get(front, path: str, card: str | None, accept: str = "text/html"):
    ctx = ssl.create_default_context(cafile=str(front["base"] / "server.pem"))
    if card:
        ctx.load_cert_chain(str(front["base"] / f"{card}.pem"), str(front["base"] / f"{card}.key"))
    conn = http.client.HTTPSConnection("127.0.0.1", front["https"], context=ctx, timeout=20)
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, body

def _failures(front):
    from auth import audit
    from auth.db import AuthDB

    return audit.recent(AuthDB(f"sqlite:///{front['data_dir'] / 'app.db'}"), action="login_failed")

def test_the_shipped_config_passes_nginx_t_on_debians_nginx(front):
    assert "syntax is ok" in front["nginx_t"] and "test is successful" in front["nginx_t"]

def test_a_valid_card_works(front):
    status, body = _get(front, "/api/v1/meta", "valid", accept="application/json")
    assert status == 200 and "sources" in json.loads(body)
    status, page = _get(front, "/om", "valid")
    assert status == 200 and 'lang="sv"' in page

@pytest.mark.parametrize("card,reason,words", [
    ("expired", "expired", "gått ut"),
    ("foreign", "untrusted_issuer", "betrodd SITHS-utfärdare"),
    ("revoked", "revoked", "spärrat"),
    ("wrong_eku", "not_client_auth", "klientautentisering"),
    (None, "missing", "Inget klientcertifikat"),
])
def test_every_refusal_is_the_apps_swedish_page_with_the_reason_and_audited(front, card, reason, words):
    status, body = _get(front, "/enhet/SE2321000016-ABC1", card)
    assert status == 401, body[:300]

    assert "kunde inte kontrolleras" not in body, [r.detail for r in _failures(front)]
    assert 'lang="sv"' in body and words in body and f"<code>{reason}</code>" in body, body[:1500]
    assert "400 Bad Request" not in body and "nginx" not in body.lower()
    status, api = _get(front, "/api/v1/meta", card, accept="application/json")
    assert status == 401 and json.loads(api)["reason"] == reason
    from auth import audit
    from auth.db import AuthDB

    db = AuthDB(f"sqlite:///{front['data_dir'] / 'app.db'}")
    deadline = time.time() + 5
    while time.time() < deadline:
        rows = [r for r in audit.recent(db, action="login_failed") if r.detail and r.detail.startswith(reason)]
        if rows:
            break
        time.sleep(0.2)
    assert rows, f"no audit entry for {reason}"
    assert rows[0].path in ("/enhet/SE2321000016-ABC1", "/api/v1/meta")
    if card == "revoked":
        assert rows[0].subject == "SE2321000016-REV1"

def test_gunicorn_reached_directly_without_the_secret_is_refused(front):
    from tests.auth.pki import header

    cert = x509.load_pem_x509_certificate((front["base"] / "valid.pem").read_bytes())
    status, _, body = front["app"].request("GET", "/api/v1/meta", {"X-SSL-Client-Cert": header(cert)})
    assert status == 401 and json.loads(body)["reason"] == "untrusted_source"


@pytest.fixture(scope="module")
def cluster(front):
    """Two app servers (each its own data directory with a copy of the same
    snapshot) behind one nginx with the shipped config (issue 15, part 3)."""
    import shutil

    base = front["base"]
    second = base / "var2"
    shutil.copytree(front["data_dir"] / "warehouse", second / "warehouse")
    with Gunicorn(_app_env(base, front["data_dir"]), workers=1, threads=4) as a, \
            Gunicorn(_app_env(base, second), workers=1, threads=4) as b:
        with _nginx(base, [a.port, b.port], name="nginx-cluster") as ports:
            yield {"https": ports["https"], "base": base, "servers": (a, b)}


def _get_with_headers(front, path: str, card: str):
    ctx = ssl.create_default_context(cafile=str(front["base"] / "server.pem"))
    ctx.load_cert_chain(str(front["base"] / f"{card}.pem"), str(front["base"] / f"{card}.key"))
    conn = http.client.HTTPSConnection("127.0.0.1", front["https"], context=ctx, timeout=20)
    conn.request("GET", path, headers={"Accept": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), body


def test_two_servers_behind_nginx_answer_from_one_snapshot_and_survive_one_stopping(cluster):
    seen = set()
    for _ in range(12):
        status, headers, body = _get_with_headers(cluster, "/api/v1/meta", "valid")
        assert status == 200, body[:300]
        seen.add(headers.get("X-Lagesbild-Snapshot"))
    assert len(seen) == 1 and None not in seen            # both servers, one snapshot
    base = cluster["base"]
    curl = subprocess.run(["curl", "--silent", "--show-error", "--fail", "--cert", str(base / "valid.pem"),
                           "--key", str(base / "valid.key"), "--cacert", str(base / "server.pem"),
                           f"https://127.0.0.1:{cluster['https']}/api/v1/meta"], capture_output=True, text=True,
                          timeout=30)
    assert curl.returncode == 0 and '"sources"' in curl.stdout, curl.stderr
    a, _ = cluster["servers"]
    a.proc.terminate()
    a.proc.wait(20)
    for _ in range(20):                                    # idempotent GETs: nginx sends them to the other
        status, headers, body = _get_with_headers(cluster, "/api/v1/meta", "valid")
        assert status == 200, body[:300]
        assert headers.get("X-Lagesbild-Snapshot") in seen
