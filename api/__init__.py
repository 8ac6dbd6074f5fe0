"""HTTP twin of the views: /api/v1 (JSON, CSV, XLSX) and /healthz.

- api/params.py     pure validation of the query parameters (400 naming the parameter),
                    on the shared parsers of data/params.py
- api/v1.py         the blueprint: parameters -> data/questions/<question>.py -> respond():
                    JSON (the question's to_json) or CSV/XLSX (its table, data/files.py)
"""
from flask import Blueprint, Flask, jsonify

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Liveness, no data, no authentication: "ok", or the published snapshot
    is damaged (a stat() against its manifest, or the app's last open of it
    failed) — 200 with a warning while an older good snapshot still serves,
    503 when nothing can be served."""
    from flask import current_app

    wh = current_app.extensions.get("warehouse")
    problem = None
    if wh is not None:
        sid = wh.store.current_id()
        problem = (wh.store.check_file(sid) if sid else None) or wh.damaged
    if not problem:
        return jsonify({"status": "ok"})
    serving = wh is not None and wh.serving
    body = {"status": "ok" if serving else "fel", "varning" if serving else "fel":
            f"{problem}; återställ med `python -m etl rollback`"}
    resp = jsonify(body)
    resp.status_code = 200 if serving else 503
    return resp


@health.get("/favicon.ico")
def favicon():
    """The browser's default icon request (the login page has no Dash frame):
    Dash's own icon, public like every static file."""
    import pkgutil

    from flask import make_response

    resp = make_response(pkgutil.get_data("dash", "favicon.ico"))
    resp.headers["Content-Type"] = "image/x-icon"
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


def init_api(server: Flask) -> None:
    from api.v1 import bp as v1

    server.register_blueprint(health)
    server.register_blueprint(v1)
