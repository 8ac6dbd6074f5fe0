"""Login, logout and the audit CSV: server-rendered Swedish pages (Jinja)."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Blueprint, Response, make_response, redirect, render_template, request, stream_with_context
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from auth import audit, devusers, roles
from auth.guard import (LOGIN_PATH, LOGOUT_PATH, MSG_EXPIRED, authenticate_certificate, end_session,
                        safe_next, start_session)
from auth.state import get_state
from auth.user import StaffUser

bp = Blueprint("auth", __name__, template_folder="templates", static_folder="static",
               static_url_path="/auth/static")
ROOT = Path(__file__).resolve().parent.parent


class LoginForm(FlaskForm):
    username = StringField("Användarnamn", validators=[DataRequired("Ange användarnamn."), Length(max=64)])
    password = PasswordField("Lösenord", validators=[DataRequired("Ange lösenord."), Length(max=200)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass


@functools.cache
def bootstrap_css() -> str | None:
    """The Bootstrap theme in assets/ (engineer E's), if it is there; looked up
    once (assets/ does not change while the app runs), not at every page."""
    assets = ROOT / "assets"
    for pattern in ("*bootstrap*.min.css", "*bootstrap*.css"):
        found = sorted(assets.glob(pattern))
        if found:
            return "/assets/" + found[0].relative_to(assets).as_posix()
    return None


@functools.cache
def fonts_css() -> str | None:
    """The app's own font (Inter, assets/10-fonts.css), so the login page is set like the views."""
    return "/assets/10-fonts.css" if (ROOT / "assets" / "10-fonts.css").is_file() else None


@bp.app_context_processor
def _template_globals():
    return {"bootstrap_css": bootstrap_css(), "fonts_css": fonts_css(), "auth_mode": get_state().mode}


def _form_page(form: LoginForm, error: str | None = None, status: int = 200, info: str | None = None):
    resp = make_response(render_template("auth/login.html", form=form, error=error, info=info), status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _database_up(state) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from auth.outage import database_down

    try:
        with state.db.engine.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        database_down(exc)
        return False


@bp.route(LOGIN_PATH, methods=["GET", "POST"])
def login():
    state = get_state()
    next_path = safe_next(request.values.get("next"))
    if state.mode == "proxy":
        refused = authenticate_certificate()
        if refused is not None:
            return refused
        return redirect(next_path)

    form = LoginForm()
    if request.method == "POST" and not _database_up(state):
        from auth.outage import MSG_LOGIN_DOWN

        return _form_page(form, error=MSG_LOGIN_DOWN, status=503)
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_path)
        form.next.data = next_path
        info = MSG_EXPIRED if request.args.get("utgangen") else None
        return _form_page(form, info=info)

    addr = request.remote_addr

    def throttled(subject):
        audit.record_request("login_throttled", status=429, subject=subject, params={})
        minutes = int(state.failure_window.total_seconds() // 60)
        resp = _form_page(form, f"För många misslyckade inloggningsförsök. Vänta {minutes} minuter och försök igen.", 429)
        resp.headers["Retry-After"] = str(int(state.failure_window.total_seconds()))
        return resp

    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            # Not counted against the named user (anyone can post a name without a
            # token: 5 such posts locked any account out); counted, and throttled,
            # per source address instead.
            if audit.failed_logins(state.db, state.failure_window, remote_addr=addr) >= state.max_failures_per_addr:
                return throttled(None)
            audit.record_request("login_failed", status=400, subject=None, params={},
                                 detail=f"csrf (angivet användarnamn: {(form.username.data or '')[:64]!r})")
            return _form_page(form, "Formuläret hade gått ut eller saknade säkerhetstoken. Försök igen.", 400)
        return _form_page(form, "Ange både användarnamn och lösenord.", 400)

    username = form.username.data.strip().lower()
    if (audit.failed_logins(state.db, state.failure_window, subject=username) >= state.max_failures_per_user
            or audit.failed_logins(state.db, state.failure_window, remote_addr=addr) >= state.max_failures_per_addr):
        return throttled(username)

    account = devusers.verify(state.db, username, form.password.data)
    if account is None:
        audit.record_request("login_failed", status=401, subject=username, detail="fel användarnamn eller lösenord",
                             params={})
        return _form_page(form, "Fel användarnamn eller lösenord.", 401)

    user = StaffUser(account.hsa_id, account.display_name, roles.roles_for(state.db, account.hsa_id), "dev")
    start_session(user)
    audit.record(state.db, "login", actor=user.hsa_id, actor_name=user.name, subject=username,
                 method="POST", path=LOGIN_PATH, status=302, remote_addr=addr, detail="utvecklarinloggning")
    return redirect(safe_next(form.next.data))


@bp.route(LOGOUT_PATH, methods=["GET", "POST"])
def logout():
    state = get_state()
    form = LogoutForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return make_response(render_template("auth/logout.html", form=form, logged_in=True,
                                                 error="Säkerhetstoken saknades eller hade gått ut. Försök igen."), 400)
        if current_user.is_authenticated:
            audit.record(state.db, "logout", actor=current_user.hsa_id, actor_name=current_user.name,
                         method="POST", path=LOGOUT_PATH, status=200, remote_addr=request.remote_addr)
        end_session()
        resp = make_response(render_template("auth/logged_out.html"))
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Clear-Site-Data"] = '"cache", "storage"'
        return resp
    return make_response(render_template("auth/logout.html", form=form,
                                         logged_in=current_user.is_authenticated, error=None))


def _parse_day(value: str | None):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return "bad"


@bp.get("/admin/audit.csv")
def audit_csv():
    """The audit log as CSV (admin only: the guard refuses /admin/* to others)."""
    since, until = _parse_day(request.args.get("fran")), _parse_day(request.args.get("till"))
    if "bad" in (since, until):
        resp = make_response("Datum ska skrivas ÅÅÅÅ-MM-DD (parametrarna fran och till).\n", 400)
        resp.mimetype = "text/plain"
        return resp
    if until is not None:
        until = until + timedelta(days=1)
    rows = audit.iter_rows(get_state().db, action=request.args.get("handelse") or None,
                           actor=request.args.get("hsa_id") or None, since=since, until=until,
                           text=(request.args.get("sok") or "")[:200] or None)
    audit.record_request("export", status=200, format="csv", detail="granskningslogg")
    stamp = datetime.now(audit.STOCKHOLM).strftime("%Y-%m-%d")
    # Streamed: the rows are read in batches while the file is sent, never all at once.
    return Response(stream_with_context(audit.iter_csv(rows)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="granskningslogg-{stamp}.csv"',
                             "Cache-Control": "no-store"})


# ---- nginx's own certificate refusals, told in Swedish ------------------------

#: nginx's $ssl_client_verify "FAILED:<OpenSSL reason>" -> (reason code, Swedish explanation)
NGINX_REASONS = (
    ("has expired", "expired", "Certifikatet har gått ut. Förnya ditt SITHS-kort."),
    ("not yet valid", "not_yet_valid", "Certifikatet gäller inte ännu."),
    ("revoked", "revoked", "Certifikatet är spärrat (återkallat av utfärdaren)."),
    ("certificate purpose", "not_client_auth",
     "Certifikatet är inte avsett för klientautentisering (inloggning). Använd ditt SITHS-legitimeringscertifikat."),
    ("unable to get certificate CRL", "crl_missing",
     "Spärrlistan för en av utfärdarna saknas hos tjänsten, så inget certifikat kan kontrolleras. "
     "Kontakta förvaltningen (se deploy/README.md om spärrlistor)."),
    ("CRL has expired", "crl_expired",
     "Tjänstens spärrlista har gått ut, så inget certifikat kan kontrolleras just nu. Kontakta förvaltningen."),
    ("CRL is not yet valid", "crl_expired", "Tjänstens spärrlista gäller inte ännu. Kontakta förvaltningen."),
    ("verify the first certificate", "untrusted_issuer", "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare."),
    ("local issuer", "untrusted_issuer", "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare."),
    ("issuer certificate", "untrusted_issuer", "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare."),
    ("self signed", "untrusted_issuer", "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare."),
    ("self-signed", "untrusted_issuer", "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare."),
    ("signature", "bad_signature", "Certifikatets signatur stämmer inte (förfalskat eller fel utfärdare)."),
)
NGINX_REFUSED_PATH = "/auth/certifikat-nekat"


def nginx_reason(verify: str | None) -> tuple[str, str]:
    """(reason code, Swedish explanation) for nginx's $ssl_client_verify."""
    value = (verify or "").strip()
    if value in ("", "NONE"):
        return "missing", "Inget klientcertifikat skickades. Sätt i ditt SITHS-kort och försök igen."
    low = value.lower()
    for needle, code, text in NGINX_REASONS:
        if needle.lower() in low:
            return code, text
    return "malformed", "Klientcertifikatet kunde inte kontrolleras."


@bp.route(NGINX_REFUSED_PATH, methods=["GET", "POST", "HEAD"])
def nginx_refused():
    """nginx's error_page for 495/496 (a certificate it refused, or none): the
    Swedish explanation page and an audit entry, as for the app's own
    refusals. Only from the proxy (trusted address and secret): anyone else
    gets a 404."""
    from flask import abort

    from auth.guard import unauthorized
    from auth.proxy import TRUSTED_KEY

    if not request.environ.get(TRUSTED_KEY):
        abort(404)
    verify = (request.headers.get("X-SSL-Client-Verify") or "")[:300]
    code, message = nginx_reason(verify)
    from auth.guard import _claimed_hsa_id

    subject = _claimed_hsa_id(request.headers.get("X-SSL-Client-Cert"))
    original = (request.headers.get("X-Original-URI") or "")[:500] or None
    audit.record_request("login_failed", status=401, detail=f"{code} (nginx: {verify or 'NONE'})",
                         subject=subject, params={}, path=original, aggregate=code)
    if original and original.startswith(("/api/", "/_dash-", "/_reload-hash")):
        from flask import jsonify

        resp = jsonify({"error": "unauthorized", "reason": code, "fel": message})
        resp.status_code = 401
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return unauthorized(message, code)
