"""Figures and small HTML tables of the planners', decision-makers' and data
stewards' views (Nationell utveckling, Regional kapacitet, Datakvalitet).

One look with components/figures.py (base_layout, Swedish separators, the
offline GRAPH_CONFIG through figures.graph); colours from the Okabe–Ito
palette, which stays distinguishable with the common colour-vision
deficiencies. Suppressed values are gaps with a Swedish hover, never numbers.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlencode

from dash import dcc, html

from common import format as fmt
from components.figures import base_layout, empty_figure, fit_month_axis

#: Okabe & Ito (2008), colour-blind safe.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "sky": "#56B4E9", "purple": "#CC79A7", "grey": "#6c757d", "yellow": "#F0E442"}
#: A sequential scale for the region tiles (light to dark blue, readable text on each).
TILE_SCALE = ("#deebf7", "#b8d3ea", "#8fb8de", "#5b95c9", "#2f6fad", "#0b4a8b")


def _dates(months: Sequence[str]) -> list[str]:
    return [f"{m}-01" for m in months]


def _hover_value(value, kind: str, n=None, k: int = 5) -> str:
    if value is None:
        return f"färre än {k} operationer" if n is None else "uppgift saknas"
    text = fmt.fmt_share(value) if kind == "share" else f"{fmt.fmt_days(value)} dagar"
    return text + (f" ({fmt.fmt_int(n)} operationer)" if n is not None else "")


def national_trend_figure(months: Sequence[dict], measure: str, suppress_below: int = 5, data_date=None) -> dict:
    """A measure (median or andel_inom_90) per month beside the same month a year earlier."""
    if not months or all(m[measure] is None for m in months):
        return empty_figure("Inga månader med minst {} operationer att visa.".format(suppress_below))
    share = measure == "andel_inom_90"
    before_key = "andel_inom_90_ar_innan" if share else "median_ar_innan"
    x = _dates([m["month"] for m in months])
    scale = 100 if share else 1
    now = [None if m[measure] is None else m[measure] * scale for m in months]
    before = [None if m[before_key] is None else m[before_key] * scale for m in months]
    kind = "share" if share else "days"
    data = [
        dict(type="scatter", mode="lines+markers", name="Samma månad ett år tidigare", x=x, y=before,
             line=dict(color=OKABE_ITO["orange"], width=2, dash="dash"), marker=dict(size=5, symbol="diamond"),
             hovertext=[_hover_value(m[before_key], kind, None, suppress_below) if m[before_key] is not None
                        else "inga uppgifter ett år tidigare" for m in months],
             hovertemplate="Ett år tidigare: %{hovertext}<extra></extra>"),
        dict(type="scatter", mode="lines+markers", name="Hela riket", x=x, y=now,
             line=dict(color=OKABE_ITO["blue"], width=3), marker=dict(size=6),
             hovertext=[_hover_value(m[measure], kind, m["n"], suppress_below) for m in months],
             hovertemplate="Hela riket: %{hovertext}<extra></extra>"),
    ]
    layout = base_layout(height=340)
    layout["yaxis"] = dict(layout["yaxis"], title=dict(text="Andel inom 90 dagar (%)" if share else "Median (dagar)"),
                           ticksuffix=" %" if share else "", range=[0, 100] if share else None)
    layout["xaxis"] = dict(layout["xaxis"], tickformat="%b %Y", hoverformat="%B %Y")
    from components.figures import mark_partial_month

    mark_partial_month(layout, months, data_date)
    return fit_month_axis({"data": data, "layout": layout})


def region_bar_figure(regions: Sequence[dict], measure: str, suppress_below: int = 5) -> dict:
    """The regions ranked by a measure; a suppressed region is listed with its reason, without a bar."""
    if not regions:
        return empty_figure("Inga regioner har operationer i fönstret.")
    share = measure == "andel_inom_90"
    shown = [r for r in regions if r[measure] is not None]
    hidden = [r for r in regions if r[measure] is None]
    shown.sort(key=lambda r: r[measure], reverse=not share)  # the best at the top: short waits, high shares
    ordered = hidden + shown
    scale = 100 if share else 1
    data = [dict(
        type="bar", orientation="h", y=[r["namn"] for r in ordered],
        x=[None if r[measure] is None else r[measure] * scale for r in ordered],
        marker=dict(color=OKABE_ITO["blue"]),
        text=[(fmt.fmt_share(r[measure]) if share else fmt.fmt_days(r[measure])) if r[measure] is not None
              else f"<{suppress_below}" for r in ordered],
        textposition="outside", cliponaxis=False,
        hovertext=[_hover_value(r[measure], "share" if share else "days", r["n"], suppress_below)
                   if r[measure] is not None else f"färre än {suppress_below} operationer: visas inte"
                   for r in ordered],
        hovertemplate="%{y}: %{hovertext}<extra></extra>")]
    layout = base_layout(height=max(260, 24 * len(ordered) + 60))
    layout["hovermode"] = "closest"
    layout["margin"] = dict(l=150, r=60, t=16, b=40)
    layout["xaxis"] = dict(layout["xaxis"], title=dict(text="Andel inom 90 dagar (%)" if share else "Median (dagar)"),
                           ticksuffix=" %" if share else "", showgrid=True, gridcolor="#e9ecef")
    layout["yaxis"] = dict(automargin=True)
    return {"data": data, "layout": layout}


def waiting_figure(rows: Sequence[dict], suppress_below: int = 5) -> dict:
    """Waiting and waiting beyond 90 days per month (wait-time database)."""
    rows = [r for r in rows if r.get("vantande") is not None or r.get("vantande_over_90") is not None]
    if not rows:
        return empty_figure("Väntetidsdatabasen har inga uppgifter för urvalet.")
    x = _dates([r["month"] for r in rows])

    def hover(key):
        return [f"{fmt.fmt_int(r[key])}" if r[key] is not None else f"färre än {suppress_below}" for r in rows]

    data = [
        dict(type="scatter", mode="lines+markers", name="Väntande", x=x, y=[r["vantande"] for r in rows],
             line=dict(color=OKABE_ITO["blue"], width=3), hovertext=hover("vantande"),
             hovertemplate="Väntande: %{hovertext}<extra></extra>"),
        dict(type="scatter", mode="lines+markers", name="Väntat mer än 90 dagar", x=x,
             y=[r["vantande_over_90"] for r in rows], line=dict(color=OKABE_ITO["vermillion"], width=2, dash="dash"),
             hovertext=hover("vantande_over_90"), hovertemplate="Mer än 90 dagar: %{hovertext}<extra></extra>"),
    ]
    layout = base_layout(height=320)
    layout["yaxis"] = dict(layout["yaxis"], title=dict(text="Antal patienter"))
    layout["xaxis"] = dict(layout["xaxis"], tickformat="%b %Y", hoverformat="%B %Y")
    return fit_month_axis({"data": data, "layout": layout})


def queue_series_figure(months: Sequence[dict], suppress_below: int = 5) -> dict:
    """A group's monthly waiting list, new and completed (wait-time database)."""
    if not months:
        return empty_figure("Väntetidsdatabasen har inga månader för gruppen i regionen.")
    x = _dates([m["month"] for m in months])

    def hover(key):
        return [fmt.fmt_int(m[key]) if m[key] is not None else f"färre än {suppress_below} eller saknas"
                for m in months]

    data = [
        dict(type="bar", name="Nya", x=x, y=[m["nya"] for m in months], marker=dict(color=OKABE_ITO["orange"]),
             hovertext=hover("nya"), hovertemplate="Nya: %{hovertext}<extra></extra>"),
        dict(type="bar", name="Genomförda", x=x, y=[m["genomforda"] for m in months],
             marker=dict(color=OKABE_ITO["green"]), hovertext=hover("genomforda"),
             hovertemplate="Genomförda: %{hovertext}<extra></extra>"),
        dict(type="scatter", mode="lines+markers", name="Väntande", x=x, y=[m["vantande"] for m in months],
             yaxis="y2", line=dict(color=OKABE_ITO["blue"], width=3), hovertext=hover("vantande"),
             hovertemplate="Väntande: %{hovertext}<extra></extra>"),
    ]
    layout = base_layout(height=340)
    layout["barmode"] = "group"
    layout["yaxis"] = dict(layout["yaxis"], title=dict(text="Nya och genomförda per månad"))
    layout["yaxis2"] = dict(overlaying="y", side="right", rangemode="tozero", showgrid=False, tickformat=",d",
                            title=dict(text="Väntande vid månadens slut"), automargin=True)
    layout["yaxis"]["tickformat"] = ",d"
    layout["xaxis"] = dict(layout["xaxis"], tickformat="%b %Y", hoverformat="%B %Y")
    return fit_month_axis({"data": data, "layout": layout})


# ---- the region tiles ------------------------------------------------------------------

#: Each region's place on a coarse grid of Sweden (column, row; row 0 in the north).
TILE_PLACES = {
    "25": (3, 0), "24": (2, 1), "23": (1, 2), "22": (2, 2), "20": (1, 3), "21": (2, 3),
    "17": (0, 4), "18": (1, 4), "19": (2, 4), "03": (3, 4),
    "14": (0, 5), "05": (1, 5), "04": (2, 5), "01": (3, 5),
    "13": (0, 6), "06": (1, 6), "08": (2, 6), "09": (3, 6),
    "12": (0, 7), "07": (1, 7), "10": (2, 7),
}


def tile_colour(value: float | None, lo: float, hi: float, higher_is_better: bool) -> str:
    if value is None:
        return "#f1f3f5"
    t = 0.5 if hi <= lo else (value - lo) / (hi - lo)
    if higher_is_better:
        t = 1 - t
    return TILE_SCALE[min(len(TILE_SCALE) - 1, int(t * len(TILE_SCALE)))]


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours (1–21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def white_text_on(colour: str) -> bool:
    """White text on this background, or the body's near-black: whichever contrasts more."""
    return contrast("#ffffff", colour) > contrast("#212529", colour)


def region_tiles(regions: Sequence[dict], measure: str, link_params: dict, suppress_below: int = 5):
    """The 21 regions in their geographic places, coloured by the measure (darker =
    longer waits or a lower share), each a link to the region's Regional kapacitet."""
    share = measure == "andel_inom_90"
    by = {r["region_kod"]: r for r in regions}
    values = [r[measure] for r in regions if r[measure] is not None]
    lo, hi = (min(values), max(values)) if values else (0, 0)
    tiles = []
    from data.reference import regions as reference_regions

    for kod, (col, row) in TILE_PLACES.items():
        r = by.get(kod)
        value = r[measure] if r else None
        name = reference_regions()[kod].namn
        text = ((fmt.fmt_share(value) if share else f"{fmt.fmt_days(value)} d") if value is not None
                else (f"<{suppress_below}" if r else "–"))
        colour = tile_colour(value, lo, hi, share)
        dark = white_text_on(colour)
        tiles.append(dcc.Link(
            [html.Span(soft_hyphenate(name), className="lb-tile-name"), html.Span(text, className="lb-tile-value")],
            href="/kapacitet?" + urlencode({"region": kod, **link_params}),
            className="lb-tile" + (" lb-tile-dark" if dark else ""),
            style={"gridColumn": col + 1, "gridRow": row + 1, "backgroundColor": colour},
            title=f"{name}: {text} – öppna Regional kapacitet",
        ))
    return html.Nav(tiles, className="lb-tiles", **{"aria-label": "Regionerna på en karta"})


# ---- small tables ------------------------------------------------------------------------

def cell_text(value, kind: str, suppress_below: int = 5) -> str:
    if kind == "share":
        return fmt.fmt_share(value)
    if kind == "days":
        return fmt.fmt_days(value)
    if kind == "decimal":
        return fmt.fmt_number(value, 1)
    if kind in ("count", "int"):
        return fmt.fmt_int(value) if value is not None else f"<{suppress_below}" if kind == "count" else fmt.MISSING
    if kind == "km":
        return fmt.fmt_km(value)
    return fmt.MISSING if value in (None, "") else str(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?")
#: Where a long region name may break on a narrow tile (a soft hyphen), never inside another part.
_COMPOUND_PARTS = re.compile(r"^(Väster|Öster|Söder|Norr|Väst|Gävle|Jämt|Krono|Upp)(?=[a-zåäö]{4,})")


def soft_hyphenate(name: str) -> str:
    """'Västernorrland' -> 'Väster\u00adnorrland': a tile 85 px wide breaks the
    name between its parts ('Väster-/norrland'), not at its last letter."""
    return " ".join(_COMPOUND_PARTS.sub(lambda m: m.group(1) + "\u00ad", word) for word in name.split(" "))


def scroll_region(table, label: str | None):
    """A table that may scroll sideways on a narrow screen, reachable by keyboard
    (a focusable, named region: WCAG 2.1.1, axe scrollable-region-focusable)."""
    return html.Div(table, className="table-responsive", tabIndex=0, role="region",
                    **{"aria-label": label or "Tabell"})


def simple_table(columns: Sequence[tuple[str, str, str]], rows: Sequence[dict], id_: str, *,
                 caption: str | None = None, suppress_below: int = 5, row_class=None, label: str | None = None):
    """An accessible HTML table: (header, key, kind) columns; numbers right-aligned
    in Swedish format; a value may be a Dash component (a link)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col", className="text-end" if kind not in ("text", "node") else None)
                               for h, _, kind in columns]))
    body = []
    for r in rows:
        cells = []
        for _, key, kind in columns:
            value = r.get(key)
            if kind == "node":
                cells.append(html.Td(value))
            else:
                text = cell_text(value, kind, suppress_below)
                nowrap = kind == "text" and isinstance(text, str) and _ISO_DATE.fullmatch(text)
                cells.append(html.Td(text, className="text-end" if kind != "text" else
                                     ("text-nowrap" if nowrap else None)))
        body.append(html.Tr(cells, className=row_class(r) if row_class else None))
    if not caption:
        return scroll_region(html.Table([head, html.Tbody(body)], className="table table-sm lb-table", id=id_),
                             label)
    # The caption names the table for assistive technology; the eye reads the same words above the
    # scrolling region, wrapped to the screen (a caption is as wide as its table: cut off on a phone).
    table = html.Table([html.Caption(caption, className="visually-hidden"), head, html.Tbody(body)],
                       className="table table-sm lb-table", id=id_)
    return html.Div([html.P(caption, className="lb-table-caption", **{"aria-hidden": "true"}),
                     scroll_region(table, label or caption)])
