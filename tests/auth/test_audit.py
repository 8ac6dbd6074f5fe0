"""The audit log: logins, failures, API calls, exports, admin actions; CSV export for admins."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from auth import audit, devusers
from tests.auth.support import READER, ensure_account, login


def _db(app):
    return app.extensions["auth_db"]


def test_login_and_failure_are_audited_with_address(app):
    ensure_account(app, *READER)
    client = app.test_client()
    login(client, READER[0], "fel-lösenord-999", REMOTE_ADDR="127.0.0.5")
    login(client, *READER, REMOTE_ADDR="127.0.0.5")
    ok, failed = audit.recent(_db(app), limit=2)
    assert ok.action == "login" and ok.actor == devusers.pseudo_hsa_id("lasare") and ok.remote_addr == "127.0.0.5"
    assert failed.action == "login_failed" and failed.actor is None and failed.subject == "lasare"
    assert failed.status == 401 and failed.remote_addr == "127.0.0.5"
    assert "fel-lösenord" not in (failed.params or "") + (failed.detail or "")  # passwords never logged


def test_api_calls_are_audited_with_parameters_and_format(app, auth_client):
    auth_client.get("/api/v1/waits?kva=NGB&period=90&asa=3&asa=4")
    auth_client.get("/api/v1/waits?kva=NGB&period=90&format=csv")
    auth_client.get("/api/v1/waits?kva=NGB&format=XLSX")
    xlsx, csv_, api = audit.recent(_db(app), limit=3)
    assert api.action == "api" and api.format == "json" and api.path == "/api/v1/waits"
    assert json.loads(api.params) == {"kva": "NGB", "period": "90", "asa": ["3", "4"]}
    assert api.actor == devusers.pseudo_hsa_id("lasare") and api.status is not None
    assert csv_.action == "export" and csv_.format == "csv"
    assert xlsx.action == "export" and xlsx.format == "xlsx"


def test_anonymous_api_calls_are_refused_not_audited_as_calls(app, client):
    assert client.get("/api/v1/waits?kva=NGB").status_code == 401
    assert not audit.recent(_db(app), action="api")


def test_audit_event_helper_for_dash_downloads(app, auth_client):
    import auth

    with app.test_request_context("/", query_string={"kva": "NGB"}):
        from flask_login import login_user

        from auth.user import StaffUser

        login_user(StaffUser("SE2321000016-ABC1", "Anna", frozenset(), "certifikat"))
        auth.audit_event("export", format="xlsx", params={"kva": "NGB", "period": 90})
    entry = audit.recent(_db(app), action="export")[0]
    assert entry.actor == "SE2321000016-ABC1" and entry.format == "xlsx"
    assert json.loads(entry.params) == {"kva": "NGB", "period": 90}


def test_admin_downloads_the_audit_log_as_csv(app, admin_client, auth_client):
    audit.record(_db(app), "api", actor="SE2321000016-ABC1", actor_name="Åsa Öberg", path="/api/v1/waits",
                 params={"kva": "NGB"}, format="json", status=200)
    audit.record(_db(app), "api", actor="SE2321000016-ABC1", actor_name="=HYPERLINK(\"x\")",
                 path="/api/v1/meta", status=200)
    resp = admin_client.get("/admin/audit.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "granskningslogg-" in resp.headers["Content-Disposition"]
    assert resp.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    names = [r["namn"] for r in rows]
    assert "Åsa Öberg" in names
    assert "'=HYPERLINK(\"x\")" in names  # formula injection neutralised
    assert {r["handelse"] for r in rows} >= {"login", "api"}
    assert all(r["tid"][:4].isdigit() and r["tid"][4] == "-" for r in rows)
    filtered = admin_client.get("/admin/audit.csv?handelse=login")
    assert {r["handelse"] for r in csv.DictReader(io.StringIO(filtered.data.decode("utf-8-sig")), delimiter=";")} == {"login"}
    assert admin_client.get("/admin/audit.csv?fran=igår").status_code == 400
    # The export itself is audited.
    assert audit.recent(_db(app), action="export")[0].path == "/admin/audit.csv"


def test_recent_filters(app):
    db = _db(app)
    now = datetime.now(timezone.utc)
    audit.record(db, "login", actor="SE2321000016-AAA1", at=now - timedelta(days=3))
    audit.record(db, "login", actor="SE2321000016-BBB2", at=now)
    assert [r.actor for r in audit.recent(db, action="login")] == ["SE2321000016-BBB2", "SE2321000016-AAA1"]
    assert [r.actor for r in audit.recent(db, since=now - timedelta(days=1))] == ["SE2321000016-BBB2"]
    assert [r.actor for r in audit.recent(db, text="AAA")] == ["SE2321000016-AAA1"]
    assert audit.recent(db, actor="SE2321000016-AAA1")[0].action_label == "Inloggning"


def test_admin_page_shows_roles_audit_and_no_data_note(app, admin_client):
    admin_client.get("/_dash-layout")
    page = admin_client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/admin"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": []})
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "Tilldelade roller" in text and devusers.pseudo_hsa_id("admin") in text
    assert "Granskningslogg" in text and "Inloggning" in text
    assert "Inga data är inlästa ännu" in text  # no warehouse snapshot in this test
    assert audit.recent(_db(app), action="admin_view")[0].path == "/admin"


def test_admin_page_layout_refuses_a_reader_without_data(app, auth_client):
    auth_client.get("/_dash-layout")
    page = auth_client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/admin"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": []})
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "Åtkomst nekad" in text
    assert "Granskningslogg" not in text and "Tilldelade roller" not in text


def test_dash_downloads_are_audited_as_exports(app):
    """Any page's dcc.Download that delivers a file is audited, without the page's help."""
    from dash import Input, Output, State, dcc

    from tests.auth.support import logged_in_client

    dash_app = app.extensions["dash_app"]

    @dash_app.callback(Output("test-dl", "data"), Input("test-dl-btn", "n_clicks"), State("test-dl-kva", "value"),
                       prevent_initial_call=True)
    def _download(_n, kva):
        return dcc.send_bytes(b"a;b\r\n1;2\r\n", f"vantetider_{kva}.csv")

    @dash_app.callback(Output("test-plain", "children"), Input("test-plain-btn", "n_clicks"),
                       prevent_initial_call=True)
    def _plain(n):
        return f"klick {n}"

    client = logged_in_client(app, *READER)
    client.get("/_dash-dependencies")
    resp = client.post("/_dash-update-component", headers={"Referer": "http://localhost/?kva=NGB&period=90"}, json={
        "output": "test-dl.data", "outputs": {"id": "test-dl", "property": "data"},
        "inputs": [{"id": "test-dl-btn", "property": "n_clicks", "value": 1}],
        "state": [{"id": "test-dl-kva", "property": "value", "value": "NGB"}],
        "changedPropIds": ["test-dl-btn.n_clicks"]})
    assert resp.status_code == 200
    entry = audit.recent(_db(app), action="export")[0]
    assert entry.actor == devusers.pseudo_hsa_id("lasare") and entry.format == "csv"
    params = json.loads(entry.params)
    assert params["fil"] == "vantetider_NGB.csv" and params["vy"] == "/?kva=NGB&period=90"
    assert params["indata"]["test-dl-kva.value"] == "NGB"
    # Ordinary callbacks are not audited.
    n_before = len(audit.recent(_db(app), limit=0))
    plain = client.post("/_dash-update-component", json={
        "output": "test-plain.children", "outputs": {"id": "test-plain", "property": "children"},
        "inputs": [{"id": "test-plain-btn", "property": "n_clicks", "value": 2}], "state": [],
        "changedPropIds": ["test-plain-btn.n_clicks"]})
    assert plain.status_code == 200
    assert len(audit.recent(_db(app), limit=0)) == n_before


def test_admin_page_lists_the_load_history(data_dir):
    from app import create_app
    from tests.auth.support import ADMIN, logged_in_client
    from tests.conftest import make_settings
    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=3)
    app = create_app(make_settings(data_dir))
    client = logged_in_client(app, *ADMIN, role="admin")
    with app.test_request_context("/admin"):
        from pages.admin import load_history_rows

        rows = load_history_rows()
    assert rows and {"file_name", "kind", "accepted", "rejected", "outcome"} <= set(rows[0])
    client.get("/_dash-layout")
    page = client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/admin"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": []})
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "Inläsningshistorik" in text and rows[0]["file_name"] in text and "inläst" in text
    assert "Inga data är inlästa ännu" not in text
