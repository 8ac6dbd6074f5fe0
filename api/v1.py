"""The /api/v1 blueprint: the machine-readable twin of the views.

Every endpoint is parse -> question -> render: it validates its parameters
with api/params.py (400 naming the parameter), asks the same question
module as the screen (data/questions/) and answers through :func:`respond`:
JSON from the question's ``to_json`` (orjson, straight from the query's
records), CSV or XLSX from the question's table definition (data/tables.py,
data/files.py) — the definition the screen's grid and download buttons use. Errors are JSON with a Swedish ``fel``:
400 bad parameter, 404 unknown address under /api/v1, 405 wrong method,
503 no data loaded yet, 500 (logged, with a reference) — never a stack trace.
Authentication and auditing wrap every route (auth/guard.py).
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from api import params
from data import files
from data import queries as Q
from data.questions import capacity, forecast, national, quality, trends, waits
from data.tables import Table
from data.context import get_settings, get_warehouse
from data.reference import regions
from data.warehouse import NoData

log = logging.getLogger("lagesbild.api")

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

ENDPOINTS = ("waits", "trend", "national", "capacity", "quality", "forecast", "annonser", "meta", "kva")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
NO_DATA_MESSAGE = ("Inga data är inlästa ännu, så API:t har inget att svara. Läs in leveranser med "
                   "`python -m etl load <filer>` (eller `make run` för demodata) och försök igen.")
HTTP_MESSAGES = {
    400: "Felaktig begäran.",
    401: "Du behöver logga in.",
    403: "Du saknar behörighet.",
    404: "Adressen finns inte i API:t.",
    405: "Metoden stöds inte; API:t svarar bara på GET.",
    429: "För många anrop; vänta en stund och försök igen.",
}


# ---- responses ------------------------------------------------------------------

def json_response(payload: dict, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype="application/json")


def error_response(status: int, message: str, parameter: str | None = None, **extra) -> Response:
    payload = {"fel": message}
    if parameter is not None:
        payload["parameter"] = parameter
    payload.update(extra)
    return json_response(payload, status)


def file_response(data: bytes, filename: str, mimetype: str) -> Response:
    resp = Response(data, content_type=mimetype)
    resp.headers["Content-Disposition"] = files.content_disposition(filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def respond(fmt: str, payload: Callable[[], dict], table: Callable[[], Table]) -> Response:
    """The one renderer of every endpoint: JSON of the payload, or the table as CSV or XLSX."""
    if fmt == "json":
        return json_response(payload())
    data, filename, mimetype = files.render(table(), fmt)
    return file_response(data, filename, mimetype)


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _warehouse():
    wh = get_warehouse()
    if not wh.has_data:
        if wh.damaged:  # a damaged snapshot is not "no data": say what happened and what to do
            raise NoData(f"Lagret kan inte användas just nu: {wh.damaged}. Förvaltningen återställer det med "
                         "`python -m etl rollback`.")
        raise NoData(NO_DATA_MESSAGE)
    return wh


# ---- endpoints ------------------------------------------------------------------

@bp.get("/waits")
def waits_endpoint():
    wh = _warehouse()
    p = params.parse_waits(_args(), known_group=lambda k: Q.known_group(wh, k))
    settings = get_settings()
    result = waits.waits_table(wh, p.kva, p.period, p.level, p.filters,
                               suppress_below=settings.suppress_below, stale_days=settings.stale_days)
    return respond(p.format, lambda: waits.to_json(result), lambda: waits.table(result))


@bp.get("/trend")
def trend_endpoint():
    wh = _warehouse()
    p = params.parse_trend(
        _args(),
        known_group=lambda k: Q.known_group(wh, k),
        known_unit=lambda u: u in Q.unit_ids(wh),
        known_region=_known_region(wh),
    )
    result = trends.trend(wh, p.kva, unit=p.unit, region=p.region, filters=p.filters,
                          suppress_below=get_settings().suppress_below)

    def table():
        name = ((Q.unit_catalogue(wh).get(p.unit) or {}).get("namn") if p.unit
                else Q.region_names(wh).get(p.region) if p.region else None)
        return trends.table(result, name)

    return respond(p.format, lambda: trends.to_json(result), table)


def _known_region(wh):
    return lambda r: r in regions() or r in Q.region_names(wh)


@bp.get("/national")
def national_endpoint():
    wh = _warehouse()
    p = params.parse_national(_args(), known_group=lambda k: Q.known_group(wh, k))
    result = national.national(wh, kva=p.kva, source=p.source, period=p.period,
                               suppress_below=get_settings().suppress_below)
    return respond(p.format, lambda: national.to_json(result), lambda: national.table(result))


@bp.get("/capacity")
def capacity_endpoint():
    wh = _warehouse()
    p = params.parse_capacity(_args(), known_group=lambda k: Q.known_group(wh, k), known_region=_known_region(wh))
    result = capacity.capacity(wh, p.region, kva=p.kva, period=p.period, suppress_below=get_settings().suppress_below)
    return respond(p.format, lambda: capacity.to_json(result), lambda: capacity.table(result))


@bp.get("/quality")
def quality_endpoint():
    wh = _warehouse()
    p = params.parse_quality(_args())
    result = quality.quality(wh, file=p.file, limit=p.limit, offset=p.offset, stale_days=get_settings().stale_days)
    return respond(p.format, lambda: quality.to_json(result), lambda: quality.table(result))


@bp.get("/forecast")
def forecast_endpoint():
    wh = _warehouse()
    p = params.parse_forecast(_args(), known_group=lambda k: Q.known_group(wh, k),
                              known_unit=lambda u: u in Q.unit_ids(wh), known_region=_known_region(wh))
    result = forecast.forecast(wh, p.kva, unit=p.unit, region=p.region, suppress_below=get_settings().suppress_below)
    return json_response(forecast.to_json(result))


# ---- capacity notices (auth/notices.py) ----------------------------------------------

WRITE_HEADER = ("X-Requested-With", "lagesbild")


def _notice_db():
    from flask import current_app

    return current_app.extensions["auth_db"]


def _writer_or_refusal():
    """(the person, None) for a write that may proceed, else (None, the 4xx response).
    A write needs the header X-Requested-With: lagesbild (a cross-site form cannot send it)."""
    from flask_login import current_user

    if request.headers.get(WRITE_HEADER[0]) != WRITE_HEADER[1]:
        return None, error_response(403, "Skrivningar kräver huvudet X-Requested-With: lagesbild.")
    return current_user, None


@bp.get("/annonser")
def notices_list():
    from auth import notices

    wh = _warehouse()
    p = params.parse_notices(_args(), known_group=lambda k: Q.known_group(wh, k), known_region=_known_region(wh))
    return json_response({"annonser": notices.current(_notice_db(), kva=p.kva, region=p.region, enhet=p.enhet)})


@bp.post("/annonser")
def notices_create():
    from auth import audit, notices

    user, refusal = _writer_or_refusal()
    if refusal is not None:
        return refusal
    if not request.is_json:
        return error_response(415, "Innehållet måste vara JSON (Content-Type: application/json).")
    payload = request.get_json(silent=True)
    wh = _warehouse()
    db = _notice_db()
    units = notices.units_for(db, user.hsa_id)
    catalogue = Q.unit_catalogue(wh)
    try:
        notice = notices.validate(payload, known_group=lambda g: Q.known_group(wh, g),
                                  known_unit=lambda u: u in catalogue, may_post_for=lambda u: u in units)
    except notices.NoticeError as exc:
        status = 403 if isinstance(exc, notices.NoticeForbidden) else 400
        audit.record(db, "notice_refused", actor=user.hsa_id, actor_name=user.name,
                     subject=str((payload or {}).get("enhet") if isinstance(payload, dict) else "")[:40],
                     method="POST", path=request.path, status=status, detail=f"{exc.field}: {exc.message}",
                     remote_addr=request.remote_addr)
        return error_response(status, exc.message, exc.field)
    unit = catalogue[notice.enhet]
    stored = notices.create(db, notice, namn=unit.get("namn") or notice.enhet, region_kod=unit.get("region_kod"),
                            by=user.hsa_id)
    audit.record(db, "notice_created", actor=user.hsa_id, actor_name=user.name, subject=notice.enhet,
                 method="POST", path=request.path, status=201,
                 detail=f"annons {stored['id']}: {notices.summary(stored)}; gäller till {stored['giltig_till']}",
                 remote_addr=request.remote_addr)
    return json_response(stored, 201)


@bp.put("/annonser/<int:notice_id>")
def notices_update(notice_id: int):
    """Edit a current notice (the whole body, as for POST; the unit cannot change)."""
    from auth import audit, notices

    user, refusal = _writer_or_refusal()
    if refusal is not None:
        return refusal
    if not request.is_json:
        return error_response(415, "Innehållet måste vara JSON (Content-Type: application/json).")
    db = _notice_db()
    existing = notices.get(db, notice_id)
    if existing is None:
        return error_response(404, f"Annonsen {notice_id} finns inte.")
    wh = _warehouse()
    units = notices.units_for(db, user.hsa_id)
    catalogue = Q.unit_catalogue(wh)
    payload = request.get_json(silent=True)
    try:
        notice = notices.validate(payload, known_group=lambda g: Q.known_group(wh, g),
                                  known_unit=lambda u: u in catalogue, may_post_for=lambda u: u in units)
        if notice.enhet != existing["enhet"]:
            raise notices.NoticeError("enhet", "En annons kan inte flyttas till en annan enhet; "
                                               "dra tillbaka den och publicera en ny.")
    except notices.NoticeError as exc:
        status = 403 if isinstance(exc, notices.NoticeForbidden) else 400
        audit.record(db, "notice_refused", actor=user.hsa_id, actor_name=user.name, subject=existing["enhet"],
                     method="PUT", path=request.path, status=status, detail=f"{exc.field}: {exc.message}",
                     remote_addr=request.remote_addr)
        return error_response(status, exc.message, exc.field)
    result = notices.update(db, notice_id, notice)
    if result is None:
        return error_response(409, f"Annonsen {notice_id} är tillbakadragen och kan inte ändras.")
    stored, changed = result
    audit.record(db, "notice_changed", actor=user.hsa_id, actor_name=user.name, subject=stored["enhet"],
                 method="PUT", path=request.path, status=200,
                 detail=f"annons {notice_id}: {notices.changes_text(changed)}", remote_addr=request.remote_addr)
    return json_response(stored)


@bp.delete("/annonser/<int:notice_id>")
def notices_withdraw(notice_id: int):
    from auth import audit, notices

    user, refusal = _writer_or_refusal()
    if refusal is not None:
        return refusal
    db = _notice_db()
    notice = notices.get(db, notice_id)
    if notice is None:
        return error_response(404, f"Annonsen {notice_id} finns inte.")
    if notice["enhet"] not in notices.units_for(db, user.hsa_id) and not user.is_admin:
        audit.record(db, "notice_refused", actor=user.hsa_id, actor_name=user.name, subject=notice["enhet"],
                     method="DELETE", path=request.path, status=403, detail=f"annons {notice_id}: saknar rollen",
                     remote_addr=request.remote_addr)
        return error_response(403, f"Du har inte rollen annonsör för enheten {notice['enhet']}.")
    notices.withdraw(db, notice_id, by=user.hsa_id)
    audit.record(db, "notice_withdrawn", actor=user.hsa_id, actor_name=user.name, subject=notice["enhet"],
                 method="DELETE", path=request.path, status=204, detail=f"annons {notice_id}: {notices.summary(notice)}",
                 remote_addr=request.remote_addr)
    return Response(status=204)


@bp.get("/meta")
def meta():
    wh = _warehouse()
    params.parse_meta(_args())
    return json_response(Q.meta(wh))


@bp.get("/kva")
def kva():
    wh = _warehouse()
    p = params.parse_kva_search(_args())
    return json_response({"q": p.q, "results": Q.kva_search(wh, p.q, p.limit)})


@bp.route("", defaults={"rest": ""}, methods=ALL_METHODS, strict_slashes=False)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str):
    """Any other address or method under /api/v1: JSON, not the Dash page."""
    if rest.strip("/") in ENDPOINTS:
        resp = error_response(405, f"Metoden {request.method} stöds inte för /api/v1/{rest.strip('/')}; "
                                   "använd GET.")
        resp.headers["Allow"] = "GET, HEAD"
        return resp
    listing = ", ".join(f"/api/v1/{e}" for e in ENDPOINTS)
    return error_response(404, f"Adressen /api/v1/{rest} finns inte. Tillgängliga adresser: {listing}.")


# ---- errors ---------------------------------------------------------------------

@bp.errorhandler(params.ParamError)
def _bad_parameter(exc: params.ParamError):
    return error_response(400, exc.message, exc.parameter)


@bp.errorhandler(Q.QueryError)
def _bad_query(exc: Q.QueryError):
    return error_response(400, f"Ogiltig begäran: {exc}", getattr(exc, "parameter", "") or None)


@bp.errorhandler(NoData)
def _no_data(exc):
    message = str(exc) if "rollback" in str(exc) else NO_DATA_MESSAGE
    resp = error_response(503, message)
    resp.headers["Retry-After"] = "300"
    return resp


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = exc.code or 500
    if code >= 500:
        return _internal_error(exc)
    resp = error_response(code, HTTP_MESSAGES.get(code, "Begäran kunde inte utföras."))
    if code == 405 and getattr(exc, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


@bp.errorhandler(Exception)
def _internal_error(exc):
    reference = secrets.token_hex(4)
    original = getattr(exc, "original_exception", None) or exc
    log.error("Internt fel %s i API:t vid %s %s", reference, request.method, request.full_path,
              exc_info=(type(original), original, original.__traceback__))
    return error_response(500, "Ett internt fel inträffade i API:t. Felet är loggat; försök igen om en stund "
                               "eller kontakta förvaltningen och uppge referensen.", referens=reference)
