"""Enhet (/enhet/<hsa-id>?kva=NGB): one unit in depth.

The unit's 18-month monthly median, p90 and n for the chosen KVÅ group
against the nation and its region; its mix of groups; its ASA and priority
mix (SPOR) or anaesthesia mix (NCR); its waiting list and completed
operations from the wait-time database; freshness per source.

An unknown HSA-ID gets a clear Swedish page (HTTP status 200, as every Dash
page: the router renders pages on the client).
"""
from __future__ import annotations

from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import controls as ctl
from components import figures
from common import format as fmt
from data import vocabulary as vocab
from components import ids
from components import url_state as us
from data import queries
from data.context import get_settings, get_warehouse, no_data_text, warehouse_with_data
from data.params import Filters
from data.tables import WITHHELD
from data.vocabulary import DEFAULT_PERIOD



def page_title(hsa_id: str | None = None, **_) -> str:
    """The browser tab names the unit ("Ortopedkliniken, Solna – Nationell lägesbild")."""
    try:
        wh = get_warehouse()
        info = queries.unit_info(wh, hsa_id or "", stale_days=get_settings().stale_days) if wh.has_data else None
    except Exception:  # noqa: BLE001 - a title never takes the page down (no data, damaged snapshot)
        info = None
    return f"{info['namn'] if info else 'Enhet'} – Nationell lägesbild"


dash.register_page(__name__, path_template="/enhet/<hsa_id>", name="Enhet", title=page_title, order=1)

EH_HSA = "eh-hsa"
EH_STATE = "eh-state"
EH_TREND_SOURCE = "eh-trend-source"
EH_VTD_KPI = "eh-vtd-kpi"
EH_CASEMIX_TITLE = "eh-casemix-title"
EH_HEADLINE = "eh-headline"
EH_FORECAST = "eh-forecast"


def _graph(id_, figure=None, **kwargs):
    return figures.graph(id_, figure or figures.empty_figure("Laddar …"), **kwargs)


def unknown_unit_layout(hsa_id: str | None):
    return html.Main(
        [
            html.H1("Okänd enhet", className="h3"),
            dbc.Alert(
                [
                    html.P(f"Det finns ingen vårdenhet med HSA-id ”{hsa_id or ''}” i den inlästa "
                           "enhetskatalogen.", className="fw-semibold mb-1"),
                    html.P(["Kontrollera adressen, eller sök enheten via ",
                            dcc.Link("Jämför enheter", href="/"), "."], className="mb-0"),
                ],
                color="warning", id="eh-unknown",
            ),
        ]
    )


def freshness_items(info: dict, data_dates: dict, stale_days: int) -> list[str]:
    """ "SPOR: senaste operation 2026-11-18 – aktuell" per source the unit reports to."""
    out = []
    for source in ("spor", "ncr"):
        last = info.get("senaste_operation", {}).get(source)
        if last is None:
            continue
        stale = info.get("inaktuell", {}).get(source)
        flag = (f"inaktuell (inga operationer de senaste {stale_days} dagarna före datadatum)"
                if stale else "aktuell")
        out.append(f"{vocab.source_short(source)}: senaste operation {fmt.fmt_date(last)} – {flag} "
                   f"(data {fmt.data_date_text(data_dates.get(source))})")
    return out


def layout(hsa_id: str | None = None, **query):
    wh = warehouse_with_data()
    if wh is None:
        return html.Main([html.H1("Enhet", className="h3"),
                          dbc.Alert(no_data_text(), color="warning", id="eh-unknown")])
    settings = get_settings()
    info = queries.unit_info(wh, hsa_id or "", stale_days=settings.stale_days)
    if info is None:
        return unknown_unit_layout(hsa_id)
    groups = queries.unit_groups(wh, hsa_id)
    group_opts = [ctl.kva_option(g, t, s) for g, t, s in zip(groups["kva_grupp"], groups["titel"], groups["kalla"])]
    wanted = us.parse_kva(query.get("kva"))
    available = [o["value"] for o in group_opts]
    kva = wanted if wanted in available else (available[0] if available else None)
    dates = queries.data_dates(wh)
    fresh = freshness_items(info, dates, settings.stale_days)

    came_from = us.table_view(query.get("fran"))
    back_href = us.back_to_table(came_from, kva)
    fran = us.encode(came_from).lstrip("?") if came_from else None  # kept in the page's URL
    facts = [
        ("HSA-id", info["id"]),
        ("Sjukhus/mottagning", info.get("sjukhus") or fmt.MISSING),
        ("Ort", info.get("ort") or fmt.MISSING),
        ("Region", info.get("region_namn") or info.get("region_kod") or fmt.MISSING),
        ("Ägarform", vocab.agarform_label(info.get("agarform"))),
    ]
    mix = queries.unit_group_mix(wh, hsa_id, 365, settings.suppress_below)
    if len(mix):
        top = mix.head(12)
        labels = [f"{g} {t or ''}".strip() for g, t in zip(top["kva_grupp"], top["titel"])]
        mix_fig = figures.share_bar_figure(labels, _plain(top["n"]), _plain(top["andel"]),
                                           suppress_below=settings.suppress_below)
        shown_total = sum(n for n in _plain(mix["n"]) if n is not None)
        mix_note = (f"Andel av enhetens operationer (ej akuta) de senaste 365 dagarna före respektive källas "
                    f"datadatum; de {len(top)} vanligaste grupperna"
                    + (f" ({fmt.fmt_int(shown_total)} operationer i de grupper som visas)." if shown_total else "."))
    else:
        mix_fig = figures.empty_figure("Inga operationer de senaste 365 dagarna.")
        mix_note = "Enheten har inga operationer de senaste 365 dagarna."

    return html.Main(
        [
            dcc.Store(id=EH_HSA, data={"id": hsa_id, "region_kod": info["region_kod"],
                                       "region_namn": info.get("region_namn"), "fran": fran}),
            dcc.Store(id=EH_STATE),
            html.Div(id=ids.EH_URL_SINK, style={"display": "none"}),
            dcc.Link("← Tillbaka till Jämför enheter", href=back_href, id=ids.EH_BACK, className="small"),
            html.H1(info["namn"], className="h3 mt-2"),
            html.Dl(
                sum(([html.Dt(k, className="col-sm-3 col-lg-2"), html.Dd(v, className="col-sm-9 col-lg-4")]
                     for k, v in facts), []),
                className="row mb-2",
            ),
            html.Ul([html.Li(t, className="lb-stale" if "inaktuell" in t else None) for t in fresh]
                    or [html.Li("Enheten har inga operationer inlästa.")],
                    className="lb-source", id="eh-freshness"),
            unit_notices(hsa_id),
            html.Div(
                [
                    dbc.Row(
                        dbc.Col([
                            dbc.Label("Åtgärd (KVÅ-grupp)", html_for=ids.EH_KVA),
                            dcc.Dropdown(id=ids.EH_KVA, options=group_opts, value=kva, clearable=False,
                                         searchable=True, placeholder="Välj KVÅ-grupp"),
                        ], lg=6),
                    ),
                    html.Div(id=EH_HEADLINE, className="mt-3", role="status"),
                    html.H2("Väntetid per månad, senaste 18 månaderna", className="h5 mt-3"),
                    html.Div(id=EH_TREND_SOURCE, className="lb-source"),
                    _graph(ids.EH_TREND),
                ],
                className="lb-card",
            ),
            dbc.Row(
                [
                    dbc.Col(html.Div([
                        html.H2("Enhetens mix av KVÅ-grupper", className="h5"),
                        html.P(mix_note, className="lb-source"),
                        _graph(ids.EH_MIX, mix_fig),
                    ], className="lb-card"), lg=6),
                    dbc.Col(html.Div([
                        html.H2("Patientmix för gruppen", className="h5", id=EH_CASEMIX_TITLE),
                        html.Div(id=ids.EH_CASEMIX),
                    ], className="lb-card"), lg=6),
                ]
            ),
            html.Div([html.H2("Förväntad väntetid för en patient som sätts upp i dag", className="h5"),
                      html.Div(id=EH_FORECAST)], className="lb-card"),
            html.Div(
                [
                    html.H2("Väntande och genomförda enligt väntetidsdatabasen", className="h5"),
                    html.Div(id=EH_VTD_KPI, className="lb-source"),
                    _graph(ids.EH_VTD),
                ],
                className="lb-card",
            ),
        ]
    )


def context_of(unit: dict, kva: str) -> tuple[int, Filters]:
    """(window, filters) of the table view the page was opened from, for this
    group's source (an ASA filter does not apply to a cataract group); 90
    days and no filters when opened otherwise."""
    came_from = us.table_view(unit.get("fran"))
    if came_from is None:
        return DEFAULT_PERIOD, Filters()
    state = us.for_source(came_from, queries.source_for(kva))
    return state.period, state.filters.for_source(queries.source_for(kva))


def headline(wh, unit: dict, kva: str, period: int, filters, settings) -> list:
    """The unit's figures for the window and filters the coordinator came with:
    n, median, p90, share within 90 days, and how fresh they are."""
    result = queries.waits_table(wh, kva, period, "unit", filters, suppress_below=settings.suppress_below,
                           stale_days=settings.stale_days)
    row = next((r for r in result.row_records if str(r["id"]) == unit["id"]), None)
    where = (f"{kva}, {fmt.period_label(period)} före datadatum {fmt.fmt_date(result.data_date)}; "
             f"filter: {vocab.filters_text(filters)}"
             + (" (som i tabellen)" if unit.get("fran") else ""))
    if row is None:
        figures_ = [html.P(f"Enheten har inga operationer i {kva} under {fmt.period_label(period)} "
                           "med de här filtren.", className="fw-semibold mb-1")]
    elif row["suppressed"]:
        figures_ = [html.P(f"Färre än {settings.suppress_below} operationer: statistiken visas inte, för att "
                           "skydda patienternas anonymitet.", className="fw-semibold mb-1")]
    else:
        kpis = [("Median", f"{fmt.fmt_days(row['median'])} dagar"),
                ("90:e percentil", f"{fmt.fmt_days(row['p90'])} dagar"),
                ("Inom 90 dagar", cols_share(row)),
                ("Operationer", WITHHELD if row.get("n_suppressed") else fmt.fmt_int(row["n"]))]
        figures_ = [html.Dl([html.Div([html.Dt(k), html.Dd(v, className="fs-5 fw-semibold mb-0")]) for k, v in kpis],
                            className="lb-kpis mb-1")]
    fresh = ("inaktuell: inga operationer de senaste "
             f"{settings.stale_days} dagarna före datadatum" if row and row.get("inaktuell")
             else "aktuell") if row else None
    note = where + (f" · senaste operation {fmt.fmt_date(row['senaste_operation'])} – {fresh}" if row else "")
    return figures_ + [html.P(note, className="lb-source mb-0")]


def cols_share(row: dict) -> str:
    return WITHHELD if row.get("n_suppressed") else fmt.fmt_share(row["andel_inom_90"])


def same_months(a: list[dict], b: list[dict]) -> bool:
    """The region's line would be the unit's own (it is the region's only unit with the group)."""
    keys = ("n", "median", "p90")
    return len(a) == len(b) and all(all(x.get(k) == y.get(k) for k in keys) for x, y in zip(a, b))


@callback(
    Output(ids.EH_TREND, "figure"),
    Output(EH_TREND_SOURCE, "children"),
    Output(EH_STATE, "data"),
    Output(EH_HEADLINE, "children"),
    Input(ids.EH_KVA, "value"),
    State(EH_HSA, "data"),
)
def update_trend(kva, unit):
    """The unit's 18-month trend for the group against its region and the
    nation, with the filters of the table view it was opened from, and the
    headline figures of that view's window."""
    if not kva or not unit:
        return figures.empty_figure("Enheten har inga operationer att visa."), "", dash.no_update, ""
    wh = get_warehouse()
    settings = get_settings()
    hsa_id, region_kod = unit["id"], unit["region_kod"]
    region_label = f"Region {unit.get('region_namn') or region_kod}"
    k = settings.suppress_below
    period, filters = context_of(unit, kva)
    # One scan for the three scopes (the API's /trend answers one scope at a time).
    own, region, nation = queries.unit_trends(wh, kva, hsa_id, region_kod, suppress_below=k, filters=filters)
    region_months = region.month_records if region else None
    alone = region_months is not None and same_months(own.month_records, region_months)
    fig = figures.trend_figure(own.month_records, nation.month_records, None if alone else region_months,
                               unit_label="Enheten", region_label=region_label, suppress_below=k,
                               data_date=own.data_date)
    shown = [m["n"] for m in own.month_records if m["n"] is not None]
    hidden = sum(1 for m in own.month_records if m["n"] is None)
    # The total holds only the months shown, so it cannot give a hidden month away.
    text = (f"{kva} – {own.titel or ''} · {vocab.source_line(own.source, own.data_date)} · "
            f"filter: {vocab.filters_text(filters)} · "
            f"{fmt.fmt_int(sum(shown))} operationer under de månader som visas"
            + (f" ({hidden} månader med färre än {k} operationer visas utan antal, median och percentil)."
               if hidden else ".")
            + (f" {region_label} visas inte som egen linje: enheten är regionens enda med {kva}." if alone else ""))
    state = f"?kva={quote(kva)}" + (f"&fran={quote(unit['fran'], safe='')}" if unit.get("fran") else "")
    return fig, text, state, headline(wh, unit, kva, period, filters, settings)


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(ids.EH_URL_SINK, "children"),
    Input(EH_STATE, "data"),
    prevent_initial_call=True,
)


def _count(value, k: int) -> str:
    """A wait-time-database count; hidden (small) ones as "färre än 5"."""
    return f"färre än {k}" if fmt.is_missing(value) else fmt.fmt_int(value)


def _plain(values) -> list:
    """A nullable pandas column as Python values (None where hidden)."""
    return [None if fmt.is_missing(v) else v.item() if hasattr(v, "item") else v for v in values]


CASE_MIX_TITLES = {
    "asa": "ASA-klass",
    "prio": "Medicinsk prioritet (bortre tidsgräns)",
    "anestesi": "Anestesi",
}


def case_mix_label(dimension: str, kategori: str) -> str:
    if kategori == "saknas":
        return "uppgift saknas"
    if dimension == "asa":
        return f"ASA {kategori}"
    if dimension == "prio":
        return vocab.PRIO_LABELS.get(kategori, kategori)
    return vocab.ANESTESI_LABELS.get(kategori, kategori)


@callback(
    Output(ids.EH_CASEMIX, "children"),
    Output(ids.EH_VTD, "figure"),
    Output(EH_VTD_KPI, "children"),
    Input(ids.EH_KVA, "value"),
    State(EH_HSA, "data"),
)
def update_mix_and_vtd(kva, unit):
    if not kva or not unit:
        empty = figures.empty_figure("Ingen KVÅ-grupp vald.")
        return html.P("Ingen KVÅ-grupp vald."), empty, ""
    wh = get_warehouse()
    settings = get_settings()
    hsa_id = unit["id"]
    mix = queries.unit_case_mix(wh, hsa_id, kva, 365, settings.suppress_below)
    children = [html.P(f"{kva}: enhetens operationer de senaste 365 dagarna före datadatum.",
                       className="lb-source")]
    for dimension, part in mix.groupby("dimension", sort=False):
        labels = [case_mix_label(dimension, k) for k in part["kategori"]]
        children.append(html.H3(CASE_MIX_TITLES.get(dimension, dimension), className="h6 mt-2"))
        children.append(figures.graph(
            f"eh-casemix-{dimension}",
            figures.share_bar_figure(labels, _plain(part["n"]), _plain(part["andel"]),
                                     suppress_below=settings.suppress_below),
        ))
    k = settings.suppress_below
    vtd = queries.unit_vtd(wh, hsa_id, kva, k)
    if vtd.empty:
        kpi = (f"Enheten har inga uppgifter i väntetidsdatabasen för {kva}. Alla enheter rapporterar inte "
               "per KVÅ-grupp.")
        return children, figures.vtd_figure(vtd), kpi
    last = vtd.iloc[-1]
    dates = queries.data_dates(wh)
    kpi = (f"Källa: Väntetidsdatabasen, data {fmt.data_date_text(dates.get('vtd'))}. "
           f"{fmt.fmt_month(last['period']).capitalize()}: {_count(last['vantande'], k)} väntande, "
           f"varav {_count(last['vantande_over_90'], k)} mer än 90 dagar "
           f"(andel inom 90 dagar {fmt.fmt_share(last['andel_vantande_inom_90'])}); "
           f"{_count(last['genomforda'], k)} genomförda under månaden"
           + (f", kötid {fmt.fmt_number(last['kotid_manader'], 1)} månader" if not fmt.is_missing(last['kotid_manader']) else "")
           + ".")
    return children, figures.vtd_figure(vtd), kpi


def forecast_card(result, k: int) -> list:
    """Both estimates with their names and definitions, the data month, and the
    backtest in plain Swedish (data/questions/forecast.py)."""
    from data.questions import forecast as fc

    def days(value):
        return f"{fmt.fmt_days(value)} dagar" if value is not None else "ingen skattning"

    items = [html.Div([html.Dt(fc.METHOD_NAMES[method]), html.Dd(days(value), className="fs-5 fw-semibold")])
             for method, value in (("kobaserad", result.kobaserad_dagar),
                                   ("registerbaserad", result.registerbaserad_dagar))]
    notes = [
        "Köbaserad: antalet väntande vid senaste månadsskiftet delat med genomsnittligt antal genomförda per "
        "månad de tre senaste månaderna (tiden det tar att operera dagens kö i dagens takt), i dagar"
        + (f"; väntetidsdatabasen, månad {result.data_month}." if result.data_month else "."),
        "Registerbaserad: medianväntetiden för enhetens operationer i gruppen de senaste 90 dagarna före "
        f"datadatum {fmt.fmt_date(result.register_date)} (tabellens mått).",
    ]
    if not result.has_vtd:
        notes.insert(0, f"Enheten har inga uppgifter i väntetidsdatabasen för {result.kva}, så ingen köbaserad "
                        "skattning kan göras. Alla enheter rapporterar inte per KVÅ-grupp.")
    elif result.kobaserad_dagar is None:
        notes.insert(0, f"Ingen köbaserad skattning: för få genomförda eller väntande (färre än {k}) eller inga "
                        "genomförda de senaste tre månaderna.")
    bt = result.backtest or {}
    lines = []
    for method in fc.METHODS:
        b = bt.get(method) or {}
        if b.get("manader"):
            lines.append(f"{fc.METHOD_NAMES[method]}: i mitten {fmt.fmt_days(b['median_abs_fel_dagar'])} dagars fel, "
                         f"inom ±30 dagar {fmt.fmt_share(b['andel_inom_30'])} av {b['manader']} månader.")
    backtest = ([html.P("Så träffsäkra var skattningarna här tidigare (månader minst ett år före datadatum, mot "
                        "den faktiska medianväntan för patienter som sattes upp den månaden):", className="mb-1"),
                 html.Ul([html.Li(t) for t in lines])]
                + ([html.P(bt["slutsats"], className="fw-semibold mb-0")] if bt.get("slutsats") else [])
                if lines else [html.P("För kort historik för att pröva skattningarna här.", className="mb-0")])
    return [html.Dl(items, className="lb-kpis mb-2"), *[html.P(n, className="lb-source mb-1") for n in notes],
            html.Div(backtest, className="mt-2", id="eh-backtest"),
            html.P("Skattningarna bygger på historiken och är inget löfte om en viss väntetid.",
                   className="lb-source mt-2 mb-0")]


@callback(Output(EH_FORECAST, "children"), Input(ids.EH_KVA, "value"), State(EH_HSA, "data"))
def update_forecast(kva, unit):
    from data.questions import forecast as fc

    if not kva or not unit:
        return html.P("Ingen KVÅ-grupp vald.", className="mb-0")
    k = get_settings().suppress_below
    return forecast_card(fc.forecast(get_warehouse(), kva, unit=unit["id"], suppress_below=k), k)


def unit_notices(hsa_id: str):
    """The unit's current capacity notices (auth/notices.py), read fresh on every page load."""
    from flask import current_app

    from auth import notices

    items = notices.current(current_app.extensions["auth_db"], enhet=hsa_id)
    if not items:
        return html.Div(id="eh-notices")
    return html.Div([
        html.H2("Kapacitetsannonser", className="h6 mb-1"),
        html.Ul([html.Li([html.Span(notices.summary(n), className="fw-semibold"),
                          f" – gäller till {n['giltig_till']}; kontakt: {n['kontakt']}"
                          + (f"; villkor: {n['villkor']}" if n["villkor"] else "")]) for n in items],
                className="mb-0"),
    ], className="alert alert-info py-2", id="eh-notices")
