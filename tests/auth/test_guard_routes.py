"""One guard for every route: enumerated from the Flask url_map, so new routes are covered."""
from __future__ import annotations

import re

import pytest

from auth.guard import guard
from tests.auth.conftest import TRUSTED

# The explicit public allowlist: liveness, login/logout, static files without data.
PUBLIC_RULES = {
    "/healthz",
    "/login",
    "/logout",
    "/_favicon.ico",
    "/favicon.ico",
    "/auth/certifikat-nekat",  # nginx's error_page: answers only the trusted proxy, 404 to anyone else
    "/assets/<path:filename>",
    "/auth/static/<path:filename>",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
}
# Rules that are not pages: callers get 401 JSON, never a redirect.
NOT_PAGES = ("/api/", "/_dash-", "/_reload-hash")
SAMPLES = {"path": "enhet/SE2321000016-ABC1", "int": "1", "float": "1.5", "uuid": "00000000-0000-0000-0000-000000000000"}


def sample_url(rule) -> str:
    def fill(m):
        converter = m.group(1) or "string"
        return SAMPLES.get(converter, "exempel")
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule.rule)


def rule_cases(app):
    cases = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append((rule.rule, method, sample_url(rule)))
    return cases


def _request(client, method, url, **kw):
    if method == "POST":
        return client.open(url, method="POST", json={"output": "x.children", "outputs": {"id": "x", "property": "children"},
                                                     "inputs": [], "state": [], "changedPropIds": []}, **kw)
    return client.open(url, method=method, **kw)


def test_the_guard_runs_first(app):
    from auth.paths import reject_abnormal_paths

    # only the path rules (a path not in normal form is a 404) before it
    assert app.before_request_funcs[None][:2] == [reject_abnormal_paths, guard]


def test_every_rule_is_listed(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    # The app's core routes exist (if Dash renames one, this test says so).
    for needed in ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash",
                   "/<path:path>", "/", "/healthz", "/login", "/logout"):
        assert needed in rules
    # Every public rule is one we meant to be public.
    assert PUBLIC_RULES <= rules | {"/auth/static/<path:filename>"}


def test_anonymous_dev_mode_every_rule(app, client):
    cases = rule_cases(app)
    assert len(cases) >= 12
    checked = 0
    for rule, method, url in cases:
        resp = _request(client, method, url)
        if rule in PUBLIC_RULES:
            assert resp.status_code not in (302, 401), f"{method} {rule} is public but was refused"
            continue
        checked += 1
        if method == "GET" and not url.startswith(NOT_PAGES):
            assert resp.status_code == 302, f"{method} {url}: {resp.status_code}"
            assert resp.headers["Location"].startswith("/login?next="), resp.headers["Location"]
        else:
            assert resp.status_code == 401, f"{method} {url}: {resp.status_code}"
            body = resp.get_json()
            assert body["error"] == "unauthorized" and "logga in" in body["fel"].lower()
            assert body["login_url"].startswith("/login?next=")
    # /, /<path:path>, /_dash-layout, -dependencies, -update-component, /_reload-hash, /admin/audit.csv, ...
    assert checked >= 7


def test_anonymous_proxy_mode_every_rule(proxy_app):
    client = proxy_app.test_client()
    for rule, method, url in rule_cases(proxy_app):
        resp = _request(client, method, url, environ_base={"REMOTE_ADDR": TRUSTED})
        # the login and the nginx-refusal route answer the proxy's certificate-less request with a 401 page
        if rule in PUBLIC_RULES and rule not in ("/login", "/auth/certifikat-nekat"):
            assert resp.status_code not in (302, 401), f"{method} {rule} is public but was refused"
            continue
        # No certificate: 401 everywhere (the certificate is the login; no form to redirect to).
        assert resp.status_code == 401, f"{method} {url}: {resp.status_code}"
        if method == "GET" and not url.startswith(NOT_PAGES):
            text = resp.get_data(as_text=True)
            assert "SITHS" in text and "Inget klientcertifikat" in text
        else:
            assert resp.get_json()["reason"] == "missing"


@pytest.mark.parametrize("url", ["/nationellt", "/enhet/SE2321000016-ABC1", "/finns-inte", "/admin",
                                 "/api/v1/waits?kva=NGB&format=csv", "/api/v1/finns-inte",
                                 "/_dash-layout", "/_dash-dependencies"])
def test_unknown_and_data_paths_are_refused(client, url):
    resp = client.get(url)
    assert resp.status_code in (302, 401)


@pytest.mark.parametrize("url", ["/assets/../api/v1/meta", "/assets//x", "/auth/static//x",
                                 "/_dash-component-suites//x", "/assets/%2e%2e/app.py", "/assets/x/./y.css",
                                 "/api/v1//meta", "/assets/nope.js.map",
                                 "/_dash-component-suites/dash/dcc/nope.js.map", "/assets/"])
def test_paths_not_in_normal_form_and_missing_files_are_404_for_everyone(client, auth_client, url):
    """The guard's allowlist sees only normal paths; Dash's index shell never answers
    under a static prefix (issue 9: /assets//x gave the shell, with python_version, anonymously)."""
    for c in (client, auth_client):
        resp = c.get(url)
        assert resp.status_code == 404, (url, resp.status_code)
        assert b"_dash-config" not in resp.data and b"python_version" not in resp.data


def test_unknown_page_is_404_with_the_shell_and_data_responses_are_not_cached(auth_client):
    resp = auth_client.get("/finns-inte")
    assert resp.status_code == 404 and b"_dash-config" in resp.data  # the shell shows "Sidan finns inte"
    for url in ("/", "/om", "/api/v1/meta", "/_dash-layout", "/finns-inte"):
        r = auth_client.get(url)
        assert r.headers["Cache-Control"] == "no-store", url
        assert b"python_version" not in r.data and b"plotly_version" not in r.data, url
    assert auth_client.get("/enhet/SE2321000016-ABC1").status_code == 200  # a page (unknown unit: its text)
    assert "no-store" not in auth_client.get("/assets/20-app.css").headers.get("Cache-Control", "")


def test_public_paths_do_not_leak_data(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    css = client.get("/auth/static/auth.css")
    assert css.status_code == 200 and b"auth-card" in css.data


def test_xhr_and_json_clients_get_401_not_redirect(client):
    assert client.get("/", headers={"X-Requested-With": "XMLHttpRequest"}).status_code == 401
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401
    assert client.get("/", headers={"Accept": "text/html,application/xhtml+xml"}).status_code == 302


def test_logged_in_reader_reaches_pages_and_dash(auth_client):
    assert auth_client.get("/").status_code == 200
    assert auth_client.get("/_dash-layout").status_code == 200
    assert auth_client.get("/_dash-dependencies").status_code == 200


def test_admin_pages_need_the_admin_role(auth_client, admin_client):
    for url in ("/admin", "/admin/audit.csv"):
        resp = auth_client.get(url)
        assert resp.status_code == 403, url
        assert "Åtkomst nekad" in resp.get_data(as_text=True)
        assert admin_client.get(url).status_code == 200, url


ADMIN_CALLBACK = {
    "output": "..admin-audit-count.children...admin-audit-csv.href..",
    "outputs": [{"id": "admin-audit-count", "property": "children"}, {"id": "admin-audit-csv", "property": "href"}],
    "inputs": [{"id": "admin-audit-refresh", "property": "n_clicks", "value": 1},
               {"id": "admin-audit-action", "property": "value", "value": "login"},
               {"id": "admin-audit-text", "property": "value", "value": None}],
    "changedPropIds": ["admin-audit-refresh.n_clicks"],
    "state": [],
}


def test_admin_callbacks_need_the_admin_role(auth_client, admin_client):
    admin_client.get("/_dash-layout")
    admin_client.get("/_dash-dependencies")
    ok = admin_client.post("/_dash-update-component", json=ADMIN_CALLBACK)
    assert ok.status_code == 200, ok.get_data(as_text=True)[:500]
    body = ok.get_json()
    assert "admin-audit-count" in body["response"]
    assert "handelse=login" in body["response"]["admin-audit-csv"]["href"]
    refused = auth_client.post("/_dash-update-component", json=ADMIN_CALLBACK)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    # The refusal is audited.
    from auth import audit

    denied = audit.recent(auth_client.application.extensions["auth_db"], action="access_denied")
    assert denied and denied[0].path == "/_dash-update-component"


def test_the_nginx_refusal_route_answers_only_the_proxy(client):
    """Public in the guard (nginx sends refused cards there), but a 404 to anyone
    who is not the trusted proxy with its secret."""
    resp = client.get("/auth/certifikat-nekat", headers={"X-SSL-Client-Verify": "FAILED:certificate revoked"})
    assert resp.status_code == 404
