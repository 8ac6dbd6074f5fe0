"""Kapacitetsannonser (/annonser?kva=NGB&region=07): short-lived notices in
which a unit offers or asks for capacity (auth/notices.py). Every reader sees
the current ones; a person with the role annonsör for a unit posts and
withdraws that unit's notices here (or through /api/v1/annonser). The role
is checked on the server in every write callback; Dash's callbacks are JSON
requests, which no cross-site form can send."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from flask import current_app, request
from flask_login import current_user

from components import charts
from components import controls as ctl
from data import params as shared
from data import queries
from data.context import get_warehouse, no_data_text, warehouse_with_data
from data.reference import regions as reference_regions

dash.register_page(__name__, path="/annonser", name="Kapacitetsannonser",
                   title="Kapacitetsannonser – Nationell lägesbild", order=5, nav=True)

AN_KVA, AN_REGION, AN_LIST, AN_STATE, AN_URL_SINK, AN_REFRESH = (
    "an-kva", "an-region", "an-list", "an-state", "an-url-sink", "an-refresh")
AN_FORM = {k: f"an-ny-{k}" for k in ("enhet", "kva", "typ", "antal", "fran", "till", "asa_max", "villkor",
                                     "kontakt", "giltig_till")}
AN_SUBMIT, AN_MESSAGE, AN_WITHDRAW_ID, AN_WITHDRAW, AN_WITHDRAW_MESSAGE = (
    "an-publicera", "an-meddelande", "an-dra-tillbaka-id", "an-dra-tillbaka", "an-dra-tillbaka-meddelande")
AN_EDIT, AN_EDIT_ID = "an-andra", "an-andra-id"   # "Ändra": the chosen notice into the form, saved over it
#: the form's labels: an error names the field as the form shows it ("Från"), the API by its key ("fran")
AN_LABELS = {"enhet": "Enhet", "kva": "KVÅ-grupper", "typ": "Typ", "antal": "Antal patienter",
             "fran": "Från (ÅÅÅÅ-MM-DD)", "till": "Till (ÅÅÅÅ-MM-DD)", "asa_max": "Högsta ASA-klass (valfritt)",
             "villkor": "Villkor (valfritt, högst 500 tecken)", "kontakt": "Kontakt (funktionsbrevlåda eller växel)",
             "giltig_till": "Gäller till (ÅÅÅÅ-MM-DD)"}
#: the fields that are marked invalid (red, aria-invalid) when an error names them
AN_MARKABLE = ("antal", "fran", "till", "asa_max", "villkor", "kontakt", "giltig_till")
TYPE_OPTIONS = [{"label": "Erbjuder kapacitet", "value": "erbjuder"},
                {"label": "Efterfrågar kapacitet", "value": "efterfragar"}]


def _db():
    return current_app.extensions["auth_db"]


def _my_units() -> frozenset[str]:
    from auth import notices

    if not getattr(current_user, "is_authenticated", False):
        return frozenset()
    return notices.units_for(_db(), current_user.hsa_id)


def _form(wh, units):
    catalogue = queries.unit_catalogue(wh)
    titles = queries.group_titles(wh)
    unit_opts = [{"label": (catalogue.get(u) or {}).get("namn") or u, "value": u} for u in sorted(units)]
    kva_opts = [ctl.kva_option(g, titles.get(g), queries.source_for(g)) for g in sorted(queries.groups_with_data(wh))]
    today = dt.date.today()

    def field(key, component, width=4):
        return dbc.Col([dbc.Label(AN_LABELS[key], html_for=component.id), component], lg=width, className="mb-2")

    def date_input(key, value, **kwargs):
        # Typed as ÅÅÅÅ-MM-DD: the browser's own date field shows its language's format (12/04/2026 in
        # an English browser); dates here are ISO everywhere.
        return dbc.Input(id=AN_FORM[key], type="text", value=value.isoformat(), placeholder="ÅÅÅÅ-MM-DD",
                         pattern=r"\d{4}-\d{2}-\d{2}", maxLength=10, autoComplete="off", **kwargs)

    return html.Div([
        html.H2("Ny annons", className="h5"),
        html.P("Annonsen visas för all inloggad vårdpersonal, bredvid enheten i Jämför enheter och på "
               "enhetssidan, tills den dras tillbaka eller slutar gälla (högst 90 dagar). Ange en funktionell "
               "kontakt – enhetens brevlåda eller växel – aldrig en enskild person.", className="lb-source"),
        dbc.Row([
            field("enhet", dcc.Dropdown(id=AN_FORM["enhet"], options=unit_opts,
                                        value=unit_opts[0]["value"] if unit_opts else None, clearable=False), 4),
            field("kva", dcc.Dropdown(id=AN_FORM["kva"], options=kva_opts, multi=True,
                                      placeholder="Välj en eller flera"), 5),
            field("typ", dbc.RadioItems(id=AN_FORM["typ"], options=TYPE_OPTIONS, value="erbjuder"), 3),
        ]),
        dbc.Row([
            field("antal", dbc.Input(id=AN_FORM["antal"], type="number", min=1, step=1, value=10), 2),
            field("fran", date_input("fran", today), 2),
            field("till", date_input("till", today + dt.timedelta(days=30)), 2),
            field("asa_max", dbc.Input(id=AN_FORM["asa_max"], type="number", min=1, max=6), 2),
            field("giltig_till", date_input("giltig_till", today + dt.timedelta(days=30)), 2),
        ]),
        dbc.Row([
            field("villkor", dbc.Textarea(id=AN_FORM["villkor"], maxLength=500), 6),
            field("kontakt", dbc.Input(id=AN_FORM["kontakt"], maxLength=200), 6),
        ]),
        dbc.Button("Publicera annonsen", id=AN_SUBMIT, color="primary"),
        dcc.Store(id=AN_EDIT_ID),
        html.Div(id=AN_MESSAGE, className="mt-2", role="status"),
    ], className="lb-card", id="an-ny")


def layout(**query):
    wh = warehouse_with_data()
    if wh is None:
        return ctl.no_data_main("Kapacitetsannonser", no_data_text())
    kva = shared.parse_kva(query.get("kva") if isinstance(query.get("kva"), str) else None, strict=False)
    region = query.get("region") if isinstance(query.get("region"), str) and query.get("region") in reference_regions() else None
    titles = queries.group_titles(wh)
    kva_opts = [ctl.kva_option(g, titles.get(g), queries.source_for(g)) for g in sorted(queries.groups_with_data(wh))]
    region_opts = [{"label": r.namn, "value": kod} for kod, r in sorted(reference_regions().items(),
                                                                        key=lambda kv: kv[1].namn)]
    units = _my_units()
    return html.Main([
        dcc.Store(id=AN_STATE), dcc.Store(id=AN_REFRESH, data=0), html.Div(id=AN_URL_SINK, style={"display": "none"}),
        html.H1("Kapacitetsannonser", className="h3"),
        html.P("Enheter som erbjuder eller efterfrågar kapacitet för en KVÅ-grupp under en period.",
               className="text-secondary"),
        dbc.Row([
            dbc.Col([dbc.Label("Åtgärd (KVÅ-grupp)", html_for=AN_KVA),
                     dcc.Dropdown(id=AN_KVA, options=kva_opts, value=kva, clearable=True, placeholder="Alla")], lg=6),
            dbc.Col([dbc.Label("Region", html_for=AN_REGION),
                     dcc.Dropdown(id=AN_REGION, options=region_opts, value=region, clearable=True,
                                  placeholder="Alla")], lg=3),
        ], className="lb-card lb-filters"),
        html.Div(html.Div(id=AN_LIST), className="lb-card"),
        *([_form(wh, units), html.Div([
            html.H2("Ändra eller dra tillbaka en annons", className="h5"),
            dbc.Row([dbc.Col(dcc.Dropdown(id=AN_WITHDRAW_ID, placeholder="Välj en av enhetens annonser"), lg=6),
                     dbc.Col([dbc.Button("Ändra i formuläret", id=AN_EDIT, color="secondary", outline=True,
                                         className="me-2"),
                              dbc.Button("Dra tillbaka", id=AN_WITHDRAW, color="secondary", outline=True)], lg=6)]),
            html.Div(id=AN_WITHDRAW_MESSAGE, className="mt-2", role="status")], className="lb-card")]
          if units else [html.P("För att annonsera för en enhet behövs rollen annonsör för enheten; den ges av "
                                "förvaltningen.", className="lb-source")]),
    ])


NOTICE_COLUMNS = [("Enhet", "enhet_lank", "node"), ("Region", "region", "text"), ("Annons", "text", "text"),
                  ("Villkor", "villkor", "text"), ("Kontakt", "kontakt", "text"), ("Gäller till", "giltig_till", "text")]


def notice_rows(items: list[dict]) -> list[dict]:
    from auth import notices

    names = {kod: r.namn for kod, r in reference_regions().items()}
    return [{**n, "enhet_lank": dcc.Link(n["namn"], href=f"/enhet/{n['enhet']}?kva={n['kva'][0]}"),
             "region": names.get(n["region_kod"], n["region_kod"]), "text": notices.summary(n),
             "villkor": n["villkor"] or "–"} for n in items]


@callback(Output(AN_LIST, "children"), Output(AN_STATE, "data"),
          Input(AN_KVA, "value"), Input(AN_REGION, "value"), Input(AN_REFRESH, "data"))
def update_list(kva, region, _refresh):
    from auth import notices

    kva = shared.parse_kva(kva if isinstance(kva, str) else None, strict=False)
    region = region if isinstance(region, str) and region in reference_regions() else None
    items = notices.current(_db(), kva=kva, region=region)
    state = "?" + urlencode({k: v for k, v in (("kva", kva), ("region", region)) if v}) if (kva or region) else ""
    if not items:
        return html.P("Inga aktuella annonser" + (f" för {kva}" if kva else "") + ".", className="mb-0"), state
    return charts.simple_table(NOTICE_COLUMNS, notice_rows(items), "an-rows",
                               caption=f"{len(items)} aktuella annonser, nyaste först."), state


@callback(Output(AN_WITHDRAW_ID, "options"), Input(AN_REFRESH, "data"), prevent_initial_call=False)
def own_notices(_refresh):
    from auth import notices

    units = _my_units()
    return [{"label": f"{n['namn']}: {notices.summary(n)}", "value": n["id"]}
            for n in notices.current(_db()) if n["enhet"] in units]


@callback(*[Output(AN_FORM[k], "value", allow_duplicate=True) for k in AN_FORM], Output(AN_EDIT_ID, "data"),
          Output(AN_SUBMIT, "children"),
          Input(AN_EDIT, "n_clicks"), State(AN_WITHDRAW_ID, "value"), prevent_initial_call=True)
def load_for_edit(_clicks, notice_id):
    """The chosen notice of the person's unit into the form; saving then changes it."""
    from auth import notices

    notice = notices.get(_db(), notice_id) if isinstance(notice_id, int) else None
    if notice is None or notice["enhet"] not in _my_units():
        raise dash.exceptions.PreventUpdate
    return (*[notice[k] if k != "kva" else notice["kva"] for k in AN_FORM], notice_id, "Spara ändringarna")


@callback(Output(AN_MESSAGE, "children"), Output(AN_REFRESH, "data", allow_duplicate=True),
          Output(AN_EDIT_ID, "data", allow_duplicate=True), Output(AN_SUBMIT, "children", allow_duplicate=True),
          *[Output(AN_FORM[k], "invalid") for k in AN_MARKABLE],
          Input(AN_SUBMIT, "n_clicks"), *[State(AN_FORM[k], "value") for k in AN_FORM], State(AN_REFRESH, "data"),
          State(AN_EDIT_ID, "data"), prevent_initial_call=True)
def publish(*args):
    """Validate and store a notice (or the changes of the one being edited); the
    role is checked here, on the server, for this very write. A refusal names
    the field by its label and marks it invalid; any other answer clears the marks."""
    from auth import notices

    try:
        answer, field = _publish(*args), None
    except notices.NoticeError as exc:   # recorded in the audit log by _publish
        answer = (dbc.Alert(exc.named(f"”{AN_LABELS.get(exc.field, exc.field)}”"), color="danger", className="mb-0"),
                  dash.no_update, dash.no_update, dash.no_update)
        field = exc.field
    return (*answer, *[k == field for k in AN_MARKABLE])


def _publish(_clicks, enhet, kva, typ, antal, fran, till, asa_max, villkor, kontakt, giltig_till, refresh,
             edit_id=None):
    from auth import audit, notices

    wh = get_warehouse()
    catalogue = queries.unit_catalogue(wh)
    units = _my_units()
    payload = {"enhet": enhet, "kva": kva or [], "typ": typ, "antal": antal, "fran": fran, "till": till,
               "asa_max": asa_max, "villkor": villkor, "kontakt": kontakt, "giltig_till": giltig_till}
    try:
        notice = notices.validate(payload, known_group=lambda g: queries.known_group(wh, g),
                                  known_unit=lambda u: u in catalogue, may_post_for=lambda u: u in units)
    except notices.NoticeError as exc:
        audit.record(_db(), "notice_refused", actor=current_user.hsa_id, actor_name=current_user.name,
                     subject=str(enhet)[:40], method="POST", path="/annonser", status=400,
                     detail=f"{exc.field}: {exc.message}", remote_addr=request.remote_addr)
        raise
    if isinstance(edit_id, int):
        result = notices.update(_db(), edit_id, notice)
        if result is None:
            return (dbc.Alert("Annonsen kan inte ändras (tillbakadragen, eller en annan enhet).", color="danger",
                              className="mb-0"), dash.no_update, None, "Publicera annonsen")
        stored, changed = result
        audit.record(_db(), "notice_changed", actor=current_user.hsa_id, actor_name=current_user.name,
                     subject=notice.enhet, method="PUT", path="/annonser", status=200,
                     detail=f"annons {edit_id}: {notices.changes_text(changed)}", remote_addr=request.remote_addr)
        return (dbc.Alert(f"Ändringarna är sparade: {notices.summary(stored)}.", color="success", className="mb-0"),
                (refresh or 0) + 1, None, "Publicera annonsen")
    unit = catalogue[notice.enhet]
    stored = notices.create(_db(), notice, namn=unit.get("namn") or notice.enhet, region_kod=unit.get("region_kod"),
                            by=current_user.hsa_id)
    audit.record(_db(), "notice_created", actor=current_user.hsa_id, actor_name=current_user.name,
                 subject=notice.enhet, method="POST", path="/annonser", status=201,
                 detail=f"annons {stored['id']}: {notices.summary(stored)}; gäller till {stored['giltig_till']}",
                 remote_addr=request.remote_addr)
    return (dbc.Alert(f"Annonsen är publicerad: {notices.summary(stored)}, gäller till {stored['giltig_till']}.",
                      color="success", className="mb-0"), (refresh or 0) + 1, None, dash.no_update)


@callback(Output(AN_WITHDRAW_MESSAGE, "children"), Output(AN_REFRESH, "data", allow_duplicate=True),
          Input(AN_WITHDRAW, "n_clicks"), State(AN_WITHDRAW_ID, "value"), State(AN_REFRESH, "data"),
          prevent_initial_call=True)
def withdraw(_clicks, notice_id, refresh):
    from auth import audit, notices

    if not isinstance(notice_id, int):
        return dbc.Alert("Välj en annons.", color="warning", className="mb-0"), dash.no_update
    notice = notices.get(_db(), notice_id)
    if notice is None or (notice["enhet"] not in _my_units() and not current_user.is_admin):
        audit.record(_db(), "notice_refused", actor=current_user.hsa_id, actor_name=current_user.name,
                     subject=(notice or {}).get("enhet"), method="DELETE", path="/annonser", status=403,
                     detail=f"annons {notice_id}: saknar rollen", remote_addr=request.remote_addr)
        return dbc.Alert("Du kan bara dra tillbaka annonser för dina enheter.", color="danger",
                         className="mb-0"), dash.no_update
    notices.withdraw(_db(), notice_id, by=current_user.hsa_id)
    audit.record(_db(), "notice_withdrawn", actor=current_user.hsa_id, actor_name=current_user.name,
                 subject=notice["enhet"], method="DELETE", path="/annonser", status=204,
                 detail=f"annons {notice_id}: {notices.summary(notice)}", remote_addr=request.remote_addr)
    return dbc.Alert("Annonsen är tillbakadragen.", color="success", className="mb-0"), (refresh or 0) + 1


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(AN_URL_SINK, "children"), Input(AN_STATE, "data"), prevent_initial_call=True,
)
