"""The audit log cannot be flooded (issue 9): every entry is bounded whatever a
request sends, anonymous failures are one entry per source address and reason
a minute, old entries go after LAGESBILD_AUDIT_RETENTION_DAYS, and the admin
CSV is streamed in batches."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from auth import audit
from auth.models import AuditEntry
from tests.auth.conftest import TRUSTED, UNTRUSTED


def _db(app):
    return app.extensions["auth_db"]


def _stored(app) -> tuple[int, int]:
    """(entries, characters of params + detail + path) in the database."""
    audit.flush(_db(app))
    with _db(app).session() as s:
        n = s.scalar(select(func.count(AuditEntry.id)))
        size = s.scalar(select(func.sum(func.length(func.coalesce(AuditEntry.params, "")) +
                                        func.length(func.coalesce(AuditEntry.detail, "")) +
                                        func.length(func.coalesce(AuditEntry.path, "")))))
    return int(n or 0), int(size or 0)


def test_a_flood_of_1000_anonymous_requests_stays_bounded(proxy_app, pki):
    """The penetration test: 300 requests with a 7,5 kB parameter added 2,25 MB."""
    client = proxy_app.test_client()
    big = "x" * 7500
    for i in range(1000):
        addr, headers = ((UNTRUSTED, {}) if i % 2 else (TRUSTED, {"X-SSL-Client-Cert": pki.header("expired")}))
        r = client.get(f"/api/v1/waits?kva=NGB&junk={big}&i={i}", headers=headers, environ_base={"REMOTE_ADDR": addr})
        assert r.status_code == 401
    entries, size = _stored(proxy_app)
    assert entries <= 4, entries  # one per address and reason in the minute
    assert size < 10_000, size
    for row in audit.recent(_db(proxy_app)):
        assert row.params is None or len(row.params) <= audit.MAX_PARAMS_JSON


def test_after_the_minute_the_next_entry_says_how_many_were_left_out(proxy_app, monkeypatch):
    client = proxy_app.test_client()
    clock = [1000.0]
    real = audit.aggregated
    monkeypatch.setattr(audit, "aggregated", lambda key, now=None: real(key, clock[0]))
    for _ in range(7):
        client.get("/api/v1/meta", environ_base={"REMOTE_ADDR": UNTRUSTED})
    clock[0] += audit.AGGREGATE_SECONDS + 1
    client.get("/api/v1/meta", environ_base={"REMOTE_ADDR": UNTRUSTED})
    rows = audit.recent(_db(proxy_app), action="login_failed")
    assert len(rows) == 2 and "och 6 likadana från samma adress" in rows[0].detail


def test_a_logged_in_persons_entries_are_bounded_too(auth_client, app):
    params = {f"p{i}": "y" * 5000 for i in range(60)}
    auth_client.get("/api/v1/kva", query_string={"q": "knä", **params})
    row = audit.recent(_db(app), action="api")[0]
    stored = json.loads(row.params)
    assert len(row.params) <= audit.MAX_PARAMS_JSON
    assert len(stored) <= audit.MAX_PARAM_KEYS + 1


def test_bounded_params_cuts_keys_values_and_the_whole():
    text = audit.bounded_params({"k" * 300: "v" * 300, "lista": ["a" * 500] * 50, "n": 3})
    data = json.loads(text)
    assert len(text) <= audit.MAX_PARAMS_JSON
    key = next(k for k in data if k.startswith("k"))
    assert len(key) == audit.MAX_PARAM_KEY and key.endswith("…")
    assert len(data[key]) == audit.MAX_PARAM_VALUE and data["n"] == 3
    assert "lista" not in data and data["…"] == "1 parametrar till"  # 20 x 200 characters would not fit
    short = json.loads(audit.bounded_params({"lista": ["a"] * 50}))
    assert len(short["lista"]) == audit.MAX_PARAM_KEYS
    assert audit.bounded_params({}) is None


def test_retention_removes_entries_older_than_the_setting(app):
    db = _db(app)
    now = datetime.now(timezone.utc)
    audit.record(db, "login_failed", detail="gammal", at=now - timedelta(days=800))
    audit.record(db, "login_failed", detail="ny", at=now - timedelta(days=10))
    assert audit.purge_older_than(db, 730) == 1
    assert [r.detail for r in audit.recent(db, action="login_failed")] == ["ny"]


def test_admin_csv_is_streamed_in_batches(app):
    from tests.auth.support import ADMIN, logged_in_client

    db = _db(app)
    for i in range(4500):
        audit.record(db, "api", actor="SE2321000016-X1", path=f"/api/v1/waits/{i}")
    got = list(audit.iter_rows(db, action="api", batch=1000))
    assert len(got) == 4500 and [r.id for r in got] == sorted((r.id for r in got), reverse=True)
    client = logged_in_client(app, *ADMIN, role="admin")
    resp = client.get("/admin/audit.csv?handelse=api")
    assert resp.status_code == 200 and resp.is_streamed
    lines = resp.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 4501 and lines[0].startswith("id;tid;hsa_id")
