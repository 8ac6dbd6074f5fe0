"""The audit log: who did what, when, from where, with which parameters.

``record(db, action, ...)`` writes one entry; ``record_request(action, ...)``
fills who/where/path/parameters from the current Flask request. Query
functions serve the Admin page and the CSV export.

Writing. The frequent entries (API calls, exports, logins, logouts) go to a
per-process :class:`AuditWriter` that inserts them in batches from a
background thread, at most ``FLUSH_SECONDS`` after the request: one
transaction of many rows instead of a transaction per request. The rare
entries that other decisions depend on (failed and throttled logins, denied
access, role changes) are written at once. Every read of the log (the Admin
page, the CSV, the login throttle's count) first writes what is pending, and
so do a graceful worker stop (gunicorn's ``worker_exit``) and the process's
exit (``atexit``): nothing is lost on a graceful stop. A killed process
(SIGKILL, OOM) loses at most the last ``FLUSH_SECONDS`` of frequent entries;
on SQLite (WAL, synchronous=NORMAL) an OS crash or power cut can lose the
commits since the WAL was last synced (deploy/README.md).
"""
from __future__ import annotations

import csv
import io
import json
import logging
import atexit
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, or_, select

from auth.db import AuthDB
from common import format as fmt
from auth.models import AuditEntry

log = logging.getLogger("lagesbild.audit")
_INSERT = insert(AuditEntry.__table__)
FLUSH_SECONDS = 0.2
#: Entries other decisions depend on (the login throttle counts failures) or
#: that are rare and weighty: written in the request, never batched.
IMMEDIATE_ACTIONS = frozenset({"login_failed", "login_throttled", "access_denied", "role_granted",
                               "role_revoked", "dev_user_saved", "sessions_revoked", "notice_created",
                               "notice_withdrawn", "notice_refused", "notice_changed"})
MAX_PENDING = 100_000  # a database down for long: keep this many, then drop the oldest (logged)


class AuditWriter:
    """Pending audit rows of one database in this process, written as one
    transaction per flush (by the process's flusher thread, or by a reader)."""

    def __init__(self, db: AuthDB):
        self.db = db
        self._pending: list[dict] = []
        self._lock = threading.Lock()        # guards _pending
        self._write_lock = threading.Lock()  # one flush at a time

    def submit(self, row: dict) -> None:
        with self._lock:
            self._pending.append(row)
            if len(self._pending) > MAX_PENDING:
                dropped = len(self._pending) - MAX_PENDING
                del self._pending[:dropped]
                log.error("Granskningsloggen kan inte skrivas; %d äldsta poster kastade", dropped)
        _ensure_flusher()

    def flush(self) -> int:
        """Write every pending row now (in the caller's thread). Returns how many."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                with self.db.engine.begin() as connection:
                    connection.execute(_INSERT, rows)
            except Exception:
                with self._lock:
                    self._pending[:0] = rows  # keep them, in order, for the next try
                log.exception("Kunde inte skriva %d poster till granskningsloggen; försöker igen", len(rows))
                raise
            return len(rows)


_writers: dict[int, AuditWriter] = {}
_writers_lock = threading.Lock()
_flusher: tuple[int, threading.Thread] | None = None


def _ensure_flusher() -> None:
    """One daemon thread per process flushes every writer each FLUSH_SECONDS
    (started lazily, so a forked gunicorn worker starts its own)."""
    global _flusher
    current = _flusher
    if current is not None and current[0] == os.getpid() and current[1].is_alive():
        return
    with _writers_lock:
        current = _flusher
        if current is not None and current[0] == os.getpid() and current[1].is_alive():
            return
        thread = threading.Thread(target=_flush_loop, name="audit-writer", daemon=True)
        _flusher = (os.getpid(), thread)
        thread.start()


def _flush_loop() -> None:
    import time

    while True:
        time.sleep(FLUSH_SECONDS)
        flush_all()


def writer_for(db: AuthDB) -> AuditWriter:
    w = _writers.get(id(db))
    if w is None or w.db is not db:
        with _writers_lock:
            w = _writers.get(id(db))
            if w is None or w.db is not db:
                w = _writers[id(db)] = AuditWriter(db)
    return w


def flush(db: AuthDB) -> None:
    """Write what is pending for this database (before reading the log)."""
    w = _writers.get(id(db))
    if w is not None and w.db is db:
        w.flush()


def forget(db: AuthDB) -> None:
    """Write what is pending and drop the writer (the database is being disposed)."""
    flush(db)
    with _writers_lock:
        w = _writers.get(id(db))
        if w is not None and w.db is db:
            del _writers[id(db)]


@atexit.register
def flush_all() -> None:
    """Write every process-local pending row (gunicorn worker_exit, atexit)."""
    for w in list(_writers.values()):
        try:
            w.flush()
        except Exception:  # noqa: BLE001 - logged in flush
            pass
STOCKHOLM = fmt.STOCKHOLM

# Swedish labels for the Admin page and the CSV.
ACTION_LABELS = {
    "login": "Inloggning",
    "login_failed": "Misslyckad inloggning",
    "login_throttled": "Inloggning spärrad (för många försök)",
    "logout": "Utloggning",
    "session_expired": "Sessionen gick ut",
    "session_ended": "Avslutad session användes",
    "sessions_revoked": "Sessioner avslutade av administratör",
    "api": "API-anrop",
    "notice_created": "Kapacitetsannons publicerad",
    "notice_withdrawn": "Kapacitetsannons tillbakadragen",
    "notice_changed": "Kapacitetsannons ändrad",
    "notice_refused": "Kapacitetsannons avvisad",
    "export": "Export",
    "access_denied": "Åtkomst nekad",
    "role_granted": "Roll tilldelad",
    "role_revoked": "Roll återkallad",
    "dev_user_saved": "Utvecklarkonto sparat",
    "admin_view": "Admin-sidan visad",
}
CSV_COLUMNS = [
    ("id", "id"), ("tid", "at"), ("hsa_id", "actor"), ("namn", "actor_name"), ("handelse", "action"),
    ("handelse_text", "action_label"), ("gäller", "subject"), ("metod", "method"), ("sökväg", "path"),
    ("parametrar", "params"), ("format", "format"), ("status", "status"), ("detalj", "detail"),
    ("ip_adress", "remote_addr"),
]


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str | None
    actor_name: str | None
    action: str
    subject: str | None
    method: str | None
    path: str | None
    params: str | None
    format: str | None
    status: int | None
    detail: str | None
    remote_addr: str | None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def local_time(self) -> str:
        return fmt.fmt_local_time(self.at)


def _to_row(e: AuditEntry) -> AuditRow:
    return AuditRow(e.id, e.at, e.actor, e.actor_name, e.action, e.subject, e.method, e.path,
                    e.params, e.format, e.status, e.detail, e.remote_addr)


def record(db: AuthDB, action: str, *, actor: str | None = None, actor_name: str | None = None,
           subject: str | None = None, method: str | None = None, path: str | None = None,
           params: dict | None = None, format: str | None = None, status: int | None = None,
           detail: str | None = None, remote_addr: str | None = None,
           at: datetime | None = None) -> None:
    """Audit one entry: at once for IMMEDIATE_ACTIONS (a failure is logged
    loudly and re-raised), else through the process's batching writer (see
    the module docstring). Core inserts, no ORM unit of work."""
    row = dict(
        at=at or datetime.now(timezone.utc), actor=_cut(actor, 200), actor_name=_cut(actor_name, 200),
        action=action, subject=_cut(subject, 200), method=_cut(method, 10), path=_cut(path, MAX_PATH),
        params=bounded_params(params), format=_cut(format, 10), status=status,
        detail=_cut(detail, MAX_DETAIL), remote_addr=_cut(remote_addr, 64),
    )
    if action not in IMMEDIATE_ACTIONS:
        writer_for(db).submit(row)
        return
    try:
        with db.engine.begin() as connection:
            connection.execute(_INSERT, row)
    except Exception:
        log.exception("Kunde inte skriva granskningsloggen (action=%s, path=%s)", action, path)
        raise


# ---- bounds: no request can make an entry large -----------------------------

MAX_PATH = 500
MAX_DETAIL = 500
MAX_PARAM_KEYS = 20
MAX_PARAM_KEY = 50
MAX_PARAM_VALUE = 200
MAX_PARAMS_JSON = 2000
CUT = "…"


def _cut(value, limit: int):
    if value is None or value == "":
        return None
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + CUT


def _bounded_value(value):
    if isinstance(value, (list, tuple)):
        return [_bounded_value(v) for v in list(value)[:MAX_PARAM_KEYS]]
    if isinstance(value, dict):
        return {_cut(k, MAX_PARAM_KEY): _bounded_value(v) for k, v in list(value.items())[:MAX_PARAM_KEYS]}
    if isinstance(value, str):
        return _cut(value, MAX_PARAM_VALUE)
    return value


def bounded_params(params: dict | None) -> str | None:
    """The parameters as JSON, each key and value cut to a bounded length, at
    most MAX_PARAM_KEYS of them, and the whole at most MAX_PARAMS_JSON
    characters (an entry can never grow with what a request sends)."""
    if not params:
        return None
    items = list(params.items())
    bounded = {_cut(k, MAX_PARAM_KEY): _bounded_value(v) for k, v in items[:MAX_PARAM_KEYS]}
    if len(items) > MAX_PARAM_KEYS:
        bounded[CUT] = f"{len(items) - MAX_PARAM_KEYS} parametrar till"
    text = json.dumps(bounded, ensure_ascii=False, sort_keys=True)
    left_out = 0
    while len(text) > MAX_PARAMS_JSON and bounded:
        largest = max((k for k in bounded if k != CUT), key=lambda k: len(json.dumps(bounded[k])), default=None)
        if largest is None:
            break
        bounded.pop(largest)  # the largest parameter goes first
        left_out += 1
        bounded[CUT] = f"{left_out + max(0, len(items) - MAX_PARAM_KEYS)} parametrar till"
        text = json.dumps(bounded, ensure_ascii=False, sort_keys=True)
    return text


# ---- anonymous failures: one entry per source address and reason a minute ----

AGGREGATE_SECONDS = 60
_AGGREGATE_MAX_KEYS = 10_000
_aggregate: dict[tuple, list] = {}  # (database, remote_addr, action, reason, subject) -> [first_at, suppressed count]
_aggregate_lock = threading.Lock()


def aggregated(key: tuple, now: float | None = None) -> tuple[bool, int]:
    """(write this one?, how many like it were left out since the last one
    written). The first of a key in AGGREGATE_SECONDS is written (carrying the
    count of those left out before it); the rest are only counted."""
    import time

    now = time.monotonic() if now is None else now
    with _aggregate_lock:
        entry = _aggregate.get(key)
        if entry is not None and now - entry[0] < AGGREGATE_SECONDS:
            entry[1] += 1
            return False, 0
        left_out = entry[1] if entry is not None else 0
        if len(_aggregate) >= _AGGREGATE_MAX_KEYS:
            oldest = sorted(_aggregate.items(), key=lambda kv: kv[1][0])[: _AGGREGATE_MAX_KEYS // 10]
            for k, _ in oldest:
                _aggregate.pop(k, None)
        _aggregate[key] = [now, 0]
        return True, left_out


def request_params() -> dict:
    """The query parameters of the current request, lists only where repeated."""
    from flask import request

    out = {}
    for key in request.args:
        values = request.args.getlist(key)
        out[key] = values[0] if len(values) == 1 else values
    return out


def record_request(action: str, *, status: int | None = None, detail: str | None = None,
                   subject: str | None = None, params: dict | None = None,
                   format: str | None = None, db: AuthDB | None = None, path: str | None = None,
                   aggregate: str | None = None) -> None:
    """Audit an event of the current request (who, where, path, parameters).

    ``aggregate`` (a reason code) for failures of anonymous requests: at most
    one entry per source address, action and reason in AGGREGATE_SECONDS,
    the next one saying how many were left out (a flood of anonymous requests
    cannot fill the log)."""
    from flask import current_app, request
    from flask_login import current_user

    db = db or current_app.extensions["auth_db"]
    actor = actor_name = None
    if getattr(current_user, "is_authenticated", False):
        actor, actor_name = current_user.hsa_id, current_user.name
    if aggregate is not None and actor is None:
        write, left_out = aggregated((id(db), request.remote_addr, action, aggregate, subject))
        if not write:
            return
        if left_out:
            detail = f"{detail or aggregate} (och {left_out} likadana från samma adress den senaste perioden)"
    record(db, action, actor=actor, actor_name=actor_name, subject=subject,
           method=request.method, path=path or request.path,
           params=params if params is not None else request_params(),
           format=format, status=status, detail=detail, remote_addr=request.remote_addr)


# ---- queries ----------------------------------------------------------------

def _filtered(q, action=None, actor=None, since=None, until=None, text=None):
    """The Admin page's and the CSV's filters on an audit query."""
    if action:
        q = q.where(AuditEntry.action == action)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if since:
        q = q.where(AuditEntry.at >= since)
    if until:
        q = q.where(AuditEntry.at < until)
    if text:
        like = f"%{text}%"
        q = q.where(or_(AuditEntry.actor.ilike(like), AuditEntry.actor_name.ilike(like),
                        AuditEntry.subject.ilike(like), AuditEntry.path.ilike(like)))
    return q


def recent(db: AuthDB, limit: int = 200, action: str | None = None, actor: str | None = None,
           since: datetime | None = None, until: datetime | None = None, text: str | None = None) -> list[AuditRow]:
    """Newest first."""
    flush(db)
    q = _filtered(select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
                  action, actor, since, until, text)
    if limit:
        q = q.limit(limit)
    with db.session() as s:
        return [_to_row(e) for e in s.scalars(q)]


def count_since(db: AuthDB, action: str, since: datetime, subject: str | None = None,
                remote_addr: str | None = None) -> int:
    flush(db)
    q = select(func.count(AuditEntry.id)).where(AuditEntry.action == action, AuditEntry.at >= since)
    if subject is not None:
        q = q.where(AuditEntry.subject == subject)
    if remote_addr is not None:
        q = q.where(AuditEntry.remote_addr == remote_addr)
    with db.session() as s:
        return int(s.scalar(q) or 0)


def purge_older_than(db: AuthDB, days: int) -> int:
    """Delete entries older than ``days`` days (LAGESBILD_AUDIT_RETENTION_DAYS).
    Returns how many."""
    from sqlalchemy import delete

    flush(db)
    cutoff = datetime.now(timezone.utc) - timedelta(days=days)
    with db.engine.begin() as connection:
        result = connection.execute(delete(AuditEntry.__table__).where(AuditEntry.at < cutoff))
    removed = int(result.rowcount or 0)
    if removed:
        log.info("Granskningsloggen: %d poster äldre än %d dagar borttagna", removed, days)
    return removed


_last_purge: dict[int, float] = {}
PURGE_EVERY_SECONDS = 6 * 3600


def purge_when_due(db: AuthDB, days: int | None) -> None:
    """Purge at most every PURGE_EVERY_SECONDS per database in this process
    (at start and then from the request that comes after the interval)."""
    import time

    if not days:
        return
    now = time.monotonic()
    last = _last_purge.get(id(db))
    if last is not None and now - last < PURGE_EVERY_SECONDS:
        return
    _last_purge[id(db)] = now
    try:
        purge_older_than(db, days)
    except Exception:  # noqa: BLE001 - never let retention break a request
        log.exception("Kunde inte rensa gamla poster i granskningsloggen")


def failed_logins(db: AuthDB, window: timedelta, subject: str | None = None,
                  remote_addr: str | None = None) -> int:
    since = datetime.now(timezone.utc) - window
    return count_since(db, "login_failed", since, subject=subject, remote_addr=remote_addr)


def _neutralise(value):
    """Stop spreadsheet formula injection: text starting with = + - @ is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def iter_rows(db: AuthDB, *, action=None, actor=None, since=None, until=None, text=None, batch: int = 2000):
    """Every matching entry, newest first, fetched in batches by id (keyset
    pagination: memory stays flat however long the log is)."""
    flush(db)
    last_key = None
    while True:
        q = _filtered(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(batch),
                      action, actor, since, until, text)
        if last_key is not None:
            q = q.where(AuditEntry.id < last_key)
        with db.session() as s:
            rows = [_to_row(e) for e in s.scalars(q)]
        if not rows:
            return
        yield from rows
        last_key = rows[-1].id


def iter_csv(rows):
    """The CSV of :func:`to_csv`, line by line (for a streamed response)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([label for label, _ in CSV_COLUMNS])
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    for r in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(["" if (v := (r.local_time if attr == "at" else getattr(r, attr))) is None else _neutralise(v)
                    for _, attr in CSV_COLUMNS])
        yield buf.getvalue().encode("utf-8")


def to_csv(rows: list[AuditRow]) -> bytes:
    """Semicolon-separated, UTF-8 with BOM: opens correctly in Swedish Excel."""
    return b"".join(iter_csv(rows))