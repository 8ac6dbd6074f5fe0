"""Application factory: one place that says what the app is made of.

``create_app()`` builds the Flask server, registers the extensions (cache,
authentication and request guard, security headers, audit), the /api/v1
blueprint, mounts the Dash Pages app on it and returns the Flask server.
gunicorn serves ``'app:create_app()'`` or, by Dash's convention,
``app:server`` (built on first access by the module ``__getattr__``, from the
environment); ``flask --app app ...`` finds the factory; ``python app.py``
runs a local dev server. Nothing is created at import time, so tests build
apps with their own settings.

``warm_up(server)`` makes one request in-process so that Dash finishes its
lazy first-request setup before the server takes traffic (deploy/gunicorn.conf.py
calls it in ``post_worker_init``): Dash marks the setup done *before* it
registers the component-bundle paths (plotly/dash#3971), so parallel first
requests of a fresh worker got 404 for the bundles and the page hung on
"Loading...".
"""
from __future__ import annotations

import logging
from pathlib import Path

import dash
from flask import Flask

import auth
from api import init_api
from components.shell import ShellUser, app_shell
from common.compression import init_compression
from config.settings import Settings, load_settings
from data.context import init_data

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("lagesbild")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    server = Flask(__name__, static_folder=None)
    server.config["LAGESBILD_SETTINGS"] = settings
    server.config["SECRET_KEY"] = settings.secret_key or _dev_secret(settings)
    server.config["JSON_SORT_KEYS"] = False

    init_data(server, settings)          # warehouse (read-only) + result cache
    auth.init_app(server, settings)      # login, roles, request guard, audit, headers
    init_api(server)                     # /api/v1 and /healthz
    init_compression(server)             # scripts, styles and JSON compressed (never HTML)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        title="Nationell lägesbild – väntetider till operation",
        update_title=None,
        suppress_callback_exceptions=True,
        external_stylesheets=[],  # the Bootstrap theme is served from assets/
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # The page's language is Swedish (screen readers, hyphenation): Dash's index with lang="sv",
    # without its Internet Explorer alert, and saying "Laddar …" (not "Loading...") until the
    # scripts have drawn the page.
    app.index_string = _swedish_index(app.index_string)
    app.interpolate_index = _swedish_entry(app.interpolate_index)
    app.layout = _layout
    auth.init_dash(app, settings)        # CSP hashes for Dash's inline scripts
    server.extensions["dash_app"] = app
    return server


#: What a page shows before its scripts have run: Swedish, announced politely.
LOADING_ENTRY = ('<div id="react-entry-point"><div class="_dash-loading" role="status">'
                 'Laddar sidan …</div></div>')


def _swedish_index(index: str) -> str:
    import re

    index = index.replace("<html>", '<html lang="sv">', 1)
    return re.sub(r"\s*<!--\[if IE\]>.*?<!\[endif\]-->", "", index, count=1, flags=re.S)


def _swedish_entry(interpolate):
    def interpolate_index(**kwargs):
        return interpolate(**{**kwargs, "app_entry": LOADING_ENTRY})
    return interpolate_index


def _layout():
    """The frame of every page load: the current snapshot's meta and the person."""
    from flask import has_request_context

    from data.questions.catalogue import current_meta

    if not has_request_context():  # Dash validates the layout once outside a request
        return app_shell()
    return app_shell(current_meta(), ShellUser(**auth.current_shell_user()))


def warm_up(server: Flask) -> None:
    """Run Dash's first-request setup in-process, before any real request.

    One GET of /healthz (public, no audit) passes every before_request hook,
    Dash's ``_setup_server`` among them; afterwards the bundle paths are
    registered, which is checked so a changed guard cannot silently undo it."""
    dash_app = server.extensions["dash_app"]
    with server.test_client() as client:
        client.get("/healthz")
    if not dash_app.registered_paths:
        with server.test_request_context("/healthz"):
            dash_app._setup_server()  # the guard stopped the request before Dash saw it
    if not dash_app.registered_paths:
        raise RuntimeError("Dash registrerade inga komponentpaket vid uppstarten.")


_server: Flask | None = None


def __getattr__(name: str):
    """``app.server``: the WSGI app for ``gunicorn app:server`` (Dash's
    deployment convention), created from the environment on first access only."""
    global _server
    if name == "server":
        if _server is None:
            _server = create_app()
        return _server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _dev_secret(settings: Settings) -> str:
    """A per-installation random key for local use, kept in the data directory."""
    import secrets

    import os
    import time

    path = settings.data_dir / ".secret_key"
    try:  # O_EXCL: two gunicorn workers starting at once must end up with the same key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):  # the other worker may still be writing it
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} är tom; ta bort filen och starta om.")


if __name__ == "__main__":
    _app = create_app()
    warm_up(_app)
    import os

    _app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT") or 8050), debug=False)
