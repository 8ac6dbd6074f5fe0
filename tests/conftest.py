"""Shared fixtures. Every test gets its own data directory under tmp_path."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from config.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_settings(data_dir: Path, **overrides):
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"}
    env.update({f"LAGESBILD_{k.upper()}": str(v) for k, v in overrides.items()})
    return load_settings(env)


CHROMIUM = os.environ.get("LAGESBILD_TEST_CHROMIUM", "/usr/bin/chromium")  # Debian's (make test installs it)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class BrowserMissing(AssertionError):
    """Chromium is not installed: every browser test fails (never skips, never errors)."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test whose browser is missing is reported as a failed test,
    not as a setup error: the run is red and says why."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup" and call.excinfo is not None and call.excinfo.errisinstance(BrowserMissing):
        report.when = "call"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process, shared by every browser test.

    Playwright's sync API allows one running instance per thread: two
    fixtures each starting their own fail when pytest-xdist puts both test
    files on the same worker."""
    from playwright.sync_api import sync_playwright

    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise BrowserMissing(f"Chromium saknas ({CHROMIUM}): kör make test, som installerar Debians chromium "
                             "och chromium-driver (scripts/system-deps.sh).")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir):
    return make_settings(data_dir)


@pytest.fixture
def app(settings):
    from app import create_app

    server = create_app(settings)
    server.config["TESTING"] = True
    return server


@pytest.fixture
def client(app):
    """An anonymous client."""
    return app.test_client()


# ---- authentication (auth/, issue 4) ----------------------------------------

@pytest.fixture
def auth_client(app):
    """A client logged in (dev login form, real CSRF token) as an ordinary reader, no roles."""
    from tests.auth.support import READER, logged_in_client

    return logged_in_client(app, *READER)


@pytest.fixture
def admin_client(app):
    """A client logged in as a person with the role admin."""
    from tests.auth.support import ADMIN, logged_in_client

    return logged_in_client(app, *ADMIN, role="admin")
