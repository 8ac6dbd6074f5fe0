"""The app database: one SQLAlchemy engine per app, schema by Alembic.

SQLite file in the data directory by default, PostgreSQL (or anything
SQLAlchemy speaks) by LAGESBILD_DATABASE_URL. ``AuthDB.migrate()`` brings the
schema to the newest revision; it runs at start-up and in the CLI, under a
file lock so several gunicorn workers starting together do not race.
"""
from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration in auth/migrations/versions (a test checks it against Alembic).
HEAD_REVISION = "0003_notices"


class AuthDB:
    def __init__(self, url: str, lock_dir: Path | None = None):
        self.url = url
        self.lock_dir = lock_dir
        kwargs: dict = {"future": True, "pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        s = self.Session()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    # ---- schema -----------------------------------------------------------
    def alembic_config(self):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent).

        A database already at :data:`HEAD_REVISION` is left alone without
        loading Alembic (every worker calls this at start; Alembic and the
        migration scripts cost each worker ~10 MB and ~0,1 s for nothing)."""
        if self._stored_revision() == HEAD_REVISION:
            return
        from alembic import command

        with self._lock():
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Several hosts may start at once: one migrates, the others wait.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7391042)")
                cfg = self.alembic_config()
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")

    def _stored_revision(self) -> str | None:
        """The revision in ``alembic_version`` (None if there is no such table yet)."""
        try:
            with self.engine.connect() as connection:
                return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # noqa: BLE001 - no table yet (new database): migrate
            return None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    @contextlib.contextmanager
    def _lock(self):
        if self.lock_dir is None:
            yield
            return
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_dir / ".appdb.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def dispose(self) -> None:
        from auth import audit

        audit.forget(self)  # what the batching writer still holds is written first
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    # WAL: readers never block the writer; two gunicorn workers share the file.
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is not flushed to disk on its own; it survives a
    # process crash or a graceful stop, and only an OS crash or power cut can
    # lose the last commits since the WAL was last synced (deploy/README.md).
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_db(settings) -> AuthDB:
    """The app database for these settings, migrated to the newest schema."""
    db = AuthDB(settings.effective_database_url, lock_dir=settings.data_dir)
    db.migrate()
    if db.engine.dialect.name == "sqlite" and db.engine.url.database not in (None, "", ":memory:"):
        # Password hashes and the audit log: readable by the service account only.
        path = Path(db.engine.url.database)
        if path.exists() and path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except PermissionError:
                pass
    return db
