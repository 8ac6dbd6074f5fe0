"""LAGESBILD_AUTH_MODE=proxy through the Flask test client: every certificate case."""
from __future__ import annotations

import pytest

from auth import audit, roles
from tests.auth.conftest import TRUSTED, UNTRUSTED
from tests.auth.pki import HSA_ID, REJECTED


def _get(client, url, cert=None, addr=TRUSTED, **headers):
    if cert is not None:
        headers["X-SSL-Client-Cert"] = cert
    return client.get(url, headers=headers, environ_base={"REMOTE_ADDR": addr})


def _db(app):
    return app.extensions["auth_db"]


def test_valid_certificate_from_trusted_proxy_logs_in(proxy_app, pki):
    client = proxy_app.test_client()
    resp = _get(client, "/", pki.header("valid"))
    assert resp.status_code == 200
    assert _get(client, "/_dash-layout", pki.header("valid")).status_code == 200
    logins = audit.recent(_db(proxy_app), action="login")
    assert len(logins) == 1, "one login per session, not per request"
    assert logins[0].actor == HSA_ID and logins[0].actor_name == "Anna Andersson"
    assert "Test SITHS e-id Person ID CA" in logins[0].detail


@pytest.mark.parametrize("name,reason", REJECTED)
def test_each_bad_certificate_gets_401_page_json_and_audit(proxy_app, pki, name, reason):
    client = proxy_app.test_client()
    page = _get(client, "/", pki.header(name))
    assert page.status_code == 401
    text = page.get_data(as_text=True)
    assert "Du kunde inte loggas in" in text and reason in text and 'lang="sv"' in text
    api = _get(client, "/api/v1/meta", pki.header(name))
    assert api.status_code == 401 and api.get_json()["reason"] == reason
    dash_cb = client.post("/_dash-update-component", json={}, headers={"X-SSL-Client-Cert": pki.header(name)},
                          environ_base={"REMOTE_ADDR": TRUSTED})
    assert dash_cb.status_code == 401 and dash_cb.get_json()["reason"] == reason
    # one entry per source address, reason and claimed person a minute (a flood cannot fill the log)
    failures = audit.recent(_db(proxy_app), action="login_failed")
    assert len(failures) == 1 and failures[0].detail == reason
    assert not audit.recent(_db(proxy_app), action="login")


def test_missing_certificate(proxy_app):
    client = proxy_app.test_client()
    resp = _get(client, "/")
    assert resp.status_code == 401 and "Inget klientcertifikat" in resp.get_data(as_text=True)
    assert audit.recent(_db(proxy_app), action="login_failed")[0].detail == "missing"


def test_header_from_untrusted_address_is_ignored(proxy_app, pki):
    client = proxy_app.test_client()
    resp = _get(client, "/", pki.header("valid"), addr=UNTRUSTED)
    assert resp.status_code == 401
    assert "betrodda omvända proxyn" in resp.get_data(as_text=True)
    api = _get(client, "/api/v1/meta", pki.header("valid"), addr=UNTRUSTED)
    assert api.get_json()["reason"] == "untrusted_source"
    entry = audit.recent(_db(proxy_app), action="login_failed")[0]
    assert entry.detail.startswith("untrusted_source") and "obetrodd" in entry.detail
    assert entry.remote_addr == UNTRUSTED
    assert entry.actor is None


def test_forwarded_for_is_honoured_only_from_the_trusted_proxy(proxy_app, pki):
    client = proxy_app.test_client()
    _get(client, "/", pki.header("valid"), **{"X-Forwarded-For": "203.0.113.9"})
    assert audit.recent(_db(proxy_app), action="login")[0].remote_addr == "203.0.113.9"
    other = proxy_app.test_client()
    _get(other, "/", pki.header("valid"), addr=UNTRUSTED, **{"X-Forwarded-For": "203.0.113.9"})
    assert audit.recent(_db(proxy_app), action="login_failed")[0].remote_addr == UNTRUSTED


def test_session_without_certificate_is_refused(proxy_app, pki):
    client = proxy_app.test_client()
    assert _get(client, "/", pki.header("valid")).status_code == 200
    # Same session cookie, but the request did not come with a certificate (e.g. bypassing nginx).
    assert _get(client, "/").status_code == 401
    assert _get(client, "/", pki.header("valid"), addr=UNTRUSTED).status_code == 401


def test_another_certificate_on_the_same_session_switches_person(proxy_app, pki):
    client = proxy_app.test_client()
    assert _get(client, "/", pki.header("valid")).status_code == 200
    assert _get(client, "/", pki.header("valid_other_person")).status_code == 200
    logins = audit.recent(_db(proxy_app), action="login")
    assert [entry.actor for entry in logins] == ["SE2321000016-XYZ9", HSA_ID]


def test_login_page_in_proxy_mode_redirects_to_next(proxy_app, pki):
    client = proxy_app.test_client()
    resp = _get(client, "/login?next=/om", pki.header("valid"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/om"
    evil = _get(client, "/login?next=//evil.example/", pki.header("valid"))
    assert evil.headers["Location"] == "/"
    assert _get(client, "/login", pki.header("expired")).status_code == 401


def test_roles_take_effect_at_once(proxy_app, pki):
    client = proxy_app.test_client()
    assert _get(client, "/admin", pki.header("valid")).status_code == 403
    roles.grant(_db(proxy_app), HSA_ID, "admin", by="test")
    assert _get(client, "/admin", pki.header("valid")).status_code == 200
    roles.revoke(_db(proxy_app), HSA_ID, "admin")
    assert _get(client, "/admin", pki.header("valid")).status_code == 403


def test_proxy_mode_needs_ca_file_and_proxies(data_dir, pki, tmp_path):
    from app import create_app
    from config.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="SITHS_CA_FILE"):
        create_app(Settings(env="test", data_dir=data_dir, auth_mode="proxy", trusted_proxies=("127.0.0.1",)))
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        create_app(Settings(env="test", data_dir=data_dir, auth_mode="proxy", siths_ca_file=pki.ca_file))
    with pytest.raises(SettingsError, match="CIDR"):
        create_app(Settings(env="test", data_dir=data_dir, auth_mode="proxy", siths_ca_file=pki.ca_file,
                            trusted_proxies=("nginx.local",)))
    with pytest.raises(SettingsError, match="kan inte läsas"):
        create_app(Settings(env="test", data_dir=data_dir, auth_mode="proxy", trusted_proxies=("127.0.0.1",),
                            siths_ca_file=tmp_path / "saknas.pem"))


@pytest.mark.parametrize("addr,nets,ok", [
    ("10.1.2.3", ["10.1.2.3"], True), ("10.1.2.4", ["10.1.2.3"], False), ("10.1.9.9", ["10.1.0.0/16"], True),
    ("::ffff:10.1.2.3", ["10.1.2.3"], True), ("::1", ["127.0.0.1"], False), ("::1", ["::1"], True),
    ("", ["10.1.2.3"], False), (None, ["10.1.2.3"], False), ("x", ["10.1.2.3"], False), ("10.1.2.3", [], False),
])
def test_trusted_address_matching(addr, nets, ok):
    from auth.proxy import is_trusted, parse_networks

    assert is_trusted(addr, parse_networks(nets)) is ok
