"""Admin (/admin, role admin only): granted roles, load history, audit log.

The server refuses non-admins three times over: the request guard answers
403 to GET /admin and to every Dash callback touching an ``admin-*``
component id; ``layout()`` renders a refusal instead of data; the callback
itself checks again. The audit log downloads as CSV from /admin/audit.csv.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Input, Output, callback, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app

import auth
from auth import audit, roles
from common import format as fmt

dash.register_page(__name__, path="/admin", title="Admin – Nationell lägesbild", name="Admin", order=90,
                   nav=True, role="admin")

ID_ROLES = "admin-roles"
ID_LOADS = "admin-loads"
ID_AUDIT = "admin-audit-table"
ID_ACTION = "admin-audit-action"
ID_TEXT = "admin-audit-text"
ID_REFRESH = "admin-audit-refresh"
ID_CSV = "admin-audit-csv"
ID_COUNT = "admin-audit-count"
AUDIT_LIMIT = 200
LOAD_LIMIT = 100
OUTCOME_LABELS = {"loaded": "inläst", "rejected": "avvisad", "unchanged": "oförändrad (redan inläst)"}
KIND_LABELS = {"spor": "SPOR", "ncr": "NCR", "vtd": "Väntetidsdatabasen", "vardenheter": "Vårdenheter",
               "kva": "KVÅ-katalog"}


def _db():
    return current_app.extensions["auth_db"]


def _time(value) -> str:
    return fmt.fmt_local_time(value, seconds=False)


def _table(header: list[str], rows: list[list], table_id: str, numeric: set[int] = frozenset(),
           label: str | None = None):
    head = html.Thead(html.Tr([html.Th(h, scope="col", className="text-end" if i in numeric else None)
                               for i, h in enumerate(header)]))
    body = html.Tbody([
        html.Tr([html.Td(cell, className="text-end" if i in numeric else None) for i, cell in enumerate(row)])
        for row in rows
    ])
    from components.charts import scroll_region

    return scroll_region(html.Table([head, body], id=table_id, className="table table-sm table-striped align-middle"),
                         label)


def roles_section():
    grants = roles.list_grants(_db())
    if not grants:
        content = html.P("Inga roller är tilldelade.", className="text-muted")
    else:
        content = _table(["HSA-id", "Roll", "Tilldelad", "Av"],
                         [[g.hsa_id, g.role, _time(g.granted_at), g.granted_by] for g in grants], ID_ROLES,
                         label="Tilldelade roller")
    return html.Section([
        html.H2("Tilldelade roller", className="h4"),
        html.P(["Alla inloggade med SITHS-kort kan läsa. Roller tilldelas per HSA-id på servern med ",
                html.Code("flask --app app users grant <HSA-id> admin"), " och återkallas med ",
                html.Code("users revoke"), "."], className="small"),
        content,
    ], className="mb-4")


def load_history_rows(limit: int = LOAD_LIMIT):
    """The newest loads from the warehouse, or None when no data is loaded yet."""
    from data.context import get_warehouse
    from data.warehouse import NoData

    from data.questions import loads

    wh = get_warehouse()
    try:
        return loads.recent_loads(wh, limit)
    except NoData:
        return None


def load_message(row: dict) -> str:
    """The file's message and, for rejected rows, the first reasons and where the rest are."""
    parts = [row["message"]] if row.get("message") else []
    first = row.get("first_rejections") or []
    if first:
        reasons = "; ".join(
            (f"rad {r['line']}" if r["line"] is not None else "filen")
            + (f", {r['column']}" if r["column"] else "") + f": {r['reason']}" for r in first)
        parts.append(f"Första avvisade raderna: {reasons}.")
        if (row.get("rejected") or 0) > len(first) or row.get("outcome") == "rejected":
            parts.append(f"Alla: python -m etl status --rejections {row['file_name']}")
    return " ".join(parts)


def loads_section():
    rows = load_history_rows()
    if rows is None:
        content = html.P("Inga data är inlästa ännu, så det finns ingen inläsningshistorik. "
                         "Läs in filer med python -m etl load.", className="text-muted", id=ID_LOADS)
    elif not rows:
        content = html.P("Inläsningshistoriken är tom.", className="text-muted", id=ID_LOADS)
    else:
        content = _table(
            ["Fil", "Typ", "Inläst", "Rader", "Godkända", "Avvisade", "Utfall", "Meddelande"],
            [[r["file_name"], KIND_LABELS.get(r["kind"], r["kind"]), _time(r["loaded_at"]),
              fmt.fmt_int(r["rows_total"]), fmt.fmt_int(r["accepted"]), fmt.fmt_int(r["rejected"]),
              OUTCOME_LABELS.get(r["outcome"], r["outcome"]), load_message(r)] for r in rows],
            ID_LOADS, numeric={3, 4, 5}, label="Inläsningshistorik",
        )
    return html.Section([html.H2("Inläsningshistorik", className="h4"),
                         html.P(f"De senaste {LOAD_LIMIT} filerna, nyaste först.", className="small"),
                         content], className="mb-4")


def audit_table(action: str | None, text: str | None):
    rows = audit.recent(_db(), limit=AUDIT_LIMIT, action=action or None, text=(text or "").strip() or None)
    if not rows:
        return html.P("Inga händelser matchar urvalet.", className="text-muted", id=ID_AUDIT)
    return _table(
        ["Tid", "HSA-id", "Namn", "Händelse", "Gäller", "Sökväg", "Parametrar", "Format", "Status", "Detalj"],
        [[r.local_time, r.actor or fmt.MISSING, r.actor_name or "", r.action_label, r.subject or "",
          r.path or "", r.params or "", r.format or "", "" if r.status is None else str(r.status), r.detail or ""]
         for r in rows],
        ID_AUDIT, label="Granskningslogg",
    )


def csv_href(action: str | None, text: str | None) -> str:
    params = {k: v for k, v in (("handelse", action), ("sok", (text or "").strip())) if v}
    return "/admin/audit.csv" + ("?" + urlencode(params) if params else "")


def audit_section():
    options = [{"label": label, "value": key} for key, label in audit.ACTION_LABELS.items()]
    return html.Section([
        html.H2("Granskningslogg", className="h4"),
        html.P(f"Inloggningar, misslyckade försök, API-anrop, exporter och administrativa åtgärder. "
               f"Visar de senaste {AUDIT_LIMIT} händelserna; CSV-filen innehåller alla som matchar urvalet.",
               className="small"),
        html.Div([
            html.Div([html.Label("Händelse", htmlFor=ID_ACTION, className="form-label"),
                      dcc.Dropdown(id=ID_ACTION, options=options, placeholder="Alla händelser",
                                   clearable=True)], className="col-md-4"),
            html.Div([html.Label("Sök (HSA-id, namn, sökväg)", htmlFor=ID_TEXT, className="form-label"),
                      dcc.Input(id=ID_TEXT, type="text", debounce=True, className="form-control")],
                     className="col-md-4"),
            html.Div([html.Button("Uppdatera", id=ID_REFRESH, n_clicks=0, className="btn btn-outline-primary me-2"),
                      html.A("Ladda ned CSV", id=ID_CSV, href=csv_href(None, None), className="btn btn-primary",
                             download="")],
                     className="col-md-4 d-flex align-items-end"),
        ], className="row g-2 mb-3"),
        html.Div(audit_table(None, None), id=ID_COUNT),
    ], className="mb-4")


def refusal():
    return html.Main([html.H1("Åtkomst nekad", className="h3"),
                      html.P("Admin-sidan kräver rollen admin.")], className="container py-4")


def layout(**_):
    if not auth.current_user_is_admin():
        return refusal()
    auth.audit_event("admin_view", params={}, path="/admin")
    return html.Main([
        html.H1("Admin", className="h3 mb-3"),
        roles_section(),
        loads_section(),
        audit_section(),
    ], className="container-fluid py-3")


@callback(
    Output(ID_COUNT, "children"),
    Output(ID_CSV, "href"),
    Input(ID_REFRESH, "n_clicks"),
    Input(ID_ACTION, "value"),
    Input(ID_TEXT, "value"),
    prevent_initial_call=True,
)
def refresh_audit(_clicks, action, text):
    if not auth.current_user_is_admin():  # the guard has refused already; never leak here either
        raise PreventUpdate
    return audit_table(action, text), csv_href(action, text)
