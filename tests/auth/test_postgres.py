"""The app database on a real PostgreSQL server (LAGESBILD_DATABASE_URL).

A throwaway cluster is made with initdb in a temporary directory and served
on a free loopback port for this module. Skipped only when no PostgreSQL
server programs are installed (Debian: apt-get install postgresql).
"""
from __future__ import annotations

import threading
import time

import pytest

from tests.cluster import Postgres, pg_bin
from tests.conftest import make_settings


_CLUSTER: dict = {}  # the module's cluster, for the test that stops it


@pytest.fixture(scope="module")
def pg_url():
    if pg_bin() is None:
        pytest.skip("PostgreSQL-servern (initdb, pg_ctl) finns inte på maskinen")
    with Postgres() as pg:
        _CLUSTER["pg"] = pg
        yield pg.url


def test_migrations_roles_and_audit_on_postgresql(pg_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from auth import audit, roles
    from auth.db import AuthDB
    from auth.models import Base

    # Two processes' worth of start-ups at once: the advisory lock serialises them.
    dbs = [AuthDB(pg_url, lock_dir=tmp_path / f"w{i}") for i in range(3)]
    errors = []

    def run(db):
        try:
            db.migrate()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = dbs[0]
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert roles.grant(db, "SE2321000016-ABC1", "admin", by="test")
    assert roles.roles_for(db, "SE2321000016-ABC1") == {"admin"}
    audit.record(db, "login", actor="SE2321000016-ABC1", actor_name="Åsa Öberg", params={"kva": "NGB"})
    assert audit.failed_logins(db, __import__("datetime").timedelta(minutes=5), remote_addr="x") == 0
    row = audit.recent(db, action="login")[0]
    assert row.actor_name == "Åsa Öberg" and row.at.tzinfo is not None
    # migration 0003: capacity notices and the per-unit role on PostgreSQL
    import datetime as dt

    from auth import notices

    assert notices.grant_unit(db, "SE2321000016-ABC1", "SE2321000016-E001", by="test")
    today = dt.date.today()
    notice = notices.validate(
        {"enhet": "SE2321000016-E001", "kva": ["NGB"], "typ": "erbjuder", "antal": 3, "fran": today.isoformat(),
         "till": (today + dt.timedelta(days=9)).isoformat(), "kontakt": "vaxel@region.se",
         "giltig_till": (today + dt.timedelta(days=9)).isoformat(), "villkor": "Åäö"},
        known_group=lambda g: True, known_unit=lambda u: True,
        may_post_for=lambda u: u in notices.units_for(db, "SE2321000016-ABC1"))
    stored = notices.create(db, notice, namn="Enhet Ö", region_kod="07", by="SE2321000016-ABC1")
    assert [n["id"] for n in notices.current(db, kva="NGB")] == [stored["id"]]
    notices.withdraw(db, stored["id"], by="SE2321000016-ABC1")
    assert notices.current(db) == [] and notices.get(db, stored["id"])["villkor"] == "Åäö"
    for d in dbs:
        d.dispose()


def test_app_with_postgresql_database_url(pg_url, data_dir):
    from app import create_app
    from auth import audit
    from tests.auth.support import READER, logged_in_client

    app = create_app(make_settings(data_dir, database_url=pg_url))
    assert not (data_dir / "app.db").exists()
    client = logged_in_client(app, *READER)
    started = time.time()
    assert client.get("/api/v1/meta").status_code in (200, 404, 503)
    entry = audit.recent(app.extensions["auth_db"], action="api")[0]
    assert entry.path == "/api/v1/meta" and entry.at.timestamp() >= started - 5
    app.extensions["auth_db"].dispose()


def test_sessions_and_throttling_across_two_servers_on_one_postgresql(pg_url, tmp_path):
    """Two app servers (their own data directories, one PostgreSQL, one secret):
    a login on A is valid on B, a logout on A ends it on B too, and failed logins
    on both count together for the throttle (issue 15, part 2)."""
    from app import create_app
    from tests.auth.support import READER, csrf_from, ensure_account, login
    from tests.factories import build_random_warehouse

    secret = "s" * 16 + "E7q!kP2#vZ9@rT4$wX6%"
    apps = []
    for name in ("a", "b"):
        data_dir = tmp_path / name / "var"
        build_random_warehouse(data_dir, seed=5, demo=True)
        apps.append(create_app(make_settings(data_dir, database_url=pg_url, secret_key=secret)))
    a, b = apps
    ensure_account(a, *READER)
    client_a, client_b = a.test_client(), b.test_client()
    assert login(client_a, *READER).status_code == 302
    cookie = client_a.get_cookie("lagesbild_session")
    assert cookie is not None
    client_b.set_cookie("lagesbild_session", cookie.value)
    assert client_b.get("/api/v1/meta").status_code == 200                 # A's login, served by B
    page = client_a.get("/logout")
    client_a.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert client_b.get("/api/v1/meta").status_code == 401                 # ended on A: ended on B
    # Throttling counts the attempts on both servers.
    for i in range(5):
        client = (client_a, client_b)[i % 2]
        assert login(client, READER[0], "fel-losenord").status_code in (200, 401)
    refused = login(client_b, *READER)
    assert refused.status_code == 429, refused.status_code
    for app_ in apps:
        app_.extensions["auth_db"].dispose()


def test_with_the_app_database_down_reading_goes_on_and_a_new_login_says_why(pg_url, tmp_path, pki):
    """Issue 15, part 5 (runs last in this module: it stops the module's PostgreSQL).

    Both ways of logging in: the dev form and the SITHS card through the proxy."""

    from app import create_app
    from tests.auth.conftest import TRUSTED
    from tests.auth.support import logged_in_client, login
    from tests.factories import build_random_warehouse

    READER = ("lasare-utan-db", "lasare-utan-db-losenord-1")   # not the account the throttle test used
    data_dir = tmp_path / "var"
    build_random_warehouse(data_dir, seed=5, demo=True)
    app = create_app(make_settings(data_dir, database_url=pg_url))
    reader = logged_in_client(app, *READER)
    assert reader.get("/api/v1/meta").status_code == 200
    proxy_dir = tmp_path / "proxy" / "var"
    build_random_warehouse(proxy_dir, seed=5, demo=True)
    proxy_app = create_app(make_settings(proxy_dir, database_url=pg_url, auth_mode="proxy",
                                         trusted_proxies=f"{TRUSTED},127.0.0.1/32", siths_ca_file=pki.ca_file))

    def card(client, url, name="valid"):
        return client.get(url, headers={"X-SSL-Client-Cert": pki.header(name)}, environ_base={"REMOTE_ADDR": TRUSTED})

    card_reader = proxy_app.test_client()
    assert card(card_reader, "/api/v1/meta").status_code == 200

    _CLUSTER["pg"].stop()
    for server in (app, proxy_app):                       # no pooled connection survives a real outage
        server.extensions["auth_db"].engine.dispose()
    for url in ("/api/v1/meta", "/api/v1/waits?kva=NGB&period=90"):
        resp = reader.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:200])
        resp = card(card_reader, url)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:200])
    assert card(card_reader, "/").status_code == 200                       # the pages too
    fresh = app.test_client()
    refused = login(fresh, *READER)
    assert refused.status_code == 503
    assert "behörighetsdatabasen svarar inte" in refused.get_data(as_text=True)
    assert "Traceback" not in refused.get_data(as_text=True)
    # A card not yet logged in: the new session cannot be recorded, so a Swedish 503 (page and JSON).
    for url, kind in (("/", "text/html"), ("/api/v1/meta", "application/json")):
        refused = card(proxy_app.test_client(), url)
        assert refused.status_code == 503 and refused.mimetype == kind, (url, refused.status_code)
        text = refused.get_json()["fel"] if kind == "application/json" else refused.get_data(as_text=True)
        assert "behörighetsdatabasen svarar inte" in text and "Traceback" not in text
    assert card(proxy_app.test_client(), "/api/v1/meta").get_json()["reason"] == "database_down"
    # The audit rows of the outage wait in the batching writer for the database (auth/audit.py);
    # it is not coming back in this test, so they are let go.
    from auth import audit

    for server in (app, proxy_app):
        audit._writers.pop(id(server.extensions["auth_db"]), None) if hasattr(audit, "_writers") else None
