"""The one request guard: every route needs an authenticated person unless public.

Registered with ``before_request`` before Dash is mounted, so it runs first
for every request — pages, /_dash-layout, /_dash-dependencies,
/_dash-update-component, /_reload-hash, /api/v1/*, exports, unknown paths.

Public (no person needed, no data): PUBLIC_PATHS and PUBLIC_PREFIXES.
Everything else:
- no person: a browser page request is redirected to the login page with
  ``next=`` (dev mode) or answered 401 with a Swedish explanation page (proxy
  mode: the certificate is the login); API, Dash callbacks and other XHR get
  401 JSON.
- sessions idle longer than LAGESBILD_SESSION_IDLE_MINUTES are ended.
- /admin and /admin/* and Dash callbacks touching ``admin-*`` component ids
  need the role admin: 403 otherwise.
"""
from __future__ import annotations

import time
from urllib.parse import urlencode

from flask import jsonify, redirect, render_template, request, session
from flask_login import current_user, login_user, logout_user

from auth import audit, certs, roles
from auth.proxy import CERT_ENVIRON, TRUSTED_KEY, UNTRUSTED_CERT_KEY, WRONG_SECRET_KEY
from auth.state import get_state
from auth.user import StaffUser

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
# Exact public paths: liveness, login/logout pages, Dash's favicon.
# /auth/certifikat-nekat: nginx's error_page for certificates it refused (auth/views.py
# answers only the proxy itself, 404 to anyone else).
PUBLIC_PATHS = frozenset({"/healthz", LOGIN_PATH, LOGOUT_PATH, "/_favicon.ico", "/favicon.ico",
                          "/auth/certifikat-nekat"})
# Static files without data: the app's CSS/JS/fonts/locale (assets/), the
# library bundles Dash serves (React, Plotly, dcc, dbc), the login page's CSS.
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/auth/static/")
ADMIN_PATH = "/admin"
ADMIN_ID_PREFIX = "admin-"
SEEN_KEY = "seen"  # last activity, epoch seconds, in the signed session cookie
SEEN_RESOLUTION = 30  # seconds: refresh the cookie at most this often

MSG_LOGIN = "Du måste logga in för att se den här sidan."
MSG_EXPIRED = "Din session har gått ut efter en tids inaktivitet. Logga in igen."
MSG_FORBIDDEN = "Du saknar behörighet (rollen admin krävs)."


def is_public(path: str) -> bool:
    if path in PUBLIC_PATHS:
        return True
    if path.startswith(PUBLIC_PREFIXES):
        # No path tricks: "/assets/../api/v1/waits" never reaches here
        # normalised, but refuse anything with a dot-segment anyway.
        return "/../" not in path and not path.endswith("/..")
    return False


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PATH or path.startswith(ADMIN_PATH + "/")


def wants_json() -> bool:
    """API, Dash's own endpoints, XHR and non-GET requests get JSON, not pages."""
    path = request.path
    if path.startswith(("/api/", "/_dash-", "/_reload-hash")):
        return True
    if request.method not in ("GET", "HEAD"):
        return True
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    accept = request.accept_mimetypes
    if accept and accept.best_match(["text/html", "application/json"]) == "application/json":
        return True
    return False


def safe_next(target: str | None) -> str:
    """Only local paths may be redirected to after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 32 for ch in target) or target.startswith((LOGIN_PATH, LOGOUT_PATH)):
        return "/"
    return target


def current_next() -> str:
    full = request.full_path if request.query_string else request.path
    return safe_next(full)


def login_url(next_path: str | None = None, **extra) -> str:
    params = {"next": safe_next(next_path)} if next_path else {}
    params.update(extra)
    return LOGIN_PATH + ("?" + urlencode(params) if params else "")


# ---- responses -----------------------------------------------------------

def unauthorized(message: str, reason: str, detail: str | None = None):
    """401: JSON for API/XHR/Dash, else a Swedish page (or a redirect to the form in dev mode)."""
    state = get_state()
    next_path = current_next()
    if wants_json():
        resp = jsonify({"error": "unauthorized", "reason": reason, "fel": message,
                        "login_url": login_url(next_path)})
        resp.status_code = 401
    elif state.mode == "dev":
        extra = {"utgangen": "1"} if reason == "expired" else {}
        resp = redirect(login_url(next_path, **extra), code=302)
    else:
        resp = render_template("auth/unauthorized.html", message=message, reason=reason,
                               detail=detail, next_path=next_path), 401
        from flask import make_response

        resp = make_response(resp)
    resp.headers["WWW-Authenticate"] = 'Cookie realm="lagesbild"' if state.mode == "dev" else 'SITHS realm="lagesbild"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def unavailable(message: str, reason: str):
    """503 (a shared part of the service is down): JSON for API/XHR/Dash, else a Swedish page."""
    from flask import make_response

    if wants_json():
        resp = jsonify({"error": "unavailable", "reason": reason, "fel": message})
        resp.status_code = 503
    else:
        resp = make_response(render_template("auth/unavailable.html", message=message, reason=reason), 503)
    resp.headers["Retry-After"] = "60"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def forbidden(message: str = MSG_FORBIDDEN):
    if wants_json():
        resp = jsonify({"error": "forbidden", "fel": message})
        resp.status_code = 403
        return resp
    from flask import make_response

    return make_response(render_template("auth/forbidden.html", message=message), 403)


# ---- sessions ------------------------------------------------------------

SID_KEY = "sid"  # the server-side session record (auth/sessions.py)
MSG_ENDED = "Sessionen är avslutad (utloggad eller avslutad av en administratör). Logga in igen."


def start_session(user: StaffUser, **extra) -> None:
    """Log the person in on a fresh session (no fixation), with a new
    server-side record; an earlier record of this cookie is ended."""
    from auth import sessions

    db = get_state().db
    sessions.end(db, session.get(SID_KEY), "replaced")
    session.clear()
    login_user(user, remember=False, fresh=True)
    session.permanent = True
    session["method"] = user.method
    session["name"] = user.name
    session[SEEN_KEY] = int(time.time())
    session[SID_KEY] = sessions.open_session(db, user.hsa_id, user.method, request.remote_addr)
    session.update(extra)
    _seed_csrf()


def _seed_csrf() -> None:
    """A fresh CSRF secret in the new session, so that every later page can hand
    out a token (the header's logout form) without writing the session: a
    session written by one response and overwritten by a concurrent one
    (Dash loads the layout and the callbacks in parallel) would lose it."""
    from flask import g
    from flask_wtf.csrf import generate_csrf

    g.pop("csrf_token", None)  # a token of this request belongs to the cleared session
    generate_csrf()


def end_session(reason: str = "logout") -> None:
    """End the session here and on every server (its record)."""
    from auth import sessions

    sid = session.get(SID_KEY)
    if sid:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            sessions.end(get_state().db, sid, reason)
        except SQLAlchemyError as exc:  # the app database is down: the cookie is cleared anyway
            from auth.outage import database_down

            database_down(exc)
    logout_user()
    session.clear()


def _session_verdict():
    """The server-side record's verdict for the logged-in person's cookie."""
    from auth import sessions

    state = get_state()
    return sessions.check(state.db, session.get(SID_KEY), current_user.hsa_id, state.idle)


def _session_verdict_or_cookie():
    """The server-side verdict; with the app database down, the signed cookie's
    own idle time decides (auth/outage.py), so that reading goes on."""
    from sqlalchemy.exc import SQLAlchemyError

    from auth import sessions
    from auth.outage import database_down

    try:
        return _session_verdict()
    except SQLAlchemyError as exc:
        database_down(exc)
        idle = get_state().idle.total_seconds()
        if time.time() - int(session.get(SEEN_KEY, 0)) > idle:
            return sessions.Verdict(False, "expired")
        return sessions.Verdict(True)


def _touch() -> None:
    now = int(time.time())
    if now - int(session.get(SEEN_KEY, 0)) >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now


# ---- proxy (SITHS) -------------------------------------------------------

def authenticate_certificate():
    """Proxy mode: log in from the forwarded certificate. Returns None or a 401 response."""
    state = get_state()
    environ = request.environ
    if not environ.get(TRUSTED_KEY):
        reason = "untrusted_source"
        message = ("Begäran kom inte via den betrodda omvända proxyn, så inget klientcertifikat "
                   "kan godtas. Använd tjänstens vanliga adress.")
        if environ.get(WRONG_SECRET_KEY):
            detail = "betrodd adress men fel eller saknad proxyhemlighet"
        elif environ.get(UNTRUSTED_CERT_KEY):
            detail = "certifikathuvud från obetrodd adress ignorerat"
        else:
            detail = "ingen betrodd proxy"
        audit.record_request("login_failed", status=401, detail=f"{reason}: {detail}", db=state.db,
                             aggregate=reason)
        end_session()
        return unauthorized(message, reason)
    header = environ.get(CERT_ENVIRON)
    try:
        identity = state.verified.identify(header)
    except certs.CertificateRejected as exc:
        audit.record_request("login_failed", status=401, detail=exc.reason,
                             subject=_claimed_hsa_id(header), db=state.db, aggregate=exc.reason)
        end_session()
        return unauthorized(exc.message, exc.reason)
    same_person = (getattr(current_user, "is_authenticated", False)
                   and current_user.hsa_id == identity.hsa_id
                   and session.get("cert") == identity.fingerprint)
    if same_person:
        verdict = _session_verdict_or_cookie()
        if verdict.ok:
            return None
        if verdict.reason == "expired":
            audit.record_request("session_expired", status=None, subject=identity.hsa_id, db=state.db)
        # logged out or revoked: the card logs the person in again (a new, audited session)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        user = StaffUser(identity.hsa_id, identity.name, roles.roles_for(state.db, identity.hsa_id),
                         "certifikat")
        start_session(user, cert=identity.fingerprint)
    except SQLAlchemyError as exc:
        # The app database is down: a new session cannot be recorded (nor its
        # login audited), so the card is not let in until it is back; those
        # already logged in read on (above).
        from auth.outage import MSG_LOGIN_DOWN, database_down

        database_down(exc)
        session.clear()
        return unavailable(MSG_LOGIN_DOWN, "database_down")
    audit.record(state.db, "login", actor=user.hsa_id, actor_name=user.name, subject=identity.hsa_id,
                 method=request.method, path=request.path, status=200, remote_addr=request.remote_addr,
                 detail=f"SITHS-certifikat utfärdat av {identity.issuer}, giltigt till "
                        f"{identity.not_after:%Y-%m-%d}")
    return None


def _claimed_hsa_id(header: str | None) -> str | None:
    """The serialNumber a rejected certificate claims (for the audit log only)."""
    try:
        cert = certs.parse_forwarded_certificate(header)
        from cryptography.x509.oid import NameOID

        values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        return str(values[0].value)[:200] if values else None
    except Exception:  # noqa: BLE001 - a rejected header may be anything
        return None


# ---- the guard -----------------------------------------------------------

def _callback_ids(payload) -> list:
    ids = []
    if not isinstance(payload, dict):
        return ids
    outputs = payload.get("outputs")
    if isinstance(outputs, dict):
        outputs = [outputs]
    for group in (outputs or [], payload.get("inputs") or [], payload.get("state") or []):
        for item in group:
            items = item if isinstance(item, list) else [item]  # pattern-matching ALL/ALLSMALLER
            for it in items:
                if isinstance(it, dict):
                    ids.append(it.get("id"))
    output = payload.get("output")
    if isinstance(output, str):
        for part in output.strip(".").split("..."):
            ids.append(part.rsplit(".", 1)[0])
    return ids


def _touches_admin(ids) -> bool:
    for cid in ids:
        if isinstance(cid, str) and cid.startswith(ADMIN_ID_PREFIX):
            return True
        if isinstance(cid, dict) and any(isinstance(v, str) and v.startswith(ADMIN_ID_PREFIX)
                                         for v in cid.values()):
            return True
        if isinstance(cid, str) and cid.startswith("{") and f'"{ADMIN_ID_PREFIX}' in cid:
            return True
    return False


def needs_admin() -> bool:
    if is_admin_path(request.path):
        return True
    if request.path.endswith("/_dash-update-component") and request.method == "POST":
        return _touches_admin(_callback_ids(request.get_json(silent=True)))
    return False


def guard():
    path = request.path
    if is_public(path):
        return None
    state = get_state()
    if state.mode == "proxy":
        refused = authenticate_certificate()
        if refused is not None:
            return refused
    else:
        if not current_user.is_authenticated:
            return unauthorized(MSG_LOGIN, "not_logged_in")
        verdict = _session_verdict_or_cookie() if session.get("method") == "dev" else None
        if verdict is None or verdict.reason == "expired":
            audit.record_request("session_expired", subject=current_user.hsa_id, db=state.db)
            end_session("expired")
            return unauthorized(MSG_EXPIRED, "expired")
        if not verdict.ok:  # logged out or revoked elsewhere: a copied cookie is dead
            audit.record_request("session_ended", subject=current_user.hsa_id, detail=verdict.reason,
                                 db=state.db, aggregate=verdict.reason)
            end_session(verdict.reason)
            return unauthorized(MSG_ENDED, "session_ended")
    _touch()
    if needs_admin() and not current_user.is_admin:
        audit.record_request("access_denied", status=403, detail="rollen admin krävs", db=state.db)
        return forbidden()
    return None


def audit_api_call(response):
    """after_request: every API call and every export by a person is audited.

    /api/...: action "api", or "export" for format=csv|xlsx.
    Dash downloads (a dcc.Download "data" output carrying a file) are
    audited as "export" with the file name, the view's address (Referer) and
    the callback's small input values, whichever page made them.
    """
    path = request.path
    if not getattr(current_user, "is_authenticated", False):
        return response
    if path.startswith("/api/"):
        fmt = (request.args.get("format") or "json").lower()
        action = "export" if fmt in ("csv", "xlsx") else "api"
        audit.record_request(action, status=response.status_code, format=fmt)
    elif path.endswith("/_dash-update-component") and response.status_code == 200:
        _audit_dash_download(response)
    return response


def _download_outputs(payload) -> list[str]:
    outputs = payload.get("outputs") if isinstance(payload, dict) else None
    if isinstance(outputs, dict):
        outputs = [outputs]
    return [o.get("id") for o in outputs or [] if isinstance(o, dict) and o.get("property") == "data"]


def _audit_dash_download(response) -> None:
    payload = request.get_json(silent=True)
    ids = _download_outputs(payload)
    if not ids:
        return
    try:
        body = response.get_json(silent=True) or {}
    except Exception:  # noqa: BLE001 - never let auditing break a response
        return
    for value in (body.get("response") or {}).values():
        data = value.get("data") if isinstance(value, dict) else None
        if not (isinstance(data, dict) and data.get("filename") and "content" in data):
            continue
        filename = str(data["filename"])[:200]
        fmt = filename.rsplit(".", 1)[-1].lower() if "." in filename else None
        params = {"fil": filename}
        referrer = request.referrer or ""
        if referrer:
            from urllib.parse import urlsplit

            parts = urlsplit(referrer)
            params["vy"] = parts.path + (f"?{parts.query}" if parts.query else "")
        inputs = {}
        for item in (payload.get("inputs") or []) + (payload.get("state") or []):
            if isinstance(item, dict) and isinstance(item.get("value"), (str, int, float, bool)):
                key = f"{item.get('id')}.{item.get('property')}"
                inputs[key] = item["value"] if not isinstance(item["value"], str) else item["value"][:300]
        if inputs:
            params["indata"] = inputs
        audit.record_request("export", status=200, format=fmt, params=params,
                             detail="nedladdning från sidan")
