"""Hardening: CSP without unsafe-eval, frame and cookie rules, HSTS in production, no stack traces."""
from __future__ import annotations

import pytest

from tests.auth.conftest import TRUSTED
from tests.conftest import make_settings


def _csp(resp) -> dict:
    parts = [p.strip() for p in resp.headers["Content-Security-Policy"].split(";") if p.strip()]
    return {p.split()[0]: p.split()[1:] for p in parts}


@pytest.mark.parametrize("url", ["/login", "/", "/_dash-layout", "/healthz", "/logout"])
def test_csp_and_frame_headers_everywhere(auth_client, url):
    resp = auth_client.get(url)
    csp = _csp(resp)
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_script_hashes_are_dashs_inline_scripts(app, auth_client):
    html = auth_client.get("/").get_data(as_text=True)
    csp = _csp(auth_client.get("/"))
    dash_app = app.extensions["dash_app"]
    assert set(dash_app.csp_hashes()) <= set(csp["script-src"])
    # Every inline script in the page is covered by a hash.
    import base64
    import hashlib
    import re

    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # e.g. Dash's <!--[if IE]> warning is never run
    for body in re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S):
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        assert digest in csp["script-src"], body[:80]


def test_cookies_are_httponly_samesite_and_not_secure_in_dev(app):
    from tests.auth.support import READER, ensure_account, login

    ensure_account(app, *READER)
    resp = login(app.test_client(), *READER)
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("lagesbild_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # a permanent session with the idle lifetime
    assert "Strict-Transport-Security" not in resp.headers


@pytest.fixture
def production_app(data_dir, pki):
    from app import create_app

    settings = make_settings(data_dir, env="production", auth_mode="proxy", trusted_proxies=TRUSTED,
                             siths_ca_file=pki.ca_file, secret_key=PRODUCTION_KEY, proxy_secret=PROXY_SECRET)
    return create_app(settings)


PRODUCTION_KEY = "Zt7-Qm2pX9wLr4_Kv8cN1bY6hJ3sD0fGa5eRuiOw"
PROXY_SECRET = "Pq4_Wn8zL2kV7xR5cB1mT9yJ3dF6gS0aE-uHoXi"


def test_production_secure_cookie_and_hsts(production_app, pki):
    client = production_app.test_client()
    resp = client.get("/", base_url="http://localhost",
                      headers={"X-SSL-Client-Cert": pki.header("valid"), "X-Forwarded-Proto": "https",
                               "X-Lagesbild-Proxy-Secret": PROXY_SECRET},
                      environ_base={"REMOTE_ADDR": TRUSTED})
    assert resp.status_code == 200
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert production_app.config["SECRET_KEY"] == PRODUCTION_KEY


def test_forwarded_proto_from_untrusted_peer_is_ignored(production_app, pki):
    client = production_app.test_client()
    # Plain http between proxy and app (the test client would otherwise use PREFERRED_URL_SCHEME=https).
    resp = client.get("/healthz", base_url="http://localhost", headers={"X-Forwarded-Proto": "https"},
                      environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert "Strict-Transport-Security" not in resp.headers
    trusted = client.get("/healthz", base_url="http://localhost",
                         headers={"X-Forwarded-Proto": "https", "X-Lagesbild-Proxy-Secret": PROXY_SECRET},
                         environ_base={"REMOTE_ADDR": TRUSTED})
    assert "Strict-Transport-Security" in trusted.headers


@pytest.fixture
def failing_app(app):
    def boom():
        raise RuntimeError("hemlig intern detalj /etc/passwd")

    app.add_url_rule("/api/v1/_test_boom", "test_boom_api", boom)
    app.add_url_rule("/_test_boom", "test_boom_page", boom)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_no_stack_traces_to_users(failing_app, caplog):
    from tests.auth.support import READER, logged_in_client

    client = logged_in_client(failing_app, *READER)
    page = client.get("/_test_boom")
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and "Något gick fel" in text
    assert "Traceback" not in text and "hemlig" not in text and "RuntimeError" not in text
    api = client.get("/api/v1/_test_boom")
    body = api.get_json()
    assert api.status_code == 500 and body["error"] == "internal_error" and "internt fel" in body["fel"]
    assert "hemlig" not in api.get_data(as_text=True)
    assert body["referens"] in caplog.text and "hemlig intern detalj" in caplog.text  # but it is logged


def test_swedish_404_for_unknown_api_paths(auth_client):
    # Outside the API blueprint: the app-wide handler; never Dash's catch-all page.
    resp = auth_client.get("/api/finns-inte")
    assert resp.status_code == 404
    assert resp.get_json()["fel"] == "Adressen finns inte i den nationella lägesbilden."
    inside = auth_client.get("/api/v1/finns-inte")
    assert inside.status_code == 404 and inside.is_json and "finns inte" in inside.get_json()["fel"]


def test_unknown_dash_library_is_404_not_500(client):
    resp = client.get("/_dash-component-suites/finns_inte/x.js")
    assert resp.status_code == 404


def test_a_trusted_address_without_the_proxy_secret_is_not_the_proxy(production_app, pki):
    """Issue 9: certificates are public, so whoever reached gunicorn from a trusted
    address could be anyone. Now the proxy is the address *and* the secret nginx adds."""
    client = production_app.test_client()
    for secret in (None, "", "fel-hemlighet", PROXY_SECRET[:-1]):
        headers = {"X-SSL-Client-Cert": pki.header("valid"), "X-Forwarded-Proto": "https"}
        if secret is not None:
            headers["X-Lagesbild-Proxy-Secret"] = secret
        resp = client.get("/api/v1/meta", base_url="http://localhost", headers=headers,
                          environ_base={"REMOTE_ADDR": TRUSTED})
        assert resp.status_code == 401 and resp.get_json()["reason"] == "untrusted_source", secret
    from auth.audit import recent

    rows = recent(production_app.extensions["auth_db"], action="login_failed")
    assert len(rows) >= 1 and "fel eller saknad proxyhemlighet" in rows[0].detail
