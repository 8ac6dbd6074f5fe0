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
    # Set in the app's own font, served to a browser that has not logged in yet.
    assert '<link rel="stylesheet" href="/assets/10-fonts.css">' in text
    fonts = client.get("/assets/10-fonts.css")
    assert fonts.status_code == 200 and b'font-family: "Inter"' in fonts.data


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
    failed = audit.recent(_db(app), action="login_failed")[0]
    assert failed.detail.startswith("csrf") and failed.subject is None  # not counted against the user


def test_tokenless_posts_cannot_lock_out_an_account_and_are_throttled_per_address(app):
    """Issue 9: 5 token-less POSTs naming a user locked that user out for 15 minutes."""
    ensure_account(app, *READER)
    attacker = app.test_client()
    statuses = [attacker.post("/login", data={"username": READER[0], "password": "x"},
                              environ_base={"REMOTE_ADDR": "192.0.2.66"}).status_code for _ in range(25)]
    assert statuses[:20] == [400] * 20 and set(statuses[20:]) == {429}  # per address, after 20
    victim = app.test_client()
    assert login(victim, *READER).status_code == 302  # the named account still logs in


def test_logout_ends_a_copied_cookie_and_revoke_ends_every_session(app):
    from auth import sessions

    ensure_account(app, *READER)
    first = app.test_client()
    assert login(first, *READER).status_code == 302
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = next(c for c in first._cookies.values() if c.key == name)
    copied = app.test_client()
    copied.set_cookie(name, cookie.value, domain=cookie.domain)
    assert copied.get("/").status_code == 200  # the copy works while the session is open
    page = first.get("/logout")
    assert first.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))}).status_code == 200
    resp = copied.get("/api/v1/meta")
    assert resp.status_code == 401 and resp.get_json()["reason"] == "session_ended"
    assert audit.recent(_db(app), action="session_ended")
    # an admin's revoke ends every open session of the person at once
    a, b = app.test_client(), app.test_client()
    assert login(a, *READER).status_code == 302 and login(b, *READER).status_code == 302
    hsa_id = audit.recent(_db(app), action="login")[0].actor
    assert sessions.revoke_person(_db(app), hsa_id) == 2
    assert a.get("/").status_code == 302 and b.get("/api/v1/meta").status_code == 401


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
    """The person was last seen ``seconds`` ago: in the cookie and in the
    server-side session record (which decides)."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from auth.models import StaffSession

    with client.session_transaction() as sess:
        sess[SEEN_KEY] = int(time.time()) - seconds
        sid = sess["sid"]
    db = client.application.extensions["auth_db"]
    with db.engine.begin() as c:
        c.execute(update(StaffSession).where(StaffSession.id == sid)
                  .values(last_seen=datetime.now(timezone.utc) - timedelta(seconds=seconds)))


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


def test_session_cookie_outlives_the_idle_time_so_the_server_can_say_it_expired(app):
    """Issue 9: with the cookie's own expiry equal to the idle time, an idle person
    came back to "not logged in" without the "utgången" notice or its audit entry."""
    idle = app.extensions["lagesbild_auth"].idle.total_seconds()
    assert app.permanent_session_lifetime.total_seconds() == idle + 12 * 3600


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
