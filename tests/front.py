"""The SITHS front on loopback, for tests and `make cluster`: a test PKI
written to files, Debian's nginx with deploy/nginx.conf.example (paths and
ports put in, nothing else changed) in front of any number of app servers,
and a "card reader" stand-in for a browser without a smart card.

The stand-in is a second nginx on plain HTTP that forwards every request to
the front over TLS presenting a card's certificate (``proxy_ssl_certificate``),
so the front verifies a real client certificate in a real handshake while a
headless browser, or a person without a SITHS card, talks HTTP to the stand-in.
"""
from __future__ import annotations

import contextlib
import http.client
import ipaddress
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.auth.pki import NOW, _key, make_ca, make_leaf, pem
from tests.conftest import ROOT, free_port

NGINX = "/usr/sbin/nginx"
EXAMPLE = ROOT / "deploy" / "nginx.conf.example"
PROXY_SECRET = "Nx7_Qp2wL9zK4vR8cT1mB6yJ3dF5gS0aE-uHoWi"
CARDS = ("valid", "expired", "revoked", "wrong_eku", "foreign")


def _write_key(key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _server_cert(directory: Path) -> None:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (directory / "server.pem").write_text(pem(cert))
    _write_key(key, directory / "server.key")


def _crl(ca_key, ca_cert, revoked_serials) -> str:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=7)))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(hours=1)).build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def write_pki(base: Path) -> None:
    """A test SITHS CA (ca.pem), its CRL (crl.pem, revoking the card "revoked"),
    the front's own server certificate (server.pem/.key), nginx's secret
    include (secret.conf) and one card per name in CARDS (NAME.pem/.key)."""
    ca_key, ca = make_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test SITHS e-id Person ID CA")]))
    foreign_key, foreign = make_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Främmande CA")]))
    templates = {
        "valid": make_leaf(ca_key, ca),
        "expired": make_leaf(ca_key, ca, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)),
        "revoked": make_leaf(ca_key, ca, hsa_id="SE2321000016-REV1"),
        "wrong_eku": make_leaf(ca_key, ca, eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)),
        "foreign": make_leaf(foreign_key, foreign),
    }
    cards = {}
    for name, cert in templates.items():
        # make_leaf keeps its key to itself: re-issue each card with a key we keep
        key = _key()
        signer = foreign_key if name == "foreign" else ca_key
        builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
                   .public_key(key.public_key()).serial_number(cert.serial_number)
                   .not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc))
        for ext in cert.extensions:
            builder = builder.add_extension(ext.value, critical=ext.critical)
        cards[name] = builder.sign(signer, hashes.SHA256())
        (base / f"{name}.pem").write_text(pem(cards[name]))
        _write_key(key, base / f"{name}.key")
    (base / "ca.pem").write_text(pem(ca))
    (base / "crl.pem").write_text(_crl(ca_key, ca, [cards["revoked"].serial_number]))
    _server_cert(base)
    (base / "secret.conf").write_text(f'proxy_set_header X-Lagesbild-Proxy-Secret "{PROXY_SECRET}";\n')


def proxy_env(base: Path, data_dir: Path) -> dict:
    """An app server's environment behind the front (SITHS mode)."""
    return {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
            "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(base / "ca.pem"),
            "LAGESBILD_PROXY_SECRET": PROXY_SECRET, "LAGESBILD_CACHE_TYPE": "NullCache"}


def _run_nginx(prefix: Path, server_blocks: str, probe_port: int):
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        "user root;\nworker_processes 1;\npid %s;\nerror_log %s warn;\nevents {}\n"
        "http {\n  access_log off;\n  client_body_temp_path %s;\n  proxy_temp_path %s;\n%s\n}\n"
        % (prefix / "nginx.pid", prefix / "logs" / "error.log", prefix / "body", prefix / "proxy", server_blocks))
    test = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", probe_port, timeout=1).request("GET", "/healthz")
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            time.sleep(0.2)
    return proc, test.stderr


@contextlib.contextmanager
def nginx_front(base: Path, app_ports: list[int], name: str = "nginx"):
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
    proc, nginx_t = _run_nginx(base / name, site, http_port)
    try:
        yield {"https": https, "nginx_t": nginx_t}
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def card_reader(base: Path, front_https: int, card: str = "valid", port: int | None = None):
    """Plain HTTP on 127.0.0.1:port, forwarded to the front over TLS with the card's certificate."""
    port = port or free_port()
    block = f"""
server {{
    listen 127.0.0.1:{port};
    client_max_body_size 10m;
    location / {{
        proxy_pass https://127.0.0.1:{front_https};
        proxy_http_version 1.1;
        proxy_ssl_certificate {base / f"{card}.pem"};
        proxy_ssl_certificate_key {base / f"{card}.key"};
        proxy_ssl_trusted_certificate {base / "server.pem"};
        proxy_ssl_verify on;
        proxy_ssl_name 127.0.0.1;
        proxy_ssl_session_reuse on;
        proxy_set_header Host $http_host;
        proxy_buffering off;
    }}
}}
"""
    proc, _ = _run_nginx(base / f"kortlasare-{card}-{port}", block, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
