"""`flask --app app users ...` in a real subprocess; migrations; `python -m auth.devinfo`."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from auth import devusers, roles
from auth.db import HEAD_REVISION, AuthDB, open_db
from tests.conftest import ROOT, make_settings

FLASK = str(ROOT / ".venv" / "bin" / "flask")
HSA = "SE2321000016-ABC1"


def _env(data_dir, **extra):
    env = dict(os.environ)
    env.update({"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"})
    env.update(extra)
    return env


def _flask(data_dir, *args, **extra):
    exe = FLASK if os.path.exists(FLASK) else None
    cmd = [exe, "--app", "app", *args] if exe else [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(cmd, cwd=ROOT, env=_env(data_dir, **extra), capture_output=True, text=True, timeout=120)


def test_users_grant_list_revoke_cli(data_dir):
    # A fresh data directory: the CLI migrates the app database itself.
    granted = _flask(data_dir, "users", "grant", HSA, "admin")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == f"Rollen admin är tilldelad {HSA}."
    listed = _flask(data_dir, "users", "list")
    assert listed.returncode == 0 and HSA in listed.stdout and "admin" in listed.stdout and "1 roll." in listed.stdout
    revoked = _flask(data_dir, "users", "revoke", HSA, "admin")
    assert revoked.returncode == 0 and "återkallad" in revoked.stdout
    # The grants and revokes are in the audit log, and the roles table is empty again.
    db = open_db(make_settings(data_dir))
    assert roles.list_grants(db) == []
    from auth import audit

    actions = [(r.action, r.subject) for r in audit.recent(db)]
    assert actions == [("role_revoked", HSA), ("role_granted", HSA)]
    assert audit.recent(db)[0].actor_name.startswith("cli:")


def test_cli_errors_are_swedish(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "grant", "ABC123", "admin"])
    assert bad.exit_code != 0 and "inget giltigt HSA-id" in bad.output
    unknown = runner.invoke(args=["users", "grant", HSA, "superuser"])
    assert unknown.exit_code != 0 and "Okänd roll" in unknown.output
    missing = runner.invoke(args=["users", "revoke", HSA, "admin"])
    assert missing.exit_code == 1 and "hade inte rollen" in missing.output
    empty = runner.invoke(args=["users", "list"])
    assert empty.exit_code == 0 and "Inga roller är tilldelade" in empty.output
    added = runner.invoke(args=["users", "dev-add", "kollega", "--password-stdin"], input="ett-langt-losenord\n")
    assert added.exit_code == 0 and "SE0000000000-DEVKOLLEGA" in added.output
    assert devusers.verify(app.extensions["auth_db"], "kollega", "ett-langt-losenord") is not None


def test_roles_functions(app):
    db = app.extensions["auth_db"]
    assert roles.grant(db, HSA, "admin", by="test") is True
    assert roles.grant(db, HSA, "admin", by="test") is False
    assert roles.roles_for(db, HSA) == {"admin"}
    with pytest.raises(roles.RoleError, match="Okänd roll"):
        roles.grant(db, HSA, "superuser", by="test")
    with pytest.raises(roles.RoleError, match="giltigt HSA-id"):
        roles.grant(db, "SE123", "admin", by="test")
    assert roles.revoke(db, HSA, "admin") is True
    assert roles.revoke(db, HSA, "admin") is False
    assert roles.roles_for(db, HSA) == frozenset()


def test_per_request_access_lookup_is_fresh(app):
    """The user loader's one-query look-up sees a grant, a revoke and a removed
    dev account at once (no cache between the app database and a request)."""
    db = app.extensions["auth_db"]
    assert roles.access_for(db, HSA) == (frozenset(), False)
    roles.grant(db, HSA, "admin", by="test")
    assert roles.access_for(db, HSA) == (frozenset({"admin"}), False)
    roles.revoke(db, HSA, "admin")
    assert roles.access_for(db, HSA) == (frozenset(), False)
    account = devusers.create_or_update(db, "snabb", "ett-langt-losenord")
    assert roles.access_for(db, account.hsa_id) == (frozenset(), True)
    roles.grant(db, account.hsa_id, "admin", by="test")
    assert roles.access_for(db, account.hsa_id) == (frozenset({"admin"}), True)


def test_dev_session_ends_when_the_account_is_removed(app):
    from sqlalchemy import delete

    from auth.models import DevUser
    from tests.auth.support import logged_in_client

    client = logged_in_client(app, "borttagen", "ett-langt-losenord")
    assert client.get("/api/v1/meta").status_code in (200, 503)
    with app.extensions["auth_db"].session() as s:
        s.execute(delete(DevUser).where(DevUser.username == "borttagen"))
    assert client.get("/api/v1/meta").status_code == 401


def test_migrations_match_the_models_and_are_idempotent(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from auth.models import Base

    db = AuthDB(f"sqlite:///{tmp_path / 'app.db'}", lock_dir=tmp_path)
    db.migrate()
    db.migrate()
    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    assert db.current_revision() == head
    # The constant that lets an up-to-date database skip Alembic is the real head.
    from auth.db import HEAD_REVISION

    assert HEAD_REVISION == head
    assert {"dev_users", "role_grants", "audit_log", "alembic_version"} <= set(db.table_names())
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_an_up_to_date_database_is_not_migrated_again(tmp_path):
    db = AuthDB(f"sqlite:///{tmp_path / 'app.db'}", lock_dir=tmp_path)
    db.migrate()
    # An older revision stored: migrate() must run Alembic (here it fails on the
    # unknown revision, which proves it looked); at head it returns untouched.
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'okand'")
    with pytest.raises(Exception):
        db.migrate()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'")
    code = f"""
import sys
from auth.db import AuthDB
AuthDB({f"sqlite:///{tmp_path / 'app.db'}"!r}).migrate()
print("alembic" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_database_url_setting_is_used(tmp_path):
    url = f"sqlite:///{tmp_path / 'annan.db'}"
    settings = make_settings(tmp_path / "var", database_url=url)
    db = open_db(settings)
    assert db.url == url and (tmp_path / "annan.db").exists()


def test_devinfo_creates_the_local_account_once(data_dir):
    cmd = [sys.executable, "-m", "auth.devinfo"]
    first = subprocess.run(cmd, cwd=ROOT, env=_env(data_dir), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Användarnamn: dev" in first.stdout and "Lösenord:" in first.stdout
    pw_file = data_dir / "dev-password.txt"
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "app.db").stat().st_mode) == 0o600  # hashes and audit: owner only
    password = pw_file.read_text().strip()
    assert len(password) >= 12 and password in first.stdout
    second = subprocess.run(cmd, cwd=ROOT, env=_env(data_dir), capture_output=True, text=True, timeout=120)
    assert password in second.stdout  # the same password, printed each time
    db = open_db(make_settings(data_dir))
    assert devusers.verify(db, "dev", password) is not None
    assert roles.roles_for(db, devusers.pseudo_hsa_id("dev")) == {"admin"}


def test_devinfo_never_makes_a_password_in_production(tmp_path, pki):
    data_dir = tmp_path / "var"
    env = _env(data_dir, LAGESBILD_ENV="production", LAGESBILD_SECRET_KEY="Zt7-Qm2pX9wLr4_Kv8cN1bY6hJ3sD0fGa5eRuiOw",
               LAGESBILD_PROXY_SECRET="Pq4_Wn8zL2kV7xR5cB1mT9yJ3dF6gS0aE-uHoXi")
    refused = subprocess.run([sys.executable, "-m", "auth.devinfo"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "inte tillåtet" in refused.stderr
    assert not (data_dir / "dev-password.txt").exists()
    env.update(LAGESBILD_AUTH_MODE="proxy", LAGESBILD_TRUSTED_PROXIES="127.0.0.1", LAGESBILD_SITHS_CA_FILE=str(pki.ca_file))
    proxy = subprocess.run([sys.executable, "-m", "auth.devinfo"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    assert proxy.returncode == 0 and "SITHS" in proxy.stdout and "Lösenord" not in proxy.stdout
    assert not (data_dir / "dev-password.txt").exists()


def test_cli_actions_are_audited_with_the_operator_named(app, monkeypatch):
    """Issue 9: role changes by the CLI were audited with no actor."""
    from auth import audit

    monkeypatch.setenv("LAGESBILD_OPERATOR", "SE2321000016-OPS1")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "grant", "SE2321000016-ABC1", "admin"]).exit_code == 0
    result = runner.invoke(args=["users", "revoke-sessions", "SE2321000016-ABC1"])
    assert result.exit_code == 0 and "0 öppna sessioner" in result.output
    db = app.extensions["auth_db"]
    for action in ("role_granted", "sessions_revoked"):
        row = audit.recent(db, action=action)[0]
        assert row.actor == "cli:SE2321000016-OPS1" and row.subject == "SE2321000016-ABC1"
    monkeypatch.delenv("LAGESBILD_OPERATOR")
    monkeypatch.setenv("SUDO_USER", "anna")
    assert runner.invoke(args=["users", "revoke", "SE2321000016-ABC1", "admin"]).exit_code == 0
    assert audit.recent(db, action="role_revoked")[0].actor == "cli:anna"
