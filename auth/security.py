"""Security headers (Flask-Talisman), cookie settings and Swedish error pages.

CSP: scripts only from the app itself plus the SHA-256 hashes of Dash's own
inline scripts (``app.csp_hashes()``, refreshed per request so clientside
callbacks registered late are covered); never 'unsafe-eval'. Styles allow
'unsafe-inline' because Dash components set style attributes and inject
<style> elements at run time (see deploy/README.md: "Content-Security-Policy").
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, make_response, render_template, request
from flask_talisman import Talisman
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("lagesbild")

BASE_CSP = {
    "default-src": "'self'",
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],  # blob: Plotly's "Ladda ner diagram som PNG" draws the image from one
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "worker-src": ["'self'", "blob:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

HTTP_TITLES = {
    400: ("Felaktig begäran", "Begäran kunde inte tolkas. Kontrollera adressen och parametrarna."),
    401: ("Inloggning krävs", "Du måste logga in."),
    403: ("Åtkomst nekad", "Du saknar behörighet till det här."),
    404: ("Sidan finns inte", "Adressen finns inte i den nationella lägesbilden."),
    405: ("Metoden är inte tillåten", "Den här adressen stöder inte den metoden."),
    413: ("För stor begäran", "Begäran är för stor."),
    429: ("För många försök", "Vänta en stund och försök igen."),
}


def init_security(server: Flask, settings) -> Talisman:
    production = settings.production
    server.config.update(
        SESSION_COOKIE_NAME="lagesbild_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=production,
        PREFERRED_URL_SCHEME="https" if production else "http",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # callbacks and forms are small
    )
    policy = {k: (list(v) if isinstance(v, list) else v) for k, v in BASE_CSP.items()}
    talisman = Talisman(
        server,
        force_https=False,  # TLS ends at the proxy; gunicorn listens on loopback
        strict_transport_security=production,
        strict_transport_security_max_age=365 * 24 * 3600,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=policy,
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()", "payment": "()"},
        x_content_type_options=True,
    )
    # Talisman copies the dict: keep a handle on its own copy, which it reads per request.
    server.extensions["lagesbild_csp"] = talisman.content_security_policy
    _register_error_handlers(server)
    return talisman


def set_script_hashes(server: Flask, hashes) -> None:
    policy = server.extensions["lagesbild_csp"]
    new = ["'self'"] + sorted(set(hashes))
    if policy["script-src"] != new:
        policy["script-src"] = new


def _wants_json() -> bool:
    from auth.guard import wants_json

    try:
        return wants_json()
    except Exception:  # noqa: BLE001
        return True


def _register_error_handlers(server: Flask) -> None:
    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code >= 500:
            return internal_error(exc)
        title, message = HTTP_TITLES.get(exc.code, ("Fel", "Begäran kunde inte utföras."))
        if exc.description and exc.description != type(exc).description:
            message = exc.description  # a specific (Swedish) message from the view
        if _wants_json():
            resp = jsonify({"error": exc.name.lower().replace(" ", "_"), "fel": message})
        else:
            resp = make_response(render_template("auth/error.html", title=title, message=message, reference=None))
        resp.status_code = exc.code
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @server.errorhandler(InternalServerError)
    def internal_error(exc):
        reference = secrets.token_hex(4)
        original = getattr(exc, "original_exception", None) or exc
        log.error("Internt fel %s vid %s %s", reference, request.method, request.path,
                  exc_info=(type(original), original, original.__traceback__))
        message = ("Ett internt fel inträffade. Felet är loggat; försök igen om en stund "
                   "eller kontakta förvaltningen och uppge referensen.")
        if _wants_json():
            resp = jsonify({"error": "internal_error", "fel": message, "referens": reference})
        else:
            resp = make_response(render_template("auth/error.html", title="Något gick fel", message=message,
                                                 reference=reference))
        resp.status_code = 500
        resp.headers["Cache-Control"] = "no-store"
        return resp
