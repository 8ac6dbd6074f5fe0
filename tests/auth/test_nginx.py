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
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.auth.pki import NOW, _key, make_ca, make_leaf, pem
from tests.conftest import ROOT, free_port
from tests.servers import Gunicorn

NGINX = "/usr/sbin/nginx"
EXAMPLE = ROOT / "deploy" / "nginx.conf.example"
PROXY_SECRET = "Nx7_Qp2wL9zK4vR8cT1mB6yJ3dF5gS0aE-uHoWi"

def _write_key(key, path: Path):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))

def _server_cert(directory: Path):
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (directory / "server.pem").write_text(pem(cert))
    _write_key(key, directory / "server.key")

def _crl(ca_key, ca_cert, revoked_serials):
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=7)))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(hours=1)).build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()

@pytest.fixture(scope="module")
def front(tmp_path_factory):
    assert Path(NGINX).exists(), "Debians nginx saknas: make test installerar nginx-light (scripts/system-deps.sh)"
    base = tmp_path_factory.mktemp("nginx")
    ca_key, ca = make_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test SITHS e-id Person ID CA")]))
    foreign_key, foreign = make_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Främmande CA")]))
    cards = {
        "valid": make_leaf(ca_key, ca),
        "expired": make_leaf(ca_key, ca, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)),
        "revoked": make_leaf(ca_key, ca, hsa_id="SE2321000016-REV1"),
        "wrong_eku": make_leaf(ca_key, ca, eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)),
        "foreign": make_leaf(foreign_key, foreign),
    }
    keys = {}
    for name, cert in cards.items():
        # make_leaf keeps its key to itself: re-issue each card with a key we keep
        key = _key()
        signer = foreign_key if name == "foreign" else ca_key
        cards[name] = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
                       .public_key(key.public_key()).serial_number(cert.serial_number)
                       .not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc))
        for ext in cert.extensions:
            cards[name] = cards[name].add_extension(ext.value, critical=ext.critical)
        cards[name] = cards[name].sign(signer, hashes.SHA256())
        keys[name] = key
        (base / f"{name}.pem").write_text(pem(cards[name]))
        _write_key(key, base / f"{name}.key")
    (base / "ca.pem").write_text(pem(ca))
    (base / "crl.pem").write_text(_crl(ca_key, ca, [cards["revoked"].serial_number]))
    _server_cert(base)
    (base / "secret.conf").write_text(f'proxy_set_header X-Lagesbild-Proxy-Secret "{PROXY_SECRET}";\n')

    data_dir = base / "var"
    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=4, demo=True)
    with Gunicorn(_app_env(base, data_dir), workers=1, threads=4) as app:
        with _nginx(base, [app.port]) as ports:
            yield {"https": ports["https"], "base": base, "app": app, "data_dir": data_dir,
                   "nginx_t": ports["nginx_t"]}


def _app_env(base: Path, data_dir: Path) -> dict:
    return {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
            "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(base / "ca.pem"),
            "LAGESBILD_PROXY_SECRET": PROXY_SECRET, "LAGESBILD_CACHE_TYPE": "NullCache"}


import contextlib  # noqa: E402


@contextlib.contextmanager
def _nginx(base: Path, app_ports: list[int], name: str = "nginx"):
    """Debian's nginx with deploy/nginx.conf.example (paths and ports put in; the
    upstream lists every app server given) on loopback."""
    https, http_port = free_port(), free_port()
    site = EXAMPLE.read_text()
    upstream = "\n    ".join(f"server 127.0.0.1:{port};" for port in app_ports)
    for old, new in [
        ("server 127.0.0.1:8050;", upstream),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("/etc/ssl/lagesbild/fullchain.pem", str(base / "server.pem")),
        ("/etc/ssl/lagesbild/privkey.pem", str(base / "server.key")),
        ("/etc/ssl/siths/siths-ca-chain.pem", str(base / "ca.pem")),
        ("/etc/ssl/siths/siths-crls.pem", str(base / "crl.pem")),
        ("/etc/nginx/lagesbild-proxy-secret.conf", str(base / "secret.conf")),
    ]:
        assert old in site, f"nginx.conf.example har ändrats: {old!r} finns inte"
        site = site.replace(old, new)
    prefix = base / name
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        "user root;\nworker_processes 1;\npid %s;\nerror_log %s warn;\nevents {}\n"
        "http {\n  access_log off;\n  client_body_temp_path %s;\n  proxy_temp_path %s;\n%s\n}\n"
        % (prefix / "nginx.pid", prefix / "logs" / "error.log", prefix / "body", prefix / "proxy", site))
    test = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", http_port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        yield {"https": https, "nginx_t": test.stderr}
    finally:
        proc.terminate()
        proc.wait(10)

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
