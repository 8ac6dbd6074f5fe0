"""Serving under gunicorn (deploy/gunicorn.conf.py): both entry points, and a
fresh worker's very first requests.

plotly/dash#3971: Dash marks its first-request setup done before it registers
the component-bundle paths, so parallel first requests of a fresh worker got
404 for the bundles and the page stayed on "Loading...". The gunicorn config
warms every worker in-process (post_worker_init -> app.warm_up) before it
takes traffic; these tests fire parallel bundle requests at workers that have
answered nothing yet.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import make_settings
from tests.servers import Gunicorn

pytestmark = pytest.mark.slow


def _bundle_paths(data_dir) -> list[str]:
    """The component-bundle URLs of the index page, read from an in-process app."""
    from app import create_app
    from tests.auth.support import READER, logged_in_client

    server = create_app(make_settings(data_dir))
    html = logged_in_client(server, *READER).get("/").get_data(as_text=True)
    paths = sorted(set(re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)))
    assert len(paths) >= 5, html[:2000]
    return paths


def _env(data_dir) -> dict:
    return {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "dev"}


@pytest.mark.parametrize("target", ["app:create_app()", "app:server"])
def test_fresh_workers_serve_every_bundle_to_parallel_first_requests(tmp_path, target):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    paths = _bundle_paths(data_dir)
    # Two workers of four threads, as shipped; the requests are sent the moment
    # the port accepts connections, so they are the workers' first.
    with Gunicorn(_env(data_dir), workers=2, threads=4, target=target, wait="port") as server:
        wanted = (paths * 3)[:max(12, len(paths))]
        with ThreadPoolExecutor(len(wanted)) as pool:
            statuses = list(pool.map(lambda p: (p, server.request("GET", p)[0]), wanted))
        assert [s for s in statuses if s[1] != 200] == []
        log = server.log.read_text()
    assert "Traceback" not in log


def test_app_server_is_the_dash_convention_and_built_lazily(tmp_path, monkeypatch):
    """`gunicorn app:server` finds a Flask app; importing `app` creates nothing."""
    import importlib

    import app as app_module

    monkeypatch.setenv("LAGESBILD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LAGESBILD_ENV", "test")
    module = importlib.reload(app_module)
    assert module._server is None  # nothing at import time
    server = module.server
    assert server is module.server  # one app per process
    assert server.test_client().get("/healthz").status_code == 200
    assert (tmp_path / "var").is_dir()
    with pytest.raises(AttributeError):
        module.no_such_thing  # noqa: B018
