"""Jämför enheter (/): which units operate a KVÅ group with short waits.

State lives in the URL query string (components/url_state.py): the layout is
built from it, every change of a control or of the grid's sort/filter writes
it back with history.replaceState (assets/lagesbild-clientside.js), so a
reload or a shared link restores the same view.
"""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from components import columns as cols
from components import controls as ctl
from common import format as fmt
from data import vocabulary as vocab
from components import ids
from components import url_state as us
from data import files, gazetteer, geo, queries
from data.questions import forecast, waits
from data.context import cached, get_settings, get_warehouse, no_data_text, warehouse_with_data

dash.register_page(__name__, path="/", name="Jämför enheter", title="Jämför enheter – Nationell lägesbild",
                   order=0, nav=True)

HIDDEN = {"display": "none"}
#: The CSV and XLSX buttons, shown only with a table.
JF_FILES = "jf-files"
#: where table_outputs gives the style of the table's wrapper (shown or hidden)
GRID_STYLE_AT = 6
#: dcc.Dropdown's own texts in Swedish.
DROPDOWN_LABELS = {
    "select_all": "Välj alla", "deselect_all": "Avmarkera alla", "selected_count": "{num_selected} valda",
    "search": "Sök", "clear_search": "Rensa sökningen", "clear_selection": "Rensa valet",
    "no_options_found": "Inga träffar – pröva ett annat ord (t.ex. knä, höft, gråstarr, bråck) "
                        "eller en KVÅ-kod (t.ex. NGB)",
}
SHOWN: dict = {}


# ---------------------------------------------------------------------------
# helpers (warehouse access; the pure parts live in components/)
# ---------------------------------------------------------------------------

def _suppress_below() -> int:
    return get_settings().suppress_below


def _stale_days() -> int:
    return get_settings().stale_days


def hem_origin(wh, hem: str | None) -> tuple[float, float] | None:
    """(lat, lon) of the patient's home: a region code -> its seat; a Swedish
    locality of the gazetteer (data/gazetteer.py); else a town of the unit
    catalogue (links from before the gazetteer)."""
    if not hem:
        return None
    if hem in queries.region_names(wh):
        return geo.region_seat(hem)
    place = gazetteer.find(hem)
    if place is not None:
        return place.lat, place.lon
    return geo.town_position(queries.towns(wh), hem)


def hem_label(wh, hem: str | None) -> str | None:
    if not hem:
        return None
    if hem in queries.region_names(wh):
        return queries.region_names(wh)[hem]
    place = gazetteer.find(hem)
    return place.label if place is not None else hem


def table_data(wh, state: us.ViewState) -> dict:
    """Everything the table shows for a state (also used by the download): the
    question's answer, its columns (data/questions/waits.py) and the grid rows."""
    kva = state.kva
    source = queries.source_for(kva)
    filters = state.filters.for_source(source)
    result = waits.waits_table(wh, kva, state.period, state.level, filters,
                               suppress_below=_suppress_below(), stale_days=_stale_days())
    with_expected = state.forvantad and state.level == "unit"
    grid, distances = _grid_rows(wh, kva, state.period, state.level, filters, state.hem,
                                 _suppress_below(), _stale_days(), with_expected)
    columns = waits.columns(source, state.level, with_distance=distances is not None, with_expected=with_expected)
    expected = forecast.queue_days_by_unit(wh, kva, _suppress_below()) if with_expected else None
    return {"result": result, "rows": grid, "columns": columns, "distances": distances,
            "origin": hem_origin(wh, state.hem), "expected": expected}


@cached
def _grid_rows(wh, kva, period, level, filters, hem, suppress_below, stale_days, with_expected=False):
    """(grid rows, distances or None) of a table view, kept in the result cache
    per snapshot: the Swedish display texts of ~300 rows cost ~1 ms a request."""
    result = waits.waits_table(wh, kva, period, level, filters, suppress_below=suppress_below,
                               stale_days=stale_days)
    records = result.row_records  # the query's own records: no pandas on the way to the grid
    if with_expected:
        _, by_unit = forecast.queue_days_by_unit(wh, kva, suppress_below)
        records = [{**r, "forvantad_kob_dagar": by_unit.get(r["id"])} for r in records]
    origin = hem_origin(wh, hem)
    # A home without a position (unknown town) gives no distance column; the view says why.
    distances = geo.distances_km(records, origin) if origin is not None else None
    columns = waits.columns(result.source, level, with_distance=distances is not None, with_expected=with_expected)
    grid = cols.grid_rows(records, columns, level=level, kva=kva, suppress_below=result.suppress_below,
                          stale_days=result.stale_days, distances=distances)
    return grid, distances


def _state_from_inputs(kva, period, level, asa, prio, narkos, hem, sort=None, filter_model=None,
                       expected=None) -> us.ViewState:
    return us.ViewState(
        kva=us.parse_kva(kva),
        period=us.parse_period(period),
        level=us.parse_level(level),
        asa=us.parse_asa(asa) if asa else None,
        prio=us.parse_prio(prio) if prio else None,
        narkos=bool(narkos),
        hem=hem or None,
        sort=sort,
        filter=filter_model or None,
        forvantad=bool(expected) and isinstance(expected, list),
    )


def _empty(message: str, detail: str | None = None):
    children = [html.P(message, className="fw-semibold mb-1")]
    if detail:
        children.append(html.P(detail, className="mb-0"))
    return children


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------

def _no_data_layout():
    return html.Main(
        [
            html.H1("Jämför enheter", className="h3"),
            dbc.Alert(
                [html.P(no_data_text(), className="fw-semibold mb-1"),
                 html.P("Tabellen fylls när en administratör har läst in leveranser från SPOR, "
                        "Nationella Kataraktregistret och väntetidsdatabasen (python -m etl load).",
                        className="mb-0")],
                color="warning", id=ids.JF_EMPTY,
            ),
        ]
    )


def layout(**query):
    wh = warehouse_with_data()
    if wh is None:
        return _no_data_layout()
    state = us.decode(query)
    titles = queries.group_titles(wh)
    kva_options = []
    if state.kva and not queries.known_group(wh, state.kva):
        # an old or mistyped link: said as it is, with no register guessed for it
        kva_options = [{"label": f"{state.kva} – finns inte i katalogen", "value": state.kva,
                        "search": state.kva}]
    elif state.kva:
        kva_options = [ctl.kva_option(state.kva, titles.get(state.kva), queries.source_for(state.kva),
                                      has_data=state.kva in queries.groups_with_data(wh))]
    source = queries.source_for(state.kva) if state.kva else None
    state = us.for_source(state, source) if source else state
    hem_opts = ctl.hem_options(queries.region_names(wh), [], keep=state.hem,
                               keep_label=hem_label(wh, state.hem) if hem_origin(wh, state.hem) else None)
    # The same columns the table callback will give (no distance without a position).
    columns = waits.columns(source, state.level, with_distance=hem_origin(wh, state.hem) is not None,
                            with_expected=state.forvantad and state.level == "unit")

    search = dbc.Col(
        [
            dbc.Label("Åtgärd (KVÅ-grupp)", html_for=ids.JF_KVA),
            dcc.Dropdown(
                id=ids.JF_KVA, options=kva_options, value=state.kva, searchable=True, clearable=True,
                placeholder="Sök, t.ex. knä eller NGB",   # whole on a 390 px phone; the empty view says more
                search_value="", maxHeight=360, labels=DROPDOWN_LABELS,
            ),
        ],
        lg=6, className="mb-2",
    )
    period = dbc.Col(
        [dbc.Label("Tidsfönster", html_for=ids.JF_PERIOD),
         dbc.RadioItems(id=ids.JF_PERIOD, options=ctl.PERIOD_OPTIONS, value=state.period, inline=True)],
        lg=3, md=6, className="mb-2",
    )
    level = dbc.Col(
        [dbc.Label("Nivå", html_for=ids.JF_LEVEL),
         dbc.RadioItems(id=ids.JF_LEVEL, options=ctl.LEVEL_OPTIONS, value=state.level, inline=True)],
        lg=3, md=6, className="mb-2",
    )
    spor_filters = html.Div(
        dbc.Row([
            dbc.Col([dbc.Label("ASA-klass", html_for=ids.JF_ASA),
                     dbc.Checklist(id=ids.JF_ASA, options=ctl.ASA_OPTIONS, value=list(state.asa or []),
                                   inline=True)], lg=6, className="mb-2"),
            dbc.Col([dbc.Label("Medicinsk prioritet (bortre tidsgräns)", html_for=ids.JF_PRIO),
                     dbc.Checklist(id=ids.JF_PRIO, options=ctl.PRIO_OPTIONS, value=list(state.prio or []),
                                   inline=True)], lg=6, className="mb-2"),
        ]),
        id=ids.JF_SPOR_FILTERS, style=SHOWN if source == "spor" else HIDDEN,
    )
    ncr_filters = html.Div(
        dbc.Checklist(
            id=ids.JF_NARKOS, options=[{"label": "Endast operationer i narkos (generell anestesi)", "value": 1}],
            value=[1] if state.narkos else [], switch=True, className="mb-2",
        ),
        id=ids.JF_NCR_FILTERS, style=SHOWN if source == "ncr" else HIDDEN,
    )
    expected = dbc.Col(
        dbc.Checklist(id=ids.JF_EXPECTED, switch=True, className="mt-4",
                      options=[{"label": "Visa förväntad väntetid (köbaserad, väntetidsdatabasen)", "value": 1}],
                      value=[1] if state.forvantad else []),
        lg=6, className="mb-2")
    hem = dbc.Col(
        [dbc.Label("Patientens hemregion eller ort (valfritt, ger avstånd)", html_for=ids.JF_HEM),
         dcc.Dropdown(id=ids.JF_HEM, options=hem_opts, value=state.hem, searchable=True, clearable=True,
                      placeholder="Välj region eller ort", labels=DROPDOWN_LABELS)],
        lg=6, className="mb-2",
    )
    grid = dag.AgGrid(
        id=ids.JF_GRID,
        columnDefs=cols.column_defs(columns, state.sort, state.level),
        rowData=[],
        # The grid filter from the URL as AG Grid's initial state: applied when the
        # grid is created, before any rows, also after client-side navigation
        # (Back button, the unit page's back link), where the filterModel prop
        # lost a race with the first rows.
        filterModel={},
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "floatingFilter": False,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={
            "localeText": cols.grid_locale(),
            "tooltipShowDelay": 200,
            "animateRows": False,
            "suppressCellFocus": False,
            "domLayout": "normal",
            **({"initialState": {"filter": {"filterModel": state.filter}}} if state.filter else {}),
        },
        getRowId="params.data.id",
        className="ag-theme-quartz lb-grid",
        style={"height": "560px", "width": "100%"},
    )
    downloads = html.Div(
        [
            # the files are offered with the table: no table, nothing to download
            html.Span([
                dbc.Button("Ladda ner CSV", id=ids.JF_DL_CSV, color="primary", outline=True, size="sm",
                           className="me-2"),
                dbc.Button("Ladda ner Excel (XLSX)", id=ids.JF_DL_XLSX, color="primary", outline=True, size="sm",
                           className="me-2"),
            ], id=JF_FILES, style=HIDDEN),
            dbc.Button("Kopiera länk", id=ids.JF_COPY_LINK, color="secondary", outline=True, size="sm",
                       title="Kopiera adressen till just den här vyn, för att skicka till en kollega"),
            dcc.Download(id=ids.JF_DOWNLOAD),
        ],
        className="d-flex align-items-center",
    )
    copy_status = html.Div(id=ids.JF_COPY_STATUS, role="status", className="small text-secondary text-end",
                           style={"overflowWrap": "anywhere"})
    legend = html.Div(
        [
            html.Span(f"”<{_suppress_below()}”: ", className="fw-semibold"),
            f"färre än {_suppress_below()} operationer – statistiken visas inte, för att skydda "
            "patienternas anonymitet och undvika slumpmässiga värden. ",
            html.Span("”inaktuell”: ", className="fw-semibold"),
            f"enheten har inga operationer inlästa de senaste {_stale_days()} dagarna före datadatum. ",
            "Dagar avrundas till hela dagar och andelar till hela procent; nedladdningen har "
            "oavrundade värden. ",
            html.Span("”Förväntad väntetid, köbaserad”: ", className="fw-semibold"),
            "väntande vid senaste månadsskiftet delat med genomsnittligt antal genomförda per månad de tre "
            "senaste månaderna (väntetidsdatabasen), i dagar – den registerbaserade är medianen för 90 dagar. ",
            dcc.Link("Definitioner", href="/om"),
        ],
        id=ids.JF_LEGEND, className="lb-legend mt-2",
    )
    return html.Main(
        [
            dcc.Store(id=ids.JF_STATE, data=us.encode(state)),
            html.Div(id=ids.JF_URL_SINK, style=HIDDEN),
            html.H1("Jämför enheter", className="h3"),
            html.P("Väntetid från beslut (NCR) eller anmälan (SPOR) till operation, per enhet eller region.",
                   className="text-secondary"),
            html.Div(
                [dbc.Row([search, period, level]), spor_filters, ncr_filters, dbc.Row([hem, expected])],
                className="lb-card lb-filters",
            ),
            html.Div(
                [
                    html.Div(
                        [html.Div([html.Div(id=ids.JF_SOURCE, className="lb-source"),
                                   html.Div(id=ids.JF_GRID_FILTER, className="lb-source")]),
                         html.Div([html.Span(id=ids.JF_COUNT, className="me-3 lb-source", role="status",
                                             **{"aria-live": "polite"}), downloads],
                                  className="d-flex align-items-center")],
                        className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2",
                    ),
                    copy_status,
                    dbc.Alert(id=ids.JF_EMPTY, color="info", style=HIDDEN),
                    # the table's own hints are hidden with it when there is no table
                    html.Div([html.P("Tabellen har fler kolumner än som syns: svep i sidled.",
                                     className="lb-legend d-sm-none mb-1"),
                              grid, ctl.grid_help(ids.JF_GRID)], id="jf-grid-wrap"),
                    legend,
                ],
                className="lb-card",
            ),
        ]
    )


# ---------------------------------------------------------------------------
# callbacks
# ---------------------------------------------------------------------------

@callback(
    Output(ids.JF_KVA, "options"),
    Input(ids.JF_KVA, "search_value"),
    State(ids.JF_KVA, "value"),
    State(ids.JF_KVA, "options"),
    prevent_initial_call=True,
)
def suggest_kva(search_value, value, current):
    """Suggestions while typing: free text over titles or a KVÅ code prefix."""
    if not search_value or len(search_value.strip()) < 2:
        raise PreventUpdate
    wh = get_warehouse()
    results = queries.kva_search(wh, search_value.strip(), limit=20)
    options = ctl.kva_options_from_search(results, search_value.strip(), queries.group_titles(wh))
    if value and value not in {o["value"] for o in options}:
        keep = [o for o in (current or []) if o.get("value") == value]
        options = keep + options
    return options


@callback(
    Output(ids.JF_HEM, "options"),
    Input(ids.JF_HEM, "search_value"),
    State(ids.JF_HEM, "value"),
    State(ids.JF_HEM, "options"),
    prevent_initial_call=True,
)
def suggest_home(search_value, value, current):
    """Suggestions while typing: the regions and every Swedish locality of the
    gazetteer ("Ljungby (Kronoberg)"), å/ä/ö-tolerant; the chosen one stays."""
    if not isinstance(search_value, str) or len(search_value.strip()) < 2:
        raise PreventUpdate
    wh = get_warehouse()
    q = search_value.strip()
    options = ctl.home_suggestions(queries.region_names(wh), gazetteer.search(q, 30), q)
    if value and value not in {o["value"] for o in options}:
        options = [o for o in (current or []) if isinstance(o, dict) and o.get("value") == value] + options
    return options


@callback(
    Output(ids.JF_GRID, "rowData"),
    Output(ids.JF_GRID, "columnDefs"),
    Output(ids.JF_SOURCE, "children"),
    Output(ids.JF_COUNT, "children"),
    Output(ids.JF_EMPTY, "children"),
    Output(ids.JF_EMPTY, "style"),
    Output("jf-grid-wrap", "style"),
    Output(ids.JF_SPOR_FILTERS, "style"),
    Output(ids.JF_NCR_FILTERS, "style"),
    Output(JF_FILES, "style"),
    Input(ids.JF_KVA, "value"),
    Input(ids.JF_PERIOD, "value"),
    Input(ids.JF_LEVEL, "value"),
    Input(ids.JF_ASA, "value"),
    Input(ids.JF_PRIO, "value"),
    Input(ids.JF_NARKOS, "value"),
    Input(ids.JF_HEM, "value"),
    Input(ids.JF_EXPECTED, "value"),
    State(ids.JF_STATE, "data"),
    State(ids.JF_GRID, "columnDefs"),
)
def update_table(kva, period, level, asa, prio, narkos, hem, expected=None, url_state=None, current_defs=None):
    """The table for the filters; the download buttons are shown with it."""
    out = table_outputs(kva, period, level, asa, prio, narkos, hem, expected, url_state, current_defs)
    grid_style = out[GRID_STYLE_AT]
    return (*out, grid_style)



def table_outputs(kva, period, level, asa, prio, narkos, hem, expected=None, url_state=None, current_defs=None):
    state = _state_from_inputs(kva, period, level, asa, prio, narkos, hem, expected=expected)
    wh = get_warehouse()
    sort = us.decode(url_state).sort if url_state else None
    if not state.kva:
        return ([], dash.no_update, "", "",
                _empty("Välj en åtgärd.", "Sök på fritext (t.ex. ”knä”) eller en KVÅ-grupp (t.ex. NGB) ovan."),
                SHOWN, HIDDEN, HIDDEN, HIDDEN)
    source = queries.source_for(state.kva)
    spor_style = SHOWN if source == "spor" else HIDDEN
    ncr_style = SHOWN if source == "ncr" else HIDDEN
    if not queries.known_group(wh, state.kva):
        return ([], dash.no_update, "", "",
                _empty(f"KVÅ-gruppen {state.kva} finns inte i katalogen.", "Sök på nytt ovan."),
                SHOWN, HIDDEN, HIDDEN, HIDDEN)   # no register, so no register's filters
    data = table_data(wh, state)
    result = data["result"]
    defs = cols.column_defs(data["columns"], sort, state.level)
    if defs == current_defs:
        # Same columns: leave the grid's columns (and the filter the user or the
        # URL set on them) alone instead of rebuilding them.
        defs = dash.no_update
    source_text = [
        html.Span(vocab.source_line(source, result.data_date, state.period)),
        html.Br(),
        html.Span(f"{state.kva} – {result.titel or ''} · filter: {vocab.filters_text(result.filters)}"),
    ]
    if state.hem and data["origin"] is None:
        source_text += [html.Br(), html.Span(
            f"Orten ”{state.hem}” finns inte bland Sveriges orter, så avstånd kan inte beräknas. "
            "Skriv några bokstäver och välj en ort eller region i listan.", className="text-danger")]
    if result.data_date is None:
        return ([], defs, source_text, "",
                _empty(f"Inga operationer från {vocab.source_label(source)} är inlästa.",
                       "När källans filer har lästs in visas enheterna här."),
                SHOWN, HIDDEN, spor_style, ncr_style)
    if not data["rows"]:
        return ([], defs, source_text, ctl.count_text(0, state.level),
                _empty(*why_empty(wh, state, result)), SHOWN, HIDDEN, spor_style, ncr_style)
    rows = with_notices(data["rows"], state.kva) if state.level == "unit" else data["rows"]
    return (rows, defs, source_text, ctl.count_text(len(rows), state.level),
            "", HIDDEN, SHOWN, spor_style, ncr_style)


def with_notices(rows: list[dict], kva: str) -> list[dict]:
    """The grid rows with each unit's current capacity notices for the group
    (auth/notices.py: read fresh, never from the result cache), shown as a badge
    beside the unit's name."""
    from flask import current_app

    from auth import notices

    current = notices.by_unit(notices.current(current_app.extensions["auth_db"], kva=kva))
    if not current:
        return rows
    out = []
    for row in rows:
        items = current.get(row["id"])
        if items:
            row = {**row, "annons": "erbjuder kapacitet" if any(n["typ"] == "erbjuder" for n in items)
                   else "efterfrågar kapacitet",
                   "annons_tip": "; ".join(f"{notices.summary(n)}, kontakt {n['kontakt']}" for n in items)}
        out.append(row)
    return out


def why_empty(wh, state: us.ViewState, result) -> tuple[str, str]:
    """(what, what to do) for a table without rows: the group has no counted
    operation at all, or none in this window, or none with these filters."""
    kva, label = state.kva, fmt.period_label(state.period)
    if kva not in queries.groups_with_data(wh):
        return (f"Det finns inga operationer i {kva} i de inlästa uppgifterna.",
                f"Ingen enhet har rapporterat {kva} till {vocab.source_label(result.source)}. "
                "Välj en annan åtgärd; grupper utan data är märkta ”inga data inlästa” i sökningen.")
    what = "Inga enheter" if state.level == "unit" else "Inga regioner"
    if result.filters.active:
        unfiltered = waits.waits_table(wh, kva, state.period, state.level, None,
                                       suppress_below=_suppress_below(), stale_days=_stale_days())
        if unfiltered.row_records:
            return (f"{what} har operationer i {kva} under {label} med filtren "
                    f"{vocab.filters_text(result.filters)}.",
                    f"Utan filter finns {ctl.count_text(len(unfiltered.row_records), state.level)}: "
                    "ta bort eller ändra ett filter.")
    longest = max(vocab.PERIODS)
    if state.period < longest:
        longer = waits.waits_table(wh, kva, longest, state.level, result.filters,
                                   suppress_below=_suppress_below(), stale_days=_stale_days())
        if longer.row_records:
            return (f"{what} har operationer i {kva} under {label} före datadatum.",
                    f"Under {fmt.period_label(longest)} finns "
                    f"{ctl.count_text(len(longer.row_records), state.level)}: välj ett längre tidsfönster.")
    return (f"{what} har operationer i {kva} under {fmt.period_label(longest)} före datadatum"
            + (f" med filtren {vocab.filters_text(result.filters)}." if result.filters.active else "."),
            "Gruppens operationer i de inlästa uppgifterna är äldre än så.")


@callback(
    Output(ids.JF_COUNT, "children", allow_duplicate=True),
    Output(ids.JF_GRID_FILTER, "children"),
    Input(ids.JF_GRID, "virtualRowData"),
    Input(ids.JF_GRID, "filterModel"),
    State(ids.JF_GRID, "rowData"),
    State(ids.JF_GRID, "columnDefs"),
    State(ids.JF_LEVEL, "value"),
    prevent_initial_call=True,
)
def count_shown(virtual_rows, filter_model, all_rows, column_defs, level):
    """The row count and the filter line tell the truth about the view: the
    grid's own column filters included ("1 av 24 enheter")."""
    total = len(all_rows or [])
    shown = len(virtual_rows) if isinstance(virtual_rows, list) else total
    headers = {d.get("colId") or d.get("field"): d.get("headerName") for d in (column_defs or [])
               if isinstance(d, dict)}
    described = vocab.grid_filter_text(filter_model if isinstance(filter_model, dict) else None, headers)
    line = f"i tabellen: {described}" if described else ""
    if not total:
        return dash.no_update, line
    return ctl.shown_count_text(shown, total, us.parse_level(level)), line


@callback(
    Output(ids.JF_STATE, "data"),
    Input(ids.JF_KVA, "value"),
    Input(ids.JF_PERIOD, "value"),
    Input(ids.JF_LEVEL, "value"),
    Input(ids.JF_ASA, "value"),
    Input(ids.JF_PRIO, "value"),
    Input(ids.JF_NARKOS, "value"),
    Input(ids.JF_HEM, "value"),
    Input(ids.JF_GRID, "columnState"),
    Input(ids.JF_GRID, "filterModel"),
    Input(ids.JF_EXPECTED, "value"),
    State(ids.JF_STATE, "data"),
    prevent_initial_call=True,
)
def sync_state(kva, period, level, asa, prio, narkos, hem, column_state, filter_model, expected=None, previous=None):
    """The view state as a query string (written to the address bar on the client)."""
    prev = us.decode(previous or "")
    sort = us.sort_from_column_state(column_state) if column_state is not None else prev.sort
    state = _state_from_inputs(kva, period, level, asa, prio, narkos, hem, sort,
                               filter_model if filter_model is not None else prev.filter, expected=expected)
    if state.kva:
        state = us.for_source(state, queries.source_for(state.kva))
    encoded = us.encode(state)
    if encoded == previous:
        raise PreventUpdate
    return encoded


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="copyViewLink"),
    Output(ids.JF_COPY_STATUS, "children"),
    Input(ids.JF_COPY_LINK, "n_clicks"),
    State(ids.JF_STATE, "data"),
    prevent_initial_call=True,
)


clientside_callback(
    ClientsideFunction(namespace="lagesbild", function_name="replaceSearch"),
    Output(ids.JF_URL_SINK, "children"),
    Input(ids.JF_STATE, "data"),
)


@callback(
    Output(ids.JF_DOWNLOAD, "data"),
    Input(ids.JF_DL_CSV, "n_clicks"),
    Input(ids.JF_DL_XLSX, "n_clicks"),
    State(ids.JF_GRID, "virtualRowData"),
    State(ids.JF_STATE, "data"),
    prevent_initial_call=True,
)
def download(_csv, _xlsx, virtual_rows, url_state):
    """Exactly the rows on screen (the grid's filter and sort applied), in the
    columns of the table definition — the API's file of the same question.
    Every value is recomputed here from the view's state; the grid's rows
    contribute only which ids are shown and in what order."""
    fmt_ = "xlsx" if dash.ctx.triggered_id == ids.JF_DL_XLSX else "csv"
    state = us.decode(url_state or "")
    if not state.kva:
        raise PreventUpdate
    wh = get_warehouse()
    data = table_data(wh, state)
    result = data["result"]
    rows = result.row_records
    if virtual_rows is not None:
        by_id = {str(r["id"]): r for r in rows}
        shown = (str(v.get("id")) for v in virtual_rows if isinstance(v, dict))
        rows = [by_id[i] for i in shown if i in by_id]
    table = waits.table(result, rows, distances=data["distances"], home=hem_label(wh, state.hem),
                        expected=data["expected"])
    content, filename, _ = files.render(table, fmt_)
    return dcc.send_bytes(content, filename)
