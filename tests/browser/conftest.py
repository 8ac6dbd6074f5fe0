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
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_settings
from tests.servers import Gunicorn
from tests.watch import PageRecorder

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
    """gunicorn serving "app:create_app()" on a free loopback port (tests/servers.py)."""
    env = {k: v for k, v in _env(browser_data_dir).items() if k.startswith("LAGESBILD_")}
    with Gunicorn(env, workers=1) as server:
        yield server.url


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
    recorder.assert_clean()
