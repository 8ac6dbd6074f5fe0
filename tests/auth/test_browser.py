"""Chromium (Playwright, /usr/bin/chromium) against a real gunicorn: the pages render
under the Content-Security-Policy with no console errors and no CSP violations;
the admin page is for admins; an expired session inside the app leads to login.
"""
from __future__ import annotations

import pytest

from tests.servers import Gunicorn
from tests.auth.support import ADMIN, READER
from tests.conftest import make_settings
from tests.watch import PageRecorder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from auth import devusers, roles
    from auth.db import open_db
    from tests.factories import build_random_warehouse

    data_dir = tmp_path_factory.mktemp("auth-browser") / "var"
    data_dir.mkdir(parents=True)
    build_random_warehouse(data_dir, seed=11, demo=True)
    db = open_db(make_settings(data_dir))
    from tests.auth.support import cheap_hash

    for (user, pw), role in ((READER, None), (ADMIN, "admin")):
        account = devusers.create_or_update(db, user, pw, password_hash=cheap_hash(pw))
        if role:
            roles.grant(db, account.hsa_id, role, by="test")
    db.dispose()
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"}
    with Gunicorn(env, workers=1) as srv:
        yield srv


class Watched:
    """A page in its own context, watched by the browser tests' one recorder (tests/watch.py)."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(20000)
        self.recorder = PageRecorder(self.page)
        self.errors = self.recorder.console_errors

    def csp_violations(self) -> list[str]:
        return self.recorder.csp_violations()

    def assert_clean(self):
        self.recorder.assert_clean(check_csp=True)


@pytest.fixture
def fresh(browser):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1400, "height": 1000})
    yield Watched(context)
    context.close()


def _login(w: Watched, base: str, user: str, password: str, start: str = "/"):
    w.page.goto(base + start)
    w.page.wait_for_url("**/login?next=*")
    w.page.fill("#username", user)
    w.page.fill("#password", password)
    w.page.click("#login-submit")
    w.page.wait_for_url(lambda u: "/login" not in u)


def _dash_ready(w: Watched):
    w.page.wait_for_selector("#_pages_content", state="attached")
    w.page.wait_for_load_state("networkidle")
    w.page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def test_login_page_renders_under_the_csp(fresh, server):
    w = fresh
    resp = w.page.goto(server.url + "/")
    assert "/login?next=%2F" in w.page.url
    assert "unsafe-eval" not in resp.headers["content-security-policy"]
    assert w.page.locator("h1").inner_text() == "Logga in"
    # The Bootstrap theme from assets/ (if present) and the auth CSS are applied: the button is styled.
    color = w.page.eval_on_selector("#login-submit", "e => getComputedStyle(e).backgroundColor")
    assert color not in ("", "rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
    w.assert_clean()
    w.page.fill("#username", READER[0])
    w.page.fill("#password", "fel-lösenord-999")
    w.page.click("#login-submit")
    assert "Fel användarnamn eller lösenord." in w.page.locator("#login-error").inner_text()
    # The refused form is answered 401, which Chromium reports; nothing else may be wrong.
    assert w.csp_violations() == []
    assert len(w.errors) == 1 and "401" in w.errors[0] and "/login" in w.errors[0]


def test_main_page_renders_under_the_csp_after_login(fresh, server):
    w = fresh
    _login(w, server.url, *READER)
    assert w.page.url.rstrip("/") == server.url
    _dash_ready(w)
    assert w.page.locator("#_pages_content").inner_text().strip() != ""
    assert "Admin" not in [t.strip() for t in w.page.locator("header a").all_inner_texts()]
    w.assert_clean()


def test_admin_page_for_admin_and_refused_for_reader(fresh, browser, server):
    w = fresh
    _login(w, server.url, *ADMIN, start="/admin")
    assert w.page.url.endswith("/admin")
    _dash_ready(w)
    w.page.wait_for_selector("text=Granskningslogg")
    assert "Inloggning" in w.page.locator("#admin-audit-table").inner_text()
    w.page.click("#admin-audit-refresh")
    w.page.wait_for_load_state("networkidle")
    href = w.page.get_attribute("#admin-audit-csv", "href")
    assert href.startswith("/admin/audit.csv")
    w.assert_clean()

    reader_ctx = browser.new_context()
    try:
        r = Watched(reader_ctx)
        _login(r, server.url, *READER)
        resp = r.page.goto(server.url + "/admin")
        assert resp.status == 403
        assert "Åtkomst nekad" in r.page.content()
    finally:
        reader_ctx.close()


def test_expired_session_inside_the_app_leads_to_login(fresh, server):
    w = fresh
    _login(w, server.url, *ADMIN, start="/admin")
    _dash_ready(w)
    w.page.wait_for_selector("#admin-audit-refresh")
    w.context.clear_cookies()  # as if the session had expired on the server
    w.page.click("#admin-audit-refresh")
    w.page.wait_for_url("**/login?next=%2Fadmin*", timeout=20000)
    assert "gått ut" in w.page.locator("#login-info").inner_text()
    # Logging in again returns to the same view.
    w.page.fill("#username", ADMIN[0])
    w.page.fill("#password", ADMIN[1])
    w.page.click("#login-submit")
    w.page.wait_for_url("**/admin")


def test_logout_in_the_browser(fresh, server):
    w = fresh
    _login(w, server.url, *READER)
    w.page.goto(server.url + "/logout")
    w.page.click("#logout-submit")
    assert "Du är utloggad" in w.page.locator("h1").inner_text()
    w.page.goto(server.url + "/")
    assert "/login" in w.page.url
    w.assert_clean()


def test_an_expired_session_keeps_the_change_just_made_and_logs_no_error(fresh, server):
    """The change that met the expired session (a new window) is in the return
    address, and nothing but the refused request is reported in the console."""
    w = fresh
    _login(w, server.url, *READER, start="/?kva=NGB&period=90&level=unit")
    _dash_ready(w)
    w.page.wait_for_selector("#jf-grid .ag-row")
    w.context.clear_cookies()  # as if the session had expired on the server
    w.page.get_by_label("365 dagar").click(no_wait_after=True)   # the page leaves for the login
    w.page.wait_for_url("**/login?next=*", timeout=20000)
    from urllib.parse import parse_qs, urlparse

    nxt = parse_qs(urlparse(w.page.url).query)["next"][0]
    assert "period=365" in nxt and "kva=NGB" in nxt, nxt
    assert all("401" in e for e in w.errors), w.errors
    assert not any("body stream" in e for e in w.errors), w.errors
    w.page.fill("#username", READER[0])
    w.page.fill("#password", READER[1])
    w.page.click("#login-submit")
    w.page.wait_for_url(lambda u: "period=365" in u)
