"""Regional kapacitet (/kapacitet?region=07&kva=NGB&period=90): the regional
planner's question "where is our queue growing faster than we operate, and
who elsewhere has capacity?" — per KVÅ group the waiting list against
production (growing queues first), the chosen group's months, out-of-region
care and its flows, and the units elsewhere with shorter waits. One question
module (data/questions/capacity.py) answers the page, /api/v1/capacity and
the file."""
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
from data.questions import capacity
from data.reference import regions as reference_regions

dash.register_page(__name__, path="/kapacitet", name="Regional kapacitet",
                   title="Regional kapacitet – Nationell lägesbild", order=3, nav=True)

RK_REGION, RK_KVA, RK_PERIOD = "rk-region", "rk-kva", "rk-period"
RK_STATE, RK_URL_SINK = "rk-state", "rk-url-sink"
RK_SOURCE, RK_GROUPS, RK_SERIES, RK_SERIES_TITLE = "rk-source", "rk-groups", "rk-series", "rk-series-title"
RK_OUT, RK_FLOWS, RK_ALT, RK_DOWNLOAD = "rk-utomlans", "rk-floden", "rk-alternativ", "rk-download"
RK_OFFERS = "rk-erbjudanden"
DEFAULT_REGION = "01"


def parse_state(query: dict) -> tuple[str, str | None, int]:
    """(region, group, window) from a URL or the controls; anything unknown falls back to the defaults."""
    raw = query.get("region")
    region = raw if isinstance(raw, str) and raw in reference_regions() else DEFAULT_REGION
    kva = shared.parse_kva(query.get("kva"), strict=False)
    return region, kva, shared.parse_period(query.get("period"), strict=False)


def encode(region: str, kva: str | None, period: int) -> str:
    return "?" + urlencode({"region": region, **({"kva": kva} if kva else {}), "period": period})


def layout(**query):
    wh = warehouse_with_data()
    if wh is None:
        return ctl.no_data_main("Regional kapacitet", no_data_text())
    region, kva, period = parse_state(query)
    region_opts = [{"label": r.namn, "value": kod} for kod, r in sorted(reference_regions().items(),
                                                                        key=lambda kv: kv[1].namn)]
    titles = queries.group_titles(wh)
    kva_opts = [ctl.kva_option(g, titles.get(g), queries.source_for(g)) for g in sorted(queries.groups_with_data(wh))]
    if kva not in {o["value"] for o in kva_opts}:
        kva = None
    return html.Main([
        dcc.Store(id=RK_STATE), html.Div(id=RK_URL_SINK, style={"display": "none"}),
        html.H1("Regional kapacitet", className="h3"),
        html.P("Var växer kön snabbare än regionen opererar, och var finns kapacitet i andra regioner?",
               className="text-secondary"),
        dbc.Row([
            dbc.Col([dbc.Label("Region", html_for=RK_REGION),
                     dcc.Dropdown(id=RK_REGION, options=region_opts, value=region, clearable=False)], lg=3),
            dbc.Col([dbc.Label("Åtgärd (KVÅ-grupp) för månader, flöden och alternativ", html_for=RK_KVA),
                     dcc.Dropdown(id=RK_KVA, options=kva_opts, value=kva, clearable=True,
                                  placeholder="Välj en grupp i tabellen eller här")], lg=6),
            dbc.Col([dbc.Label("Tidsfönster för väntetider", html_for=RK_PERIOD),
                     dbc.RadioItems(id=RK_PERIOD, options=ctl.PERIOD_OPTIONS, value=period, inline=True)], lg=3),
        ], className="lb-card lb-filters"),
        html.Div([html.Div(id=RK_SOURCE, className="lb-source"),
                  html.A("Ladda ner grupperna (CSV)", id=RK_DOWNLOAD, className="btn btn-outline-primary btn-sm mt-1")],
                 className="mt-2"),
        html.Div([html.H2("Kö och produktion per KVÅ-grupp", className="h5"), html.Div(id=RK_GROUPS)],
                 className="lb-card"),
        html.Div([html.H2(id=RK_SERIES_TITLE, className="h5"), figures.graph(RK_SERIES, figures.empty_figure("Laddar …"))],
                 className="lb-card"),
        dbc.Row([
            dbc.Col(html.Div([html.H2("Vård i annan region (utomläns)", className="h5"), html.Div(id=RK_OUT)],
                             className="lb-card"), lg=5),
            dbc.Col(html.Div([html.H2("Flöden mellan regionerna", className="h5"), html.Div(id=RK_FLOWS)],
                             className="lb-card"), lg=7),
        ]),
        html.Div([html.H2("Kapacitet i andra regioner", className="h5"), html.Div(id=RK_ALT)], className="lb-card"),
        html.Div([html.H2("Erbjudanden från andra regioner för växande köer", className="h5"),
                  html.Div(id=RK_OFFERS)], className="lb-card"),
    ])


GROUP_COLUMNS = [("Väntande", "vantande", "count"), ("Väntat > 90 dagar", "vantande_over_90", "count"),
                 ("Andel inom 90 dagar", "andel_vantande_inom_90", "share"), ("Nya", "nya", "count"),
                 ("Genomförda", "genomforda", "count"), ("Nettoinflöde", "netto_inflode", "int"),
                 ("Kötid (månader)", "kotid_manader", "decimal")]


def group_grid(result, region, period, k):
    """The region's groups as one AG Grid (sortable, growing queues first): row
    data with numbers numeric and their Swedish texts in ``<key>_txt``; the
    group's name links to its months (the UnitLink renderer)."""
    import dash_ag_grid as dag

    from components import columns as grid_columns

    titles = result.titles or {}
    rows = []
    for g in result.groups:
        row = {"id": g["kva"], "grupp": f"{g['kva']} {titles.get(g['kva'], '')}".strip(),
               "href": "/kapacitet" + encode(region, g["kva"], period),
               "trend": {True: "växer", False: "minskar eller står still"}.get(g["vaxande"], "uppgift saknas")}
        for _, key, kind in GROUP_COLUMNS:
            value = g[key]
            row[key] = None if value is None else (value * 100 if kind == "share" else value)
            row[f"{key}_txt"] = charts.cell_text(value, kind, k)
        rows.append(row)
    defs = [{"field": "grupp", "headerName": "KVÅ-grupp", "cellRenderer": "UnitLink", "flex": 3, "minWidth": 220,
             "wrapText": True, "autoHeight": True, "filter": "agTextColumnFilter"}]
    for header, key, _ in GROUP_COLUMNS:
        defs.append({"field": key, "headerName": header, "type": "rightAligned", "flex": 1,
                     "minWidth": grid_columns.header_min_width(header),
                     "valueFormatter": {"function": f"params.data.{key}_txt"},
                     "comparator": {"function": "lbDecisionOrder"}, "filter": "agNumberColumnFilter"})
    defs.append({"field": "trend", "headerName": "Kön", "flex": 1,
                 **grid_columns.wrapping_text_column((r["trend"] for r in rows), 120),
                 "cellClassRules": {"lb-growing": {"function": "params.value == 'växer'"}}})
    return html.Div([dag.AgGrid(
        id="rk-group-grid", rowData=rows, columnDefs=defs, getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={"localeText": grid_columns.grid_locale(), "animateRows": False},
        className="ag-theme-quartz lb-grid", style={"width": "100%", "height": f"{min(460, 60 + 42 * len(rows))}px"}),
        ctl.grid_help("rk-group-grid", "gruppen i Jämför enheter")])


@callback(
    Output(RK_SOURCE, "children"), Output(RK_GROUPS, "children"), Output(RK_SERIES_TITLE, "children"),
    Output(RK_SERIES, "figure"), Output(RK_OUT, "children"), Output(RK_FLOWS, "children"),
    Output(RK_ALT, "children"), Output(RK_STATE, "data"), Output(RK_DOWNLOAD, "href"), Output(RK_OFFERS, "children"),
    Input(RK_REGION, "value"), Input(RK_KVA, "value"), Input(RK_PERIOD, "value"),
)
def update(region, kva, period):
    region, kva, period = parse_state({"region": region, "kva": kva, "period": str(period)})
    wh = get_warehouse()
    k = get_settings().suppress_below
    result = capacity.capacity(wh, region, kva=kva, period=period, suppress_below=k)
    names = {kod: r.namn for kod, r in reference_regions().items()}
    month = result.data_date.strftime("%Y-%m") if result.data_date else None
    source = (f"Region {result.region_namn} · Källa: Väntetidsdatabasen (operation/åtgärd), månad {month}; "
              "vård i annan region och alternativ: SPOR och Nationella Kataraktregistret"
              + (f", data t.o.m. {fmt.fmt_date(result.register_date)}" if result.register_date else "")
              + f". Antal under {k} visas som ”<{k}”." if month else
              f"Region {result.region_namn}: väntetidsdatabasen har inga uppgifter.")
    groups = ([html.P("Växande köer först (nettoinflödet de tre senaste månaderna är positivt). Kötid = väntande / "
                      "genomsnittligt antal genomförda de tre senaste månaderna (en månad utan rapport räknas inte). "
                      "Välj en grupp för dess månader, flöden och alternativ.", className="lb-source"),
               group_grid(result, region, period, k)]
              if result.groups else html.P("Regionen har inga uppgifter i väntetidsdatabasen.", className="mb-0"))
    if kva:
        months = [m for m in result.months if m["kva"] == kva]
        series_title = f"{kva}: väntande, nya och genomförda per månad i region {result.region_namn}"
        series = charts.queue_series_figure(months, k)
        out_rows = [u for u in result.utomlans if u["kva"] == kva]
        out = charts.simple_table(
            [("År", "ar", "text"), ("Regionens patienter opererade i annan region", "andel_opererade_i_annan_region", "share"),
             ("Regionens operationer på patienter från annan region", "andel_patienter_fran_annan_region", "share")],
            out_rows, "rk-out-rows", suppress_below=k,
            caption=f"{kva}, per kalenderår; operationer med känt hemlän (patient_lan).") if out_rows else \
            html.P("Inga operationer med känt hemlän för gruppen.", className="mb-0")
        latest_year = max((f["ar"] for f in result.floden), default=None)
        flow_rows = [{**f, "fran": names.get(f["fran_region"], f["fran_region"]),
                      "till": names.get(f["till_region"], f["till_region"])}
                     for f in result.floden if f["ar"] == latest_year]
        flow_rows.sort(key=lambda f: (f["fran_region"] != region, -(f["n"] or 0), f["fran"], f["till"]))
        flows = charts.simple_table(
            [("Patienternas hemregion", "fran", "text"), ("Opererade i region", "till", "text"),
             ("Antal operationer", "n", "count")], flow_rows, "rk-flow-rows", suppress_below=k,
            caption=f"{kva}, {latest_year}: regionens patienter efter var de opererades, och regionens "
                    "operationer efter patienternas hemregion.") if flow_rows else \
            html.P("Inga flöden att visa.", className="mb-0")
        alt = _alternatives(result, kva, region, period, k)
    else:
        series_title = "Välj en KVÅ-grupp för att se dess månader"
        series = figures.empty_figure("Välj en KVÅ-grupp i tabellen ovan eller i listan.", height=120)
        out = flows = alt = html.P("Välj en KVÅ-grupp.", className="mb-0 text-secondary")
    download = "/api/v1/capacity?" + urlencode({"region": region, **({"kva": kva} if kva else {}), "period": period,
                                                "format": "csv"})
    return (source, groups, series_title, series, out, flows, alt, encode(region, kva, period), download,
            offers_elsewhere(result, region))


def offers_elsewhere(result, region: str):
    """Current offers (Kapacitetsannonser) from units outside the region for the region's growing queues."""
    from flask import current_app

    from auth import notices
    from pages.annonser import NOTICE_COLUMNS, notice_rows

    growing = {g["kva"] for g in result.groups if g["vaxande"]}
    if not growing:
        return html.P("Ingen av regionens köer växer just nu.", className="mb-0")
    offers = [n for n in notices.current(current_app.extensions["auth_db"], typ="erbjuder")
              if n["region_kod"] != region and growing & set(n["kva"])]
    if not offers:
        return html.P(f"Inga aktuella erbjudanden från andra regioner för de växande köerna "
                      f"({', '.join(sorted(growing))}).", className="mb-0")
    return charts.simple_table(NOTICE_COLUMNS, notice_rows(offers), "rk-offer-rows",
                               caption=f"Erbjudanden för {', '.join(sorted(growing & {k for n in offers for k in n['kva']}))}.")


def _alternatives(result, kva, region, period, k):
    if result.region_median is None:
        return html.P(f"Regionen har ingen visad median för {kva} under {fmt.period_label(period)}, så det finns "
                      "inget att jämföra med.", className="mb-0")
    table_link = "/?" + urlencode({"kva": kva, "period": period, "level": "unit", "hem": region, "sort": "median"})
    head = html.P([f"Enheter utanför regionen med kortare median än regionens egen "
                   f"({fmt.fmt_days(result.region_median)} dagar, {fmt.period_label(period)}); avstånd från "
                   f"{reference_regions()[region].residensstad}. ",
                   dcc.Link("Öppna i Jämför enheter", href=table_link, id="rk-alt-link")], className="lb-source")
    if not result.alternativ:
        return [head, html.P("Ingen enhet utanför regionen har kortare median.", className="mb-0")]
    names = {kod: r.namn for kod, r in reference_regions().items()}
    rows = [{**a, "enhet": dcc.Link(a["namn"], href=f"/enhet/{a['id']}?kva={kva}"),
             "region": names.get(a["region_kod"], a["region_kod"])} for a in result.alternativ[:25]]
    return [head, charts.simple_table(
        [("Enhet", "enhet", "node"), ("Region", "region", "text"), ("Antal operationer", "n", "count"),
         ("Median (dagar)", "median", "days"), ("Avstånd", "avstand_km", "km")], rows, "rk-alt-rows",
        suppress_below=k, label=f"Enheter i andra regioner med {kva}")]


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(RK_URL_SINK, "children"), Input(RK_STATE, "data"), prevent_initial_call=True,
)
