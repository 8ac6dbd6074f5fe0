"""HTTP twin of the views: /api/v1 (JSON, CSV, XLSX) and /healthz."""
from flask import Blueprint, Flask, jsonify

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


def init_api(server: Flask) -> None:
    server.register_blueprint(health)
