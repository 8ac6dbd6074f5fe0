"""Authentication, roles, request guard, audit and security headers (issue 4).

``init_app(server, settings)`` and ``init_dash(app, settings)`` are the only
entry points app.py calls. Helpers other parts may use:

- ``current_user_is_admin()`` – True when the person has the role admin
  (the app shell shows the "Admin" link only then).
- ``current_user_name()`` – the display name, or None.
- ``current_user_info()`` – {"hsa_id", "name", "method", "is_admin"} or None.
- ``audit_event(action, **details)`` – audit something in the current request,
  e.g. ``audit_event("export", format="csv", params={...})`` from a Dash
  download callback (API calls under /api/ are audited automatically).
- ``csrf_token()`` – a token for a ``<form method="post" action="/logout">``
  (or simply link to ``/logout``, which asks for confirmation).

The module map: certs (SITHS certificate checks), proxy (trusted-proxy
ProxyFix), guard (the one before_request), views (login/logout pages, audit
CSV), roles, devusers, audit, db + migrations (app database), security
(Talisman, CSP, error pages), cli (`flask --app app users ...`), devinfo
(`python -m auth.devinfo`, run by `make run`).
"""
from __future__ import annotations

import logging

log = logging.getLogger("lagesbild.auth")


def init_app(server, settings) -> None:
    from flask_login import LoginManager

    from auth import certs, roles
    from auth.cli import users_cli
    from auth.db import open_db
    from auth.guard import audit_api_call, guard
    from auth.proxy import TrustedProxyMiddleware, parse_networks
    from auth.security import init_security
    from auth.state import AuthState
    from auth.user import StaffUser
    from auth.views import bp
    from config.settings import SettingsError

    settings.validate()  # dev mode and a missing secret key are refused in production
    try:
        networks = parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    cas = []
    if settings.auth_mode == "proxy":
        if not settings.siths_ca_file:
            raise SettingsError("LAGESBILD_SITHS_CA_FILE krävs i proxy-läge (PEM-fil med SITHS-utfärdarnas certifikat).")
        if not networks:
            raise SettingsError("LAGESBILD_TRUSTED_PROXIES krävs i proxy-läge (den omvända proxyns adress).")
        try:
            cas = certs.load_ca_file(settings.siths_ca_file)
        except certs.CAFileError as exc:
            raise SettingsError(str(exc)) from exc

    from datetime import timedelta

    if settings.session_idle_minutes < 1:
        raise SettingsError("LAGESBILD_SESSION_IDLE_MINUTES måste vara minst 1.")
    idle = timedelta(minutes=settings.session_idle_minutes)
    # The cookie outlives the idle time: idleness is decided on the server (the
    # session record's last_seen), so an idle person gets the "utgången"
    # notice and an audit entry instead of a silent "not logged in".
    server.config["PERMANENT_SESSION_LIFETIME"] = idle + timedelta(hours=12)
    # The cookie is written only when the session changes, not on every request
    # (re-signing it cost ~0,25 ms a request). The guard's last-seen mark changes
    # at least every SEEN_RESOLUTION (30 s) while the person is active, and each
    # such write renews the cookie's expiry, so an active session never lapses.
    server.config["SESSION_REFRESH_EACH_REQUEST"] = False
    server.config["WTF_CSRF_TIME_LIMIT"] = 3600
    server.config["WTF_CSRF_CHECK_DEFAULT"] = False  # CSRF only on our own forms, never on Dash

    db = open_db(settings)
    server.extensions["auth_db"] = db
    state = AuthState(settings=settings, db=db, networks=networks, cas=cas, idle=idle)
    server.extensions["lagesbild_auth"] = state

    login_manager = LoginManager()
    login_manager.session_protection = "basic"
    login_manager.init_app(server)

    @login_manager.user_loader
    def _load_user(user_id: str):
        from flask import session
        from sqlalchemy.exc import SQLAlchemyError

        method = session.get("method", "")
        name = session.get("name") or user_id
        try:
            granted, has_dev_account = roles.access_for(db, user_id)  # one query per request
        except SQLAlchemyError as exc:
            # The app database is down: the person stays logged in as a reader
            # (statistics need no database; roles and writes wait for it).
            from auth.outage import database_down

            database_down(exc)
            return StaffUser(user_id, name, frozenset(), method)
        if method == "dev" and not has_dev_account:
            return None  # the account was removed
        return StaffUser(user_id, name, granted, method)

    server.wsgi_app = TrustedProxyMiddleware(server.wsgi_app, networks, settings.proxy_secret)
    server.register_blueprint(bp)
    server.cli.add_command(users_cli)
    init_security(server, settings)
    # The guard must be the first before_request of the app; Dash registers
    # its own (setup, page routing) later, when it is mounted.
    server.before_request_funcs.setdefault(None, []).insert(0, guard)
    # ... and before it, the path rules: a path not in normal form never reaches the allowlist.
    from auth.paths import finish_response, reject_abnormal_paths

    server.before_request_funcs[None].insert(0, reject_abnormal_paths)
    server.before_request(_unknown_api_path)

    def _audit_retention():
        from auth.audit import purge_when_due

        purge_when_due(db, settings.audit_retention_days)

    server.before_request(_audit_retention)
    server.after_request(audit_api_call)
    server.after_request(finish_response)
    log.info("Inloggning: läge %s, %d betrodda proxyadresser, %d SITHS-utfärdare",
             settings.auth_mode, len(networks), len(cas))


def _unknown_api_path():
    """/api/... paths no API view handles are 404 JSON, not Dash's catch-all page."""
    from flask import abort, request

    if request.path.startswith("/api/") and (request.url_rule is None or request.url_rule.rule == "/<path:path>"):
        abort(404)


def init_dash(app, settings) -> None:
    """Keep the CSP's script hashes equal to Dash's inline scripts."""
    from auth.security import set_script_hashes

    server = app.server
    set_script_hashes(server, app.csp_hashes())

    def _refresh_hashes():
        # Dash adds inline scripts (clientside callbacks, the page-title
        # callback) while it sets itself up at the first request.
        set_script_hashes(server, app.csp_hashes())

    server.before_request(_refresh_hashes)

    # A request for a library file Dash does not know is a 404, not an internal error.
    from dash.exceptions import DependencyException
    from werkzeug.exceptions import NotFound

    def _unknown_dependency(_exc):
        return server.handle_http_exception(NotFound())

    server.register_error_handler(DependencyException, _unknown_dependency)

    # No version strings in the page (python_version, dash_version ...).
    from auth.paths import strip_versions

    strip_versions(app)

    # A malformed callback request is a 400 with a reason, not a 500 from Dash's dispatcher.
    from auth.dash_requests import init_callback_checks

    init_callback_checks(app)


# ---- helpers for the other parts ---------------------------------------------

def current_user_info() -> dict | None:
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return None
    return {"hsa_id": current_user.hsa_id, "name": current_user.name, "method": current_user.method,
            "is_admin": current_user.is_admin}


def current_user_is_admin() -> bool:
    info = current_user_info()
    return bool(info and info["is_admin"])


def current_user_name() -> str | None:
    """The logged-in person's display name (certificate CN or dev account name)."""
    info = current_user_info()
    return info["name"] if info else None


def audit_event(action: str, **details) -> None:
    """Audit an event of the current request (who, path and query parameters are filled in)."""
    from auth.audit import record_request

    record_request(action, **details)


def current_shell_user() -> dict:
    """What the page frame shows of the person: {"name", "is_admin", "csrf_token", "hsa_id"}.

    The logout form's token only when the session already holds the CSRF
    secret (seeded at login): making one from the layout request would write
    the session, and a parallel callback response could overwrite it."""
    from flask import session

    info = current_user_info()
    if not info:
        return {"name": None, "is_admin": False, "csrf_token": None, "hsa_id": None}
    token = csrf_token() if "csrf_token" in session else None
    return {"name": info["name"], "is_admin": bool(info["is_admin"]), "csrf_token": token,
            "hsa_id": info["hsa_id"]}


def csrf_token() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()
