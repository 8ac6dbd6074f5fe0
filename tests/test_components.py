"""Pure component functions: Swedish formats, URL state, grid columns and rows,
figures, the shell header and the control texts."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from components import columns as cols
from components import controls as ctl
from components import figures
from common import format as fmt
from data import vocabulary as vocab
from data.params import Filters
from data.questions import waits
from components import ids
from components import shell
from components import url_state as us

ROOT = Path(__file__).resolve().parent.parent


# ---- format ---------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (0, "0"), (7, "7"), (999, "999"), (1000, "1 000"), (1234, "1 234"), (1234567, "1 234 567"),
    (-1234, "-1 234"), (1234.5, "1 235"), (None, "–"), (float("nan"), "–"), (pd.NA, "–"),
])
def test_fmt_int(value, text):
    assert fmt.fmt_int(value) == text


@pytest.mark.parametrize("value, decimals, text", [
    (0.12, 0, "12 %"), (0.125, 1, "12,5 %"), (0.125, 0, "13 %"), (0.005, 0, "1 %"), (1.0, 0, "100 %"),
    (0.0, 0, "0 %"), (12.3456, 1, "1 234,6 %"), (None, 0, "–"),
])
def test_fmt_share(value, decimals, text):
    assert fmt.fmt_share(value, decimals) == text


def test_days_round_half_up_to_whole_days():
    assert fmt.fmt_days(97.5) == "98"
    assert fmt.fmt_days(96.5) == "97"   # not banker's rounding
    assert fmt.fmt_days(97.49) == "97"
    assert fmt.fmt_days(1234.0) == "1 234"
    assert fmt.fmt_number(-0.4) == "0"
    assert fmt.fmt_number(2.25, 1) == "2,3"


def test_fmt_n_suppression_and_dates():
    assert fmt.fmt_n(3, suppressed=True) == "<5"
    assert fmt.fmt_n(3) == "<5"
    assert fmt.fmt_n(3, suppress_below=3) == "3"
    assert fmt.fmt_n(12, suppress_below=20, suppressed=True) == "<20"
    assert fmt.fmt_n(1234) == "1 234"
    assert fmt.fmt_date(dt.date(2026, 11, 20)) == "2026-11-20"
    assert fmt.fmt_date(pd.Timestamp("2026-11-20 13:00")) == "2026-11-20"
    assert fmt.fmt_date(dt.datetime(2026, 1, 2, 3, 4)) == "2026-01-02"
    assert fmt.fmt_date(None) == "–"
    assert fmt.data_date_text(dt.date(2026, 11, 20)) == "t.o.m. 2026-11-20"
    assert fmt.data_date_text(None) == "inga data"
    assert fmt.fmt_km(1234.4) == "1 234 km"
    assert fmt.fmt_month("2026-11") == "november 2026"
    assert vocab.agarform_label("ideburen") == "idéburen"


# ---- URL state ------------------------------------------------------------

STATES = [
    us.ViewState(),
    us.ViewState(kva="NGB"),
    us.ViewState(kva="NGB", period=30, level="region", asa=(3, 4), prio=("3m", "6m")),
    us.ViewState(kva="CJC", period=365, narkos=True, hem="Göteborg", sort="-median"),
    us.ViewState(kva="NFB", hem="14", sort="avstand_km",
                 filter={"region_namn": {"filterType": "text", "type": "contains", "filter": "Väst & Öst"}}),
    us.ViewState(kva="JAB", asa=(1,), prio=("1v",), filter={"n": {"filterType": "number", "type": "greaterThan",
                                                                   "filter": 20}}),
]


@pytest.mark.parametrize("state", STATES)
def test_url_state_round_trip(state):
    encoded = us.encode(state)
    assert encoded.startswith("?")
    assert us.decode(encoded) == state
    # Dash Pages hands the page the parsed query as keyword arguments.
    from urllib.parse import parse_qsl
    assert us.decode(dict(parse_qsl(encoded[1:]))) == state


def test_url_state_round_trip_exhaustive_filters():
    for period, level, narkos in itertools.product(vocab.PERIODS, vocab.LEVELS, (False, True)):
        for asa in (None, (2,), (3, 4), (1, 2, 3, 4, 5), (1, 2, 3, 4, 5, 6)):
            state = us.ViewState(kva="NGB", period=period, level=level, asa=asa, narkos=narkos)
            assert us.decode(us.encode(state)) == state


def test_url_state_bad_values_fall_back_to_defaults():
    state = us.decode("?kva=knä!&period=45&level=land&asa=0,9,x&prio=2y&narkos=kanske&sort=x;drop&filter={bad")
    assert state == us.ViewState()
    assert us.decode("?kva=ngb").kva == "NGB"
    assert us.decode("?asa=4,3,3").asa == (3, 4)
    # METRICS.md: a set of classes counts only operations with a class in it, so all
    # six are a filter too (the API's reading, data/params.py), never "no filter".
    assert us.decode("?asa=1,2,3,4,5,6").asa == (1, 2, 3, 4, 5, 6)
    assert us.decode("?prio=6m,1v").prio == ("1v", "6m")        # natural order
    assert us.decode(None) == us.ViewState()
    assert us.decode("") == us.ViewState()


def test_for_source_drops_filters_that_do_not_apply():
    s = us.ViewState(kva="CJC", asa=(3,), prio=("3m",), narkos=True)
    assert us.for_source(s, "ncr") == us.ViewState(kva="CJC", narkos=True)
    assert us.for_source(s, "spor") == us.ViewState(kva="CJC", asa=(3,), prio=("3m",))


def test_sort_from_grid_column_state():
    state = [{"colId": "namn", "sort": None}, {"colId": "p90", "sort": "desc", "sortIndex": 0},
             {"colId": "n", "sort": "asc", "sortIndex": 1}]
    assert us.sort_from_column_state(state) == "-p90"
    assert us.sort_from_column_state([{"colId": "median", "sort": "asc"}]) == "median"
    assert us.sort_from_column_state([{"colId": "median", "sort": None}]) is None
    assert us.sort_from_column_state(None) is None
    assert us.sort_to_column_state("-p90") == ("p90", "desc")


# ---- grid columns and rows -------------------------------------------------

def _keys(columns, screen_only=True):
    return [c.key for c in columns if c.screen or not screen_only]


def test_columns_fit_source_and_level():
    spor = waits.columns("spor", "unit")
    assert _keys(spor) == ["namn", "region_namn", "agarform", "n", "median", "p90", "andel_inom_90",
                           "asa34_andel", "aktualitet"]
    # The files hold every column, the grid's among them.
    assert _keys(spor, screen_only=False) == ["namn", "sjukhus", "ort", "region_namn", "agarform", "id", "n",
                                              "median", "p90", "andel_inom_90", "asa34_andel", "aktualitet",
                                              "senaste_operation"]
    ncr = _keys(waits.columns("ncr", "unit", with_distance=True))
    assert "asa34_andel" not in ncr and ncr[-1] == "avstand_km"
    region = _keys(waits.columns("spor", "region"))
    assert region[0] == "namn" and "agarform" not in region and "aktualitet" not in region
    headers = [c.header for c in waits.columns("spor", "unit")]
    assert "Andel ASA 3–4 (365 dagar)" in headers and "Ägarform" in headers


def test_a_text_column_holds_its_longest_word_whole():
    wrapping = cols.wrapping_text_column(["växer", "minskar eller står still", None], floor=50)
    assert wrapping["wrapText"] and wrapping["autoHeight"]
    assert wrapping["minWidth"] == 36 + 9 * len("minskar")
    # A cell that must not wrap (a time) is held whole; a floor is kept when the texts are short.
    whole = cols.wrapping_text_column(["2026-12-04 19:23"], floor=50, whole=True)
    assert whole == {"minWidth": 36 + 9 * len("2026-12-04 19:23")}
    assert cols.wrapping_text_column([], floor=120)["minWidth"] == 120
    assert cols.wrapping_text_column(["ja"], floor=120)["minWidth"] == 120


def test_a_month_axis_ends_half_a_month_after_its_last_month():
    from components import charts

    months = [{"month": f"2026-{m:02d}", "median": 80.0, "median_ar_innan": 70.0, "n": 40} for m in range(1, 13)]
    fig = charts.national_trend_figure(months, "median")
    assert fig["layout"]["xaxis"]["range"] == ["2025-12-17", "2026-12-16"]  # never reaches "jan 2027"
    assert fig["layout"]["xaxis"]["tickformat"] == "%b %Y"
    # Every series counts: a national line longer than the unit's widens the axis.
    both = figures.fit_month_axis({"data": [{"x": ["2026-03-01"]}, {"x": ["2025-01-01", "2026-02-01"]}],
                                   "layout": {}})
    assert both["layout"]["xaxis"]["range"] == ["2024-12-17", "2026-03-16"]
    assert figures.fit_month_axis({"data": [], "layout": {}}) == {"data": [], "layout": {}}
    gap = figures.fit_month_axis({"data": [{"x": [None, "2026-05-01", float("nan")]}], "layout": {}})
    assert gap["layout"]["xaxis"]["range"] == ["2026-04-16", "2026-05-16"]


def test_column_defs_never_need_eval():
    """valueFormatter strings would be compiled with new Function (CSP 'unsafe-eval');
    every formatter is a dash-ag-grid "function" dict, interpreted without eval."""
    defs = cols.column_defs(waits.columns("spor", "unit", with_distance=True), sort="-median")
    for d in defs:
        for key in ("valueFormatter", "valueGetter", "cellStyle", "comparator", "tooltipValueGetter"):
            assert not isinstance(d.get(key), str), (d["field"], key)
        if d["field"] in {"n", "median", "p90", "andel_inom_90", "asa34_andel", "avstand_km"}:
            assert d["valueFormatter"] == {"function": f"params.data.{d['field']}_txt"}
            assert d["filter"] == "agNumberColumnFilter"
    by_field = {d["field"]: d for d in defs}
    assert by_field["median"]["initialSort"] == "desc"
    assert by_field["namn"]["cellRenderer"] == "UnitLink"
    assert sum("initialSort" in d for d in defs) == 1
    region_defs = cols.column_defs(waits.columns("spor", "region"), level="region")
    assert "cellRenderer" not in region_defs[0]


def test_grid_rows_format_suppress_and_link():
    rows = [
        {"id": "SE1-A", "namn": "Enhet A", "region_kod": "14", "region_namn": "Västra Götaland",
         "agarform": "ideburen", "n": 1234, "median": 97.5, "p90": 180.25, "andel_inom_90": 0.4567,
         "asa34_andel": 0.21, "suppressed": False, "inaktuell": True},
        {"id": "SE1-B", "namn": "Enhet B", "region_kod": "01", "region_namn": None, "agarform": "privat", "n": 3,
         "median": 10.0, "p90": 20.0, "andel_inom_90": 1.0, "asa34_andel": 0.5, "suppressed": True,
         "inaktuell": False},
    ]
    out = cols.grid_rows(rows, waits.columns("spor", "unit", with_distance=True), level="unit", kva="NGB",
                         distances={"SE1-A": 12.34, "SE1-B": None})
    a, b = out
    assert a["n_txt"] == "1 234" and a["median_txt"] == "98" and a["p90_txt"] == "180"
    assert a["andel_inom_90_txt"] == "46 %" and a["asa34_andel_txt"] == "21 %"
    assert a["median"] == 97.5  # numeric value kept for sorting
    assert a["region_namn"] == "Västra Götaland" and a["agarform"] == "idéburen" and b["region_namn"] == "–"
    assert a["aktualitet"] == "inaktuell" and "42 dagarna" in a["stale_tip"]
    assert a["href"] == "/enhet/SE1-A?kva=NGB"
    assert a["avstand_km"] == 12.3 and a["avstand_km_txt"] == "12 km" and b["avstand_km_txt"] == "–"
    assert b["n_txt"] == "<5" and b["n"] is None
    assert all(b[k] is None for k in ("median", "p90", "andel_inom_90", "asa34_andel"))
    assert b["median_txt"] == "–" and "Färre än 5" in b["suppressed_tip"]
    assert "suppressed_tip" not in a
    assert "id" in a and "sjukhus" not in a  # file-only columns stay off the grid
    json.dumps(out)  # JSON-safe for Dash


def test_grid_locale_is_swedish():
    loc = cols.grid_locale()
    assert loc["contains"] == "Innehåller" and loc["noRowsToShow"] == "Inga rader att visa"


# ---- figures --------------------------------------------------------------

def _months(n=18, suppressed_at=(2,)):
    months = [str(pd.Period("2025-06", "M") + i) for i in range(n)]
    return pd.DataFrame({
        "month": months, "n": [3 if i in suppressed_at else 20 + i for i in range(n)],
        "median": [None if i in suppressed_at else 50.0 + i for i in range(n)],
        "p90": [None if i in suppressed_at else 120.0 + i for i in range(n)],
        "suppressed": [i in suppressed_at for i in range(n)],
    })


def test_trend_figure_look_and_gaps():
    unit, nation, region = _months(), _months(suppressed_at=()), _months(suppressed_at=())
    fig = figures.trend_figure(unit, nation, region, region_label="Region Skåne")
    data, layout = fig["data"], fig["layout"]
    assert [t["name"] for t in data] == ["Antal operationer (enheten)", "Enheten: 90:e percentil",
                                         "Enheten: median", "Region Skåne: median", "Riket: median"]
    median = data[2]
    assert median["y"][2] is None and median["y"][3] == 53.0       # suppressed month is a gap
    assert median["customdata"][2] == "färre än 5 operationer"
    assert data[0]["customdata"][2] == "<5"
    assert layout["separators"] == ", "
    assert layout["font"]["family"].startswith("Inter")
    assert data[0]["x"][0] == "2025-06-01" and len(data[0]["x"]) == 18
    assert data[2]["yaxis"] == "y2" and data[0]["yaxis"] == "y"   # lines drawn above the n bars
    json.dumps(fig)  # a plain, JSON-safe figure
    import plotly.graph_objects as go
    go.Figure(fig)  # and a valid Plotly figure


def _round(step) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 2.5, 3, 5))


@pytest.mark.parametrize("max_wait,max_n", [(248.0, 936), (350.0, 167), (40.0, 7), (3.0, 2), (95.5, 12),
                                            (1234.0, 21462), (0.0, 0)])
def test_trend_axes_have_round_ticks_on_shared_grid_lines(max_wait, max_n):
    wait_axis, n_axis = figures.aligned_axes(max_wait, max_n)
    for axis, vmax in ((wait_axis, max_wait), (n_axis, max_n)):
        assert axis["tick0"] == 0 and axis["tickmode"] == "linear"
        assert _round(axis["dtick"]) and axis["dtick"] >= 1 and float(axis["dtick"]).is_integer()
        assert axis["range"][0] == 0 and axis["range"][1] >= vmax
    # The same number of intervals on both axes: every n tick sits on a wait grid line.
    intervals = [round(a["range"][1] / 1.04 / a["dtick"], 6) for a in (wait_axis, n_axis)]
    assert intervals[0] == intervals[1] and 3 <= intervals[0] <= 6
    # Never more than one and a half times the data's height wasted (beyond tiny values).
    if max_wait >= 10:
        assert wait_axis["range"][1] <= 1.6 * max_wait


def test_trend_figure_uses_the_aligned_axes():
    unit = _months()
    fig = figures.trend_figure(unit, _months(suppressed_at=()), None)
    layout = fig["layout"]
    wait_axis, n_axis = figures.aligned_axes(max(unit["p90"].dropna()), max(unit["n"]))
    assert {k: layout["yaxis2"][k] for k in wait_axis} == wait_axis
    assert {k: layout["yaxis"][k] for k in n_axis} == n_axis
    assert layout["yaxis"]["tickformat"] == ",d"  # "1 000" with the layout's separators ", "


def test_trend_figure_from_records_equals_from_frames():
    unit, nation = _months(), _months(suppressed_at=())
    recs = lambda df: [dict(zip(df.columns, row)) for row in df.itertuples(index=False)]  # noqa: E731
    assert figures.trend_figure(recs(unit), recs(nation), recs(nation)) == figures.trend_figure(unit, nation, nation)
    assert "Inga operationer" in figures.trend_figure(())["layout"]["annotations"][0]["text"]


def test_trend_figure_empty_says_why():
    fig = figures.trend_figure(pd.DataFrame(columns=["month", "n", "median", "p90", "suppressed"]))
    assert "Inga operationer" in fig["layout"]["annotations"][0]["text"]


def test_share_bar_figure():
    # counts and shares come from the question, already suppressed (None = hidden)
    fig = figures.share_bar_figure(["ASA 1", "ASA 2", "ASA 3", "ASA 4"], [None, 15, 0, None],
                                   [None, 0.75, 0.0, None])
    bar = fig["data"][0]
    assert bar["x"] == [None, 75.0, 0.0, None]     # percent, so the axis can read "50 %"; hidden: no bar
    assert bar["text"] == ["", "75 %", "0 %", ""]
    assert bar["customdata"][1] == "ASA 2: 75 % (15 operationer)"
    assert bar["customdata"][0] == "ASA 1: färre än 5 operationer eller dold (så att inget litet antal kan räknas fram)"
    # a hidden part says so in the chart itself, without a number (a phone has no hover)
    notes = fig["layout"]["annotations"]
    assert [(n["y"], n["text"]) for n in notes] == [("ASA 1", "visas inte"), ("ASA 4", "visas inte")]
    axis = fig["layout"]["xaxis"]
    assert axis["ticksuffix"] == " %" and axis["dtick"] in (10, 20, 25) and axis["range"][1] <= 100
    long = "NFF Operationer på ledyta och ledhinna i höftled (höftledsartroskopi)"
    fig = figures.share_bar_figure([long, "NFB Primär protes i höftled"], [30, 70], [0.3, 0.7])
    # the data keep the whole label (hover, the chart's table); the axis has it on two lines of about 22 characters
    assert fig["data"][0]["y"] == [long, "NFB Primär protes i höftled"]
    assert fig["layout"]["yaxis"]["tickvals"] == fig["data"][0]["y"]
    assert fig["layout"]["yaxis"]["ticktext"] == ["NFF Operationer på<br>ledyta och ledhinna…",
                                                  "NFB Primär protes i<br>höftled"]
    assert all(len(line) <= 23 for t in fig["layout"]["yaxis"]["ticktext"] for line in t.split("<br>"))
    assert fig["data"][0]["customdata"][0].startswith(long + ": 30 %")  # the full label in the hover
    assert "Inga operationer" in figures.share_bar_figure(["a"], [0], [None])["layout"]["annotations"][0]["text"]
    small = figures.share_bar_figure(["a", "b"], [None, 0], [None, None])
    assert "någon del har färre än 5" in small["layout"]["annotations"][0]["text"] and not small["data"]
    import plotly.graph_objects as go
    go.Figure(fig)


def test_share_bar_figure_labels_are_text_not_markup():
    evil = '<a href="https://evil.example/">Klicka här</a>'
    fig = figures.share_bar_figure([evil], [10], [1.0])
    bar = fig["data"][0]
    for text in (bar["customdata"][0], bar["y"][0], fig["layout"]["yaxis"]["ticktext"][0]):
        assert "<a" not in text and "&lt;a" in text


def test_graph_config_uses_swedish_locale_served_locally():
    assert figures.GRAPH_CONFIG["locale"] == "sv"
    locale_js = (ROOT / "assets" / "plotly-locale-sv.js").read_text(encoding="utf-8")
    assert "name: 'sv'" in locale_js and "decimal: ','" in locale_js and "'okt'" in locale_js


def test_vtd_figure():
    df = pd.DataFrame({"period": ["2026-09", "2026-10"], "vantande": [10, 12], "vantande_over_90": [1, 2],
                       "genomforda": [4, 5]})
    fig = figures.vtd_figure(df)
    assert [t["name"] for t in fig["data"]] == ["Genomförda under månaden", "Väntande vid månadens slut",
                                                "Varav väntat mer än 90 dagar"]
    assert fig["data"][1]["y"] == [10, 12]
    assert "väntetidsdatabasen" in figures.vtd_figure(df.iloc[0:0])["layout"]["annotations"][0]["text"]
    import plotly.graph_objects as go
    go.Figure(fig)


# ---- shell and controls -----------------------------------------------------

META = {"demo": True, "sources": [
    {"source": "kva", "data_date": None, "records": 10},
    {"source": "ncr", "data_date": dt.date(2026, 11, 19), "records": 5},
    {"source": "spor", "data_date": dt.date(2026, 11, 20), "records": 50},
    {"source": "vtd", "data_date": dt.date(2026, 10, 31), "records": 7},
]}


def _texts(component) -> str:
    out = []

    def walk(c):
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
        elif hasattr(c, "children"):
            walk(c.children)
            if getattr(c, "href", None):
                out.append(f"[{c.href}]")
    walk(component)
    return " ".join(out)


REGISTRY = {
    "pages.om": {"name": "Om statistiken", "relative_path": "/om", "order": 5, "nav": True},
    "pages.enhet": {"name": "Enhet", "relative_path": "/enhet/none", "order": 1},
    "pages.admin": {"name": "Admin", "relative_path": "/admin", "order": 90, "nav": True, "role": "admin"},
    "pages.jamfor": {"name": "Jämför enheter", "relative_path": "/", "order": 0, "nav": True},
}


def test_header_shows_data_dates_and_demo_label():
    assert shell.data_dates_items(META) == [("SPOR", "t.o.m. 2026-11-20"), ("NCR", "t.o.m. 2026-11-19"),
                                            ("Väntetidsdatabasen", "t.o.m. 2026-10-31")]
    text = _texts(shell.header(META, registry=REGISTRY))
    assert "Demodata" in text and "SPOR t.o.m. 2026-11-20" in text and "Nationell lägesbild" in text
    assert "Jämför enheter" in text and "Om statistiken" in text and "[/admin]" not in text
    assert "[/admin]" in _texts(shell.header(META, is_admin=True, registry=REGISTRY))
    assert "Demodata" not in _texts(shell.header({**META, "demo": False}, registry=REGISTRY))
    assert "Inga data är inlästa" in _texts(shell.header(None, registry=REGISTRY))


def test_navigation_comes_from_the_page_registry(app):
    """Every page registered with nav=True, in its order; role="admin" for admins only."""
    import dash

    assert shell.nav_items(REGISTRY, False) == [("Jämför enheter", "/"), ("Om statistiken", "/om")]
    assert shell.nav_items(REGISTRY, True)[-1] == ("Admin", "/admin")
    real = shell.nav_items(dash.page_registry, True)
    assert ("Jämför enheter", "/") in real and ("Om statistiken", "/om") in real and real[-1] == ("Admin", "/admin")
    assert ("Admin", "/admin") not in shell.nav_items(dash.page_registry, False)


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            hit = _find(child, component_id)
            if hit is not None:
                return hit
    return None


def test_header_has_logout_next_to_the_user_name():
    from dash import html

    assert _find(shell.header(META), ids.LOGOUT) is None  # nobody logged in: no logout
    head = shell.header(META, user_name="Anna Andersson", csrf_token="tok123")
    assert "Anna Andersson" in _texts(head)
    button = _find(head, ids.LOGOUT)
    assert isinstance(button, html.Button) and button.children == "Logga ut"
    assert button.type == "submit" and button.name == "csrf_token" and button.value == "tok123"
    assert _find(head, ids.USER_NAME).children == "Anna Andersson"
    forms = [c for c in _walk(head) if isinstance(c, html.Form)]
    assert len(forms) == 1 and forms[0].action == "/logout" and forms[0].method == "post"
    # Without a token: a link to auth's confirmation page (GET /logout asks, POST logs out).
    link = _find(shell.header(META, user_name="Anna Andersson"), ids.LOGOUT)
    assert isinstance(link, html.A) and link.href == "/logout" and link.children == "Logga ut"


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            yield from _walk(child)


def test_kva_options_one_per_group_and_match_accent_free_typing():
    results = [
        {"kod": "NGB", "titel": "Primär protes i knäled", "ar_grupp": True, "grupp": "NGB", "kalla": "spor"},
        {"kod": "NGB19", "titel": "Primär total protes i knäled", "ar_grupp": False, "grupp": "NGB",
         "kalla": "spor"},
        {"kod": "NGC09", "titel": "Knäplastik", "ar_grupp": False, "grupp": "NGC", "kalla": "spor"},
    ]
    opts = ctl.kva_options_from_search(results, "kna", {"NGC": "Ledplastik knä"})
    assert [o["value"] for o in opts] == ["NGB", "NGC"]
    assert opts[0]["label"] == "NGB – Primär protes i knäled (SPOR)"
    assert "primar protes i knaled" in opts[0]["search"] and "kna" in opts[0]["search"]
    assert "träff: NGC09 Knäplastik" in opts[1]["label"] and "Ledplastik knä" in opts[1]["label"]
    assert "inga data" not in opts[0]["label"]
    empty = ctl.kva_options_from_search([{**results[0], "har_data": False}], "kna")
    assert empty[0]["label"] == "NGB – Primär protes i knäled (SPOR) · inga data inlästa"


def test_control_texts():
    assert vocab.window_text(dt.date(2026, 11, 20), 90) == \
        "operationer 2026-08-23 – 2026-11-20 (senaste 90 dagarna)"
    assert vocab.filters_text(Filters(asa=(3, 4), prio=("3m",))) == "ASA 3, 4; prioritet 3 månader"
    assert vocab.filters_text(Filters(narkos=True)) == "endast narkos"
    assert vocab.filters_text(Filters()) == "inga filter"
    assert ctl.count_text(1, "unit") == "1 enhet" and ctl.count_text(1234, "region") == "1 234 regioner"
    assert vocab.source_line("ncr", dt.date(2026, 11, 20)) == \
        "Källa: Nationella Kataraktregistret, data t.o.m. 2026-11-20"
    hem = ctl.hem_options({"14": "Västra Götaland", "01": "Stockholm"}, ["Borås"])
    assert [o["value"] for o in hem] == ["01", "14", "Borås"]
    # A value from the URL that is no region code or town stays, marked as unknown.
    kept = ctl.hem_options({"01": "Stockholm"}, ["Borås"], keep="Atlantis")
    assert kept[0] == {"label": "Atlantis (okänd ort)", "value": "Atlantis", "search": "Atlantis (okänd ort) atlantis (okand ort)"}
    assert ctl.hem_options({"01": "Stockholm"}, ["Borås"], keep="Borås") == \
        ctl.hem_options({"01": "Stockholm"}, ["Borås"])


def test_assets_are_local_and_eval_free():
    assets = ROOT / "assets"
    for path in assets.rglob("*"):
        if path.suffix in {".js", ".css"}:
            text = path.read_text(encoding="utf-8")
            assert "new Function" not in text and "eval(" not in text, path
            for line in text.splitlines():
                if "url(" in line and "http" in line.split("url(", 1)[1][:10]:
                    pytest.fail(f"{path.name} loads from the network: {line[:120]}")
    assert list(assets.glob("00-bootstrap-*.min.css"))
    assert (assets / "fonts" / "inter-latin-400-normal.woff2").exists()


def test_rounding_is_half_up_without_float_noise():
    assert fmt.fmt_share(0.285) == "29 %"      # 0.285 * 100 = 28.499999999999996 in floats
    assert fmt.fmt_share(57 / 200) == "29 %"
    assert fmt.fmt_share(0.2849) == "28 %"
    assert fmt.fmt_number(1.005, 2) == "1,01"
    assert fmt.fmt_number(-2.5) == "-3"
    assert fmt.fmt_number(-0.04, 1) == "0,0"


def test_back_to_table_keeps_the_view_and_only_known_parameters():
    fran = "kva=NGB&period=365&asa=3&hem=01&sort=-median&evil=%3Cscript%3E"
    came_from = us.table_view(fran)
    assert us.back_to_table(came_from, "NFB") == "/?kva=NGB&period=365&level=unit&asa=3&hem=01&sort=-median"
    # Nothing usable (no group, another site, garbage, not a string): the table of the unit page's group.
    for bad in ("https://evil.example/", "//evil.example", "period=30", "%%%", "", None, ["kva=NGB"]):
        assert us.table_view(bad) is None
        assert us.back_to_table(us.table_view(bad), "NFB") == "/?kva=NFB&period=90&level=unit"
    assert us.back_to_table(None, None) == "/"


def test_every_figure_is_drawn_through_the_one_offline_config():
    """No page builds a dcc.Graph of its own: figures.graph() gives each the
    config whose mode bar holds nothing but the PNG download (no cloud)."""
    import re
    from pathlib import Path

    from components import figures

    root = Path(__file__).resolve().parents[1]
    own = [str(p.relative_to(root)) for folder in ("pages", "components") for p in (root / folder).rglob("*.py")
           if re.search(r"dcc\.Graph\(", p.read_text(encoding="utf-8")) and p.name != "figures.py"]
    assert own == []
    drawn = figures.graph("x", figures.empty_figure(""))
    graph, caption = drawn.children                            # the chart and its text alternative's place
    assert caption.className == "lb-fig-text" and getattr(caption, "data-for") == "x"
    config = graph.config
    assert config["modeBarButtons"] == [["toImage"]] and config["displaylogo"] is False
    assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
    assert config["plotlyServerURL"] == "" and config["locale"] == "sv"


def test_small_texts_read_as_swedish():
    """No space before a colon in any hover, sentence case in AG Grid's texts, one product name."""
    import re
    from pathlib import Path

    from components import columns as grid_columns

    root = Path(__file__).resolve().parents[1]
    for name in ("components/figures.py", "components/charts.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert not re.search(r"<extra>[^<]+</extra>", text), f"{name}: a trace name Plotly shows as 'Namn : värde'"
    locale = grid_columns.grid_locale()
    assert locale["nextPage"] == "Nästa sida" and locale["pinColumn"] == "Fäst kolumn"
    for key, value in locale.items():
        words = value.split(" ") if isinstance(value, str) else []
        assert not any(w[:1].isupper() and w not in grid_columns.KEEP_CAPITALS and not w.isupper()
                       for w in words[1:]), (key, value)
    base = (root / "auth" / "templates" / "auth" / "base.html").read_text(encoding="utf-8")
    from components.shell import PRODUCT_NAME, PRODUCT_SUBTITLE

    assert f"{PRODUCT_NAME} – {PRODUCT_SUBTITLE}" in base
