"""LAGESBILD_AUTH_MODE=dev: the form, CSRF, rate limiting, idle expiry, logout, production refusal."""
from __future__ import annotations

import time

import pytest

from auth import audit, devusers
from auth.guard import SEEN_KEY
from config.settings import Settings, SettingsError, load_settings
from tests.auth.support import READER, csrf_from, ensure_account, login


def _db(app):
    return app.extensions["auth_db"]


def test_login_page_is_swedish_with_csrf_token(client):
    resp = client.get("/login")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'lang="sv"' in text
    assert "Användarnamn" in text and "Lösenord" in text and "Logga in" in text
    assert csrf_from(text)
    assert resp.headers["Cache-Control"] == "no-store"


def test_successful_login_redirects_to_next_and_is_audited(app, client):
    ensure_account(app, *READER)
    resp = login(client, *READER, next_path="/om?kva=NGB")
    assert resp.status_code == 302 and resp.headers["Location"] == "/om?kva=NGB"
    assert client.get("/").status_code == 200
    entry = audit.recent(_db(app), action="login")[0]
    assert entry.actor == devusers.pseudo_hsa_id("lasare") and entry.subject == "lasare"


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_no_open_redirect_after_login(app, client, next_path):
    ensure_account(app, *READER)
    resp = login(client, *READER, next_path=next_path)
    assert resp.headers["Location"] == "/"


def test_post_without_or_with_wrong_csrf_token_is_refused(app, client):
    ensure_account(app, *READER)
    resp = client.post("/login", data={"username": READER[0], "password": READER[1]})
    assert resp.status_code == 400 and "säkerhetstoken" in resp.get_data(as_text=True)
    other = app.test_client()
    token_of_other_session = csrf_from(other.get("/login").get_data(as_text=True))
    client.get("/login")
    resp = client.post("/login", data={"username": READER[0], "password": READER[1],
                                       "csrf_token": token_of_other_session})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302  # still not logged in
    assert audit.recent(_db(app), action="login_failed")[0].detail == "csrf"


def test_wrong_password_and_unknown_user(app, client):
    ensure_account(app, *READER)
    for user, pw in ((READER[0], "fel-lösenord-999"), ("ingen-sadan", "vad-som-helst-1")):
        resp = login(client, user, pw)
        assert resp.status_code == 401
        assert "Fel användarnamn eller lösenord." in resp.get_data(as_text=True)
    failures = audit.recent(_db(app), action="login_failed")
    assert [f.subject for f in failures] == ["ingen-sadan", "lasare"]
    assert client.get("/").status_code == 302


def test_rate_limit_per_username(app, client):
    ensure_account(app, *READER)
    state = app.extensions["lagesbild_auth"]
    for _ in range(state.max_failures_per_user):
        assert login(client, READER[0], "fel-lösenord-999").status_code == 401
    blocked = login(client, *READER)  # even the right password is refused now
    assert blocked.status_code == 429
    assert "För många misslyckade inloggningsförsök" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    assert audit.recent(_db(app), action="login_throttled")[0].subject == "lasare"
    # Another account from the same address is not locked by these five.
    ensure_account(app, "annan", "annan-losenord-1")
    assert login(client, "annan", "annan-losenord-1").status_code == 302


def test_rate_limit_per_address(app):
    state = app.extensions["lagesbild_auth"]
    ensure_account(app, *READER)
    client = app.test_client()
    env = {"REMOTE_ADDR": "127.0.0.9"}
    for i in range(state.max_failures_per_addr):
        assert login(client, f"gissning{i}", "fel-lösenord-999", **env).status_code == 401
    assert login(client, *READER, **env).status_code == 429
    assert login(app.test_client(), *READER).status_code == 302  # another address is not affected


def test_failures_older_than_the_window_do_not_count(app, client):
    from datetime import datetime, timezone

    ensure_account(app, *READER)
    state = app.extensions["lagesbild_auth"]
    old = datetime.now(timezone.utc) - state.failure_window - state.failure_window
    for _ in range(state.max_failures_per_user + 3):
        audit.record(_db(app), "login_failed", subject="lasare", remote_addr="127.0.0.1", at=old)
    assert login(client, *READER).status_code == 302


def _age_session(client, seconds):
    with client.session_transaction() as sess:
        sess[SEEN_KEY] = int(time.time()) - seconds


def test_idle_session_expires(app, auth_client):
    idle = app.extensions["lagesbild_auth"].idle.total_seconds()
    _age_session(auth_client, int(idle) - 60)
    assert auth_client.get("/").status_code == 200  # still inside the idle time
    _age_session(auth_client, int(idle) + 1)
    resp = auth_client.get("/enhet/SE2321000016-ABC1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=%2Fenhet%2FSE2321000016-ABC1&utgangen=1"
    assert "gått ut" in auth_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert auth_client.get("/").status_code == 302  # the session is gone, not just refused once
    assert audit.recent(_db(app), action="session_expired")


def test_expired_session_makes_dash_callbacks_401(app, auth_client):
    idle = app.extensions["lagesbild_auth"].idle.total_seconds()
    _age_session(auth_client, int(idle) + 1)
    resp = auth_client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["reason"] == "expired" and "gått ut" in body["fel"]


def test_activity_keeps_the_session_alive(app, auth_client):
    idle = int(app.extensions["lagesbild_auth"].idle.total_seconds())
    _age_session(auth_client, idle - 5)
    assert auth_client.get("/_dash-layout").status_code == 200
    with auth_client.session_transaction() as sess:
        assert time.time() - sess[SEEN_KEY] < 5


def test_session_cookie_expires_in_the_browser_too(app):
    assert app.permanent_session_lifetime.total_seconds() == app.extensions["lagesbild_auth"].idle.total_seconds()


def test_logout(app, auth_client):
    page = auth_client.get("/logout")
    assert page.status_code == 200 and "Vill du logga ut" in page.get_data(as_text=True)
    assert auth_client.post("/logout", data={}).status_code == 400  # no CSRF token: nothing happens
    assert auth_client.get("/").status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    done = auth_client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 200 and "Du är utloggad" in done.get_data(as_text=True)
    assert auth_client.get("/").status_code == 302
    assert audit.recent(_db(app), action="logout")[0].actor == devusers.pseudo_hsa_id("lasare")


def test_removed_dev_account_loses_its_session(app, auth_client):
    from sqlalchemy import delete

    from auth.models import DevUser

    with _db(app).session() as s:
        s.execute(delete(DevUser).where(DevUser.username == READER[0]))
    assert auth_client.get("/").status_code == 302


def test_dev_mode_is_refused_in_production(data_dir):
    from app import create_app

    with pytest.raises(SettingsError, match="AUTH_MODE=dev är inte tillåtet"):
        load_settings({"LAGESBILD_ENV": "production", "LAGESBILD_AUTH_MODE": "dev",
                       "LAGESBILD_SECRET_KEY": "x" * 40, "LAGESBILD_DATA_DIR": str(data_dir)})
    # Also when the settings object is built by hand and handed to the factory.
    with pytest.raises(SettingsError, match="AUTH_MODE=dev"):
        create_app(Settings(env="production", data_dir=data_dir, auth_mode="dev", secret_key="x" * 40))
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(Settings(env="production", data_dir=data_dir, auth_mode="proxy"))


def test_dev_accounts(app):
    db = _db(app)
    with pytest.raises(devusers.DevUserError, match="minst"):
        devusers.create_or_update(db, "kort", "kort")
    with pytest.raises(devusers.DevUserError, match="Ogiltigt användarnamn"):
        devusers.create_or_update(db, "Å ä", "tillräckligt-långt")
    account = devusers.create_or_update(db, "maria.l", "tillräckligt-långt")
    assert account.hsa_id == "SE0000000000-DEVMARIAL"
    from auth.certs import is_valid_hsa_id
    from auth.models import DevUser

    assert is_valid_hsa_id(devusers.pseudo_hsa_id("a" * 32))
    with db.session() as s:
        stored = s.query(DevUser).filter_by(username="maria.l").one().password_hash
    assert stored.startswith("scrypt:") and "tillräckligt" not in stored
    assert devusers.verify(db, "maria.l", "tillräckligt-långt") is not None
    assert devusers.verify(db, "MARIA.L ", "tillräckligt-långt") is not None
    assert devusers.verify(db, "maria.l", "fel") is None
