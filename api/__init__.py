"""HTTP twin of the views: /api/v1 (JSON, CSV, XLSX) and /healthz.

- api/params.py     pure validation of the query parameters (400 naming the parameter)
- api/serialize.py  JSON shapes, export columns, file names (pure)
- api/exports.py    CSV/XLSX bytes for Swedish Excel (pure; the views' downloads use it too)
- api/v1.py         the blueprint: parameters -> data/queries.py -> JSON/CSV/XLSX
"""
from flask import Blueprint, Flask, jsonify

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Liveness only: no data, no warehouse access, no authentication."""
    return jsonify({"status": "ok"})


def init_api(server: Flask) -> None:
    from api.v1 import bp as v1

    server.register_blueprint(health)
    server.register_blueprint(v1)
