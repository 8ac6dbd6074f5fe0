"""Datakvalitet (/datakvalitet?fil=spor_20261120.csv): the data steward's
morning — per source the data date and what was accepted and rejected, the
load history, the rejected rows grouped by reason with examples (filterable
by file, downloadable), units gone quiet and missing wait-time-database
months. Every logged-in reader sees it: it holds no patient data. One
question module (data/questions/quality.py) answers the page,
/api/v1/quality and the file."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from common import format as fmt
from components import charts
from components import controls as ctl
from data.context import get_settings, get_warehouse, no_data_text, warehouse_with_data
from data.questions import quality
from data.reference import region_name
from data.vocabulary import source_label

dash.register_page(__name__, path="/datakvalitet", name="Datakvalitet",
                   title="Datakvalitet – Nationell lägesbild", order=4, nav=True)

DQ_FILE, DQ_STATE, DQ_URL_SINK = "dq-fil", "dq-state", "dq-url-sink"
DQ_SOURCES, DQ_REASONS, DQ_ROWS, DQ_DOWNLOAD, DQ_LOADS, DQ_STALE, DQ_MISSING = (
    "dq-sources", "dq-reasons", "dq-rows", "dq-download", "dq-loads", "dq-stale", "dq-missing")
KIND_LABELS = {"spor": "SPOR", "ncr": "Kataraktregistret", "vtd": "Väntetidsdatabasen",
               "vardenheter": "Enhetskatalogen", "kva": "KVÅ-katalogen"}


def _files_with_rejections(wh) -> list[str]:
    return [f for (f,) in wh.rows("SELECT file_name FROM rejections GROUP BY file_name ORDER BY max(file_id) DESC")]


def layout(**query):
    wh = warehouse_with_data()
    if wh is None:
        return ctl.no_data_main("Datakvalitet", no_data_text())
    files = _files_with_rejections(wh)
    chosen = query.get("fil") if isinstance(query.get("fil"), str) and query.get("fil") in files else None
    return html.Main([
        dcc.Store(id=DQ_STATE), html.Div(id=DQ_URL_SINK, style={"display": "none"}),
        html.H1("Datakvalitet", className="h3"),
        html.P("Vad som är inläst, vad som avvisades och varför, vilka enheter som har tystnat och vilka månader "
               "som saknas i väntetidsdatabasen. Sidan innehåller inga patientuppgifter.", className="text-secondary"),
        html.Div([html.H2("Källorna", className="h5"), html.Div(id=DQ_SOURCES)], className="lb-card"),
        html.Div([
            html.H2("Avvisade rader", className="h5"),
            dbc.Row([dbc.Col([dbc.Label("Fil", html_for=DQ_FILE),
                              dcc.Dropdown(id=DQ_FILE, options=[{"label": f, "value": f} for f in files], value=chosen,
                                           clearable=True, placeholder="Alla filer")], lg=6),
                     dbc.Col(html.A("Ladda ner avvisade rader (CSV)", id=DQ_DOWNLOAD,
                                    className="btn btn-outline-primary btn-sm mt-4"), lg=6)]),
            html.Div(id=DQ_REASONS, className="mt-2"), html.Div(id=DQ_ROWS),
        ], className="lb-card"),
        html.Div([html.H2("Inläsningshistorik", className="h5"), html.Div(id=DQ_LOADS)], className="lb-card"),
        dbc.Row([
            dbc.Col(html.Div([html.H2("Enheter som har tystnat", className="h5"), html.Div(id=DQ_STALE)],
                             className="lb-card"), lg=7),
            dbc.Col(html.Div([html.H2("Saknade månader i väntetidsdatabasen", className="h5"), html.Div(id=DQ_MISSING)],
                             className="lb-card"), lg=5),
        ]),
    ])


def load_grid(loads) -> tuple:
    """The load history as one AG Grid (sortable, filterable): a hundred files
    without a hundred rows of components to build and send."""
    import dash_ag_grid as dag

    from components import columns as grid_columns

    rows = [{"id": str(i), "fil": r["fil"], "typ": KIND_LABELS.get(r["kind"], r["kind"]),
             "tid": fmt.fmt_local_time(r["inlast"], seconds=False), "godkanda": r["godkanda"],
             "godkanda_txt": fmt.fmt_int(r["godkanda"]), "avvisade": r["avvisade"],
             "avvisade_txt": fmt.fmt_int(r["avvisade"]), "utfall": quality.OUTCOMES.get(r["utfall"], r["utfall"]),
             "meddelande": r["meddelande"] or ""} for i, r in enumerate(loads)]
    text = {"filter": "agTextColumnFilter", "flex": 1}

    def words(key: str, floor: int = 120, whole: bool = False) -> dict:
        return grid_columns.wrapping_text_column((r[key] for r in rows), floor, whole)

    number = {"type": "rightAligned", "filter": "agNumberColumnFilter", "flex": 1}
    defs = [{"field": "fil", "headerName": "Fil", **text, **words("fil", 180)},
            {"field": "typ", "headerName": "Typ", **text, **words("typ")},
            {"field": "tid", "headerName": "Inläst", **text, **words("tid", whole=True)},
            {"field": "godkanda", "headerName": "Godkända", **number,
             "minWidth": grid_columns.header_min_width("Godkända"),
             "valueFormatter": {"function": "params.data.godkanda_txt"}},
            {"field": "avvisade", "headerName": "Avvisade", **number,
             "minWidth": grid_columns.header_min_width("Avvisade"),
             "valueFormatter": {"function": "params.data.avvisade_txt"}},
            {"field": "utfall", "headerName": "Utfall", **text, **words("utfall"),
             "cellClassRules": {"lb-growing": {"function": "params.value == 'avvisad'"}}},
            {"field": "meddelande", "headerName": "Meddelande", **text, **words("meddelande", 240), "flex": 3}]
    return dag.AgGrid(id="dq-load-grid", rowData=rows, columnDefs=defs, getRowId="params.data.id",
                      defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True,
                                     "autoHeaderHeight": True},
                      dashGridOptions={"localeText": grid_columns.grid_locale(), "animateRows": False},
                      className="ag-theme-quartz lb-grid", style={"width": "100%", "height": "460px"}), \
        ctl.grid_help("dq-load-grid", None)


def _location(r: dict) -> str:
    where = f"rad {r['rad']}" if r.get("rad") is not None else "filen"
    return f"{r['fil']}, {where}" + (f", {r['kolumn']}" if r.get("kolumn") else "")


@callback(
    Output(DQ_SOURCES, "children"), Output(DQ_REASONS, "children"), Output(DQ_ROWS, "children"),
    Output(DQ_DOWNLOAD, "href"), Output(DQ_LOADS, "children"), Output(DQ_STALE, "children"),
    Output(DQ_MISSING, "children"), Output(DQ_STATE, "data"),
    Input(DQ_FILE, "value"),
)
def update(file):
    wh = get_warehouse()
    files = _files_with_rejections(wh)
    file = file if isinstance(file, str) and file in files else None
    stale_days = get_settings().stale_days
    result = quality.quality(wh, file=file, limit=100, stale_days=stale_days)
    sources = charts.simple_table(
        [("Källa", "namn", "text"), ("Data t.o.m.", "datum", "text"), ("Inlästa filer", "filer", "int"),
         ("Godkända rader", "godkanda_rader", "int"), ("Avvisade rader", "avvisade_rader", "int")],
        [{**s, "namn": KIND_LABELS.get(s["source"], s["source"]), "datum": fmt.fmt_date(s["data_date"])}
         for s in result.sources], "dq-source-rows", label="Källorna")
    what = f"i {file}" if file else "i alla filer"
    if result.reasons:
        reasons = charts.simple_table(
            [("Orsak", "orsak", "text"), ("Antal rader", "antal", "int"), ("Första exemplen", "exempel_text", "text")],
            [{**r, "exempel_text": "; ".join(_location(e) for e in r["exempel"])} for r in result.reasons],
            "dq-reason-rows", caption=f"{fmt.fmt_int(result.avvisade_totalt)} avvisade rader {what}, per orsak.")
        rows = charts.simple_table(
            [("Fil", "fil", "text"), ("Rad", "rad", "int"), ("Kolumn", "kolumn", "text"), ("Orsak", "orsak", "text")],
            result.avvisade, "dq-rejection-rows",
            caption=f"De första {len(result.avvisade)} av {fmt.fmt_int(result.avvisade_totalt)}; alla finns i "
                    "nedladdningen och med python -m etl status --rejections FIL.")
    else:
        reasons, rows = html.P(f"Inga avvisade rader {what}.", className="mb-0"), None
    download = "/api/v1/quality?" + urlencode({**({"fil": file} if file else {}), "limit": 1000, "format": "csv"})
    loads = [html.P(f"De senaste {len(result.loads)} filerna, nyaste först; sortera och filtrera i kolumnerna.",
                    className="lb-source"), *load_grid(result.loads)]
    stale = (charts.simple_table(
        [("Enhet", "enhet", "node"), ("Källa", "kalla", "text"), ("Senaste operation", "senaste_operation", "text")],
        [{**u, "enhet": dcc.Link(u["namn"], href=f"/enhet/{u['id']}"), "kalla": source_label(u["source"])}
         for u in result.inaktuella_enheter], "dq-stale-rows",
        caption=f"Inga operationer inlästa de senaste {stale_days} dagarna före källans datadatum.")
             if result.inaktuella_enheter else html.P("Alla enheter har rapporterat de senaste "
                                                      f"{stale_days} dagarna.", className="mb-0"))
    missing = (charts.simple_table(
        [("Region", "namn", "text"), ("Månad", "month", "text")],
        [{**m, "namn": region_name(m["region_kod"]) or m["region_kod"]} for m in result.vtd_saknas], "dq-missing-rows",
        caption="Månader efter regionens första leverans då ingen av dess enheter levererade någon rad.")
               if result.vtd_saknas else html.P("Ingen region saknar månader.", className="mb-0"))
    return (sources, reasons, rows, download, loads, stale, missing, "?" + urlencode({"fil": file}) if file else "")


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(DQ_URL_SINK, "children"), Input(DQ_STATE, "data"), prevent_initial_call=True,
)
