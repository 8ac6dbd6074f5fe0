"""Nationell utveckling (/nationellt?kva=NGB&period=365&matt=median): the
decision-maker's question "are waits falling nationally and in each region,
how many wait beyond 90 days?" — the national series beside the year before,
the regions ranked and on a map of tiles, the waiting lists of the
wait-time database. One question module (data/questions/national.py) answers
the page, /api/v1/national and the file."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from common import format as fmt
from components import charts, figures
from components import controls as ctl
from data import params as shared
from data import queries
from data.context import get_settings, get_warehouse, no_data_text, warehouse_with_data
from data.questions import national
from data.vocabulary import source_line

dash.register_page(__name__, path="/nationellt", name="Nationell utveckling",
                   title="Nationell utveckling – Nationell lägesbild", order=2, nav=True)

NU_KVA, NU_PERIOD, NU_MEASURE = "nu-kva", "nu-period", "nu-matt"
NU_STATE, NU_URL_SINK = "nu-state", "nu-url-sink"
NU_SOURCE, NU_TREND, NU_SHARE, NU_REGIONS, NU_REGION_TABLE = "nu-source", "nu-trend", "nu-share", "nu-regions", "nu-region-table"
NU_TILES, NU_WAITING, NU_WAITING_NOTE, NU_DOWNLOAD = "nu-tiles", "nu-waiting", "nu-waiting-note", "nu-download"
ALL = {"alla-spor": "spor", "alla-ncr": "ncr"}
MEASURES = [{"label": "Median (dagar)", "value": "median"}, {"label": "Andel inom 90 dagar", "value": "andel_inom_90"}]


def parse_state(query: dict) -> tuple[str, int, str]:
    raw = query.get("kva") if isinstance(query.get("kva"), str) else ""
    raw = raw.strip()
    kva = raw.lower() if raw.lower() in ALL else (shared.parse_kva(raw, strict=False) or "alla-spor")
    period = shared.parse_period(query.get("period") or "365", strict=False)
    measure = query.get("matt") if query.get("matt") in ("median", "andel_inom_90") else "median"
    return kva, period, measure


def encode(kva: str, period: int, measure: str) -> str:
    return "?" + urlencode({"kva": kva, "period": period, "matt": measure})


def group_options(wh) -> list[dict]:
    opts = [{"label": "Alla grupper i SPOR", "value": "alla-spor"},
            {"label": "Alla grupper i Nationella Kataraktregistret", "value": "alla-ncr"}]
    titles = queries.group_titles(wh)
    for g in sorted(queries.groups_with_data(wh)):
        opts.append(ctl.kva_option(g, titles.get(g), queries.source_for(g)))
    return opts


def layout(**query):
    wh = warehouse_with_data()
    if wh is None:
        return ctl.no_data_main("Nationell utveckling", no_data_text())
    kva, period, measure = parse_state(query)
    options = group_options(wh)
    if kva not in {o["value"] for o in options}:
        kva = "alla-spor"
    controls = dbc.Row([
        dbc.Col([dbc.Label("Åtgärd (KVÅ-grupp)", html_for=NU_KVA),
                 dcc.Dropdown(id=NU_KVA, options=options, value=kva, clearable=False, searchable=True)], lg=6),
        dbc.Col([dbc.Label("Tidsfönster för regionerna", html_for=NU_PERIOD),
                 dbc.RadioItems(id=NU_PERIOD, options=ctl.PERIOD_OPTIONS, value=period, inline=True)], lg=3),
        dbc.Col([dbc.Label("Mått för regionerna", html_for=NU_MEASURE),
                 dbc.RadioItems(id=NU_MEASURE, options=MEASURES, value=measure, inline=True)], lg=3),
    ], className="lb-card lb-filters")
    return html.Main([
        dcc.Store(id=NU_STATE), html.Div(id=NU_URL_SINK, style={"display": "none"}),
        html.H1("Nationell utveckling", className="h3"),
        html.P("Väntetiden i hela riket månad för månad jämfört med året innan, regionerna sida vid sida och "
               "köerna enligt väntetidsdatabasen.", className="text-secondary"),
        controls,
        html.Div([html.Div(id=NU_SOURCE, className="lb-source"),
                  html.A("Ladda ner månadsserien (CSV)", id=NU_DOWNLOAD, className="btn btn-outline-primary btn-sm mt-1")],
                 className="mt-2"),
        dbc.Row([
            dbc.Col(html.Div([html.H2("Median per månad, hela riket", className="h5"),
                              figures.graph(NU_TREND, figures.empty_figure("Laddar …"))], className="lb-card"), lg=6),
            dbc.Col(html.Div([html.H2("Andel opererade inom 90 dagar, hela riket", className="h5"),
                              figures.graph(NU_SHARE, figures.empty_figure("Laddar …"))], className="lb-card"), lg=6),
        ]),
        dbc.Row([
            dbc.Col(html.Div([html.H2("Regionerna sida vid sida", className="h5"),
                              figures.graph(NU_REGIONS, figures.empty_figure("Laddar …"))], className="lb-card"), lg=7),
            dbc.Col(html.Div([html.H2("Regionerna på kartan", className="h5"),
                              html.P("Mörkare = längre väntan (median) eller lägre andel inom 90 dagar. "
                                     "Välj en region för dess kapacitet.", className="lb-source"),
                              html.Div(id=NU_TILES)], className="lb-card"), lg=5),
        ]),
        html.Div(html.Div(id=NU_REGION_TABLE), className="lb-card"),
        html.Div([html.H2("Väntande enligt väntetidsdatabasen, hela riket", className="h5"),
                  html.Div(id=NU_WAITING_NOTE, className="lb-source"),
                  figures.graph(NU_WAITING, figures.empty_figure("Laddar …"))], className="lb-card"),
    ])


REGION_COLUMNS = [("Region", "namn", "text"), ("Antal operationer", "n", "count"), ("Median (dagar)", "median", "days"),
                  ("90:e percentil (dagar)", "p90", "days"), ("Andel inom 90 dagar", "andel_inom_90", "share"),
                  ("Väntande (senaste månaden)", "vantande", "count"),
                  ("Väntat mer än 90 dagar", "vantande_over_90", "count")]


@callback(
    Output(NU_SOURCE, "children"), Output(NU_TREND, "figure"), Output(NU_SHARE, "figure"),
    Output(NU_REGIONS, "figure"), Output(NU_TILES, "children"), Output(NU_REGION_TABLE, "children"),
    Output(NU_WAITING, "figure"), Output(NU_WAITING_NOTE, "children"), Output(NU_STATE, "data"),
    Output(NU_DOWNLOAD, "href"),
    Input(NU_KVA, "value"), Input(NU_PERIOD, "value"), Input(NU_MEASURE, "value"),
)
def update(kva_value, period, measure):
    kva_value, period, measure = parse_state({"kva": kva_value, "period": str(period), "matt": measure})
    wh = get_warehouse()
    k = get_settings().suppress_below
    kva, source = (None, ALL[kva_value]) if kva_value in ALL else (kva_value, None)
    result = national.national(wh, kva=kva, source=source, period=period, suppress_below=k)
    what = result.scope_label
    caption = (f"{what[:1].upper()}{what[1:]} · {source_line(result.source, result.data_date)} · månadsserien: "
               f"{len(result.months)} kalendermånader; regionerna: {fmt.period_label(period)} före datadatum. "
               f"Färre än {k} operationer visas inte.")
    latest = {}
    if result.vantande:
        last_month = max(v["month"] for v in result.vantande)
        latest = {v["region_kod"]: v for v in result.vantande if v["month"] == last_month}
    rows = [{**r, "vantande": (latest.get(r["region_kod"]) or {}).get("vantande"),
             "vantande_over_90": (latest.get(r["region_kod"]) or {}).get("vantande_over_90")}
            for r in result.regions]
    table = charts.simple_table(REGION_COLUMNS, rows, "nu-region-rows", suppress_below=k,
                                caption=f"Regionerna, {fmt.period_label(period)} före datadatum "
                                        f"{fmt.fmt_date(result.data_date)}; väntande vid den senaste månaden i "
                                        "väntetidsdatabasen.")
    nation_waiting = [v for v in result.vantande if v["region_kod"] is None]
    note = (f"Källa: Väntetidsdatabasen (operation/åtgärd), data t.o.m. {fmt.fmt_date(result.vtd_date)}; "
            f"{what}. Enheternas antal summeras före andelen räknas ut." if result.vtd_date
            else "Väntetidsdatabasen har inga uppgifter för urvalet.")
    link = {"kva": kva} if kva else {}
    download = "/api/v1/national?" + urlencode({**({"kva": kva} if kva else {"source": source}),
                                                "period": period, "format": "csv"})
    return (caption,
            charts.national_trend_figure(result.months, "median", k, result.data_date),
            charts.national_trend_figure(result.months, "andel_inom_90", k, result.data_date),
            charts.region_bar_figure(result.regions, measure, k),
            charts.region_tiles(result.regions, measure, {**link, "period": period}, k),
            table, charts.waiting_figure(nation_waiting, k), note,
            encode(kva_value, period, measure), download)


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(NU_URL_SINK, "children"), Input(NU_STATE, "data"), prevent_initial_call=True,
)


