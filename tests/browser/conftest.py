"""Browser tests: a real gunicorn server on 127.0.0.1 and Debian's Chromium
driven by Playwright. One data directory, one server and one browser per
session; one logged-in browser context per test module.

Data: the real small demo delivery, generated and loaded with the ETL CLI
(``python -m etl demo`` / ``python -m etl load``) when the CLI is present;
otherwise a warehouse published by tests/factories.py.

Every page records its console errors, failed requests and every requested
URL; the ``page`` fixture fails a test that ends with a console error or
asked anything of another host.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, free_port, make_settings

USER = ("webbtest", "webbtest-losenord-1")

pytestmark = pytest.mark.browser


def _etl_cli_available() -> bool:
    return (ROOT / "etl" / "__main__.py").exists() and (ROOT / "etl" / "demo.py").exists()


def _run(cmd: list[str], env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} gav {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


def _env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(LAGESBILD_DATA_DIR=str(data_dir), LAGESBILD_ENV="test", LAGESBILD_AUTH_MODE="dev",
               PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="session")
def browser_data_dir(tmp_path_factory) -> Path:
    """A data directory with a published warehouse (small demo) and a dev account."""
    base = tmp_path_factory.mktemp("browser")
    data_dir = base / "var"
    data_dir.mkdir()
    env = _env(data_dir)
    if _etl_cli_available():
        delivery = base / "demo"
        _run([sys.executable, "-m", "etl", "demo", "--out", str(delivery), "--scale", "small"], env)
        _run([sys.executable, "-m", "etl", "load", str(delivery)], env)
    else:
        from tests.factories import build_random_warehouse

        build_random_warehouse(data_dir, seed=7, demo=True)
    # The dev account, created through auth/ in the same app database gunicorn will use.
    from app import create_app
    from tests.auth.support import ensure_account

    ensure_account(create_app(make_settings(data_dir)), *USER)
    return data_dir


@pytest.fixture(scope="session")
def live_server(browser_data_dir):
    """gunicorn serving "app:create_app()" on a free loopback port."""
    port = free_port()
    env = _env(browser_data_dir)
    log = open(browser_data_dir / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "4", "--timeout", "60", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("gunicorn startade inte:\n" + (browser_data_dir / "gunicorn.log").read_text()[-4000:])
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def login_state(browser, live_server, tmp_path_factory):
    """Storage state (session cookie) after logging in through the real login form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", USER[0])
    page.fill("input[name=password]", USER[1])
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u, timeout=15000)
    path = tmp_path_factory.mktemp("state") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


class PageRecorder:
    """Console errors, page errors, failed requests and every URL a page asked for."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} {req.failure}"))

    def _console(self, msg):
        if msg.type == "error":
            self.console_errors.append(f"{msg.text} @ {msg.location}")

    def off_host(self) -> list[str]:
        out = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in {"data", "blob", "about"}:
                continue
            if parsed.hostname != "127.0.0.1":
                out.append(url)
        return out


@pytest.fixture
def page(browser, login_state, live_server, tmp_path):
    """A logged-in page; the test fails if it ends with console errors or off-host requests."""
    context = browser.new_context(storage_state=login_state, accept_downloads=True, locale="sv-SE",
                                  viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    recorder = PageRecorder(pg)
    pg.recorder = recorder
    pg.base_url = live_server
    yield pg
    context.close()
    assert recorder.console_errors == [], f"konsolfel i webbläsaren: {recorder.console_errors}"
    assert recorder.off_host() == [], f"begäran till annan värd: {recorder.off_host()}"
