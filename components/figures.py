"""Plotly figures with one consistent look (colours, font, Swedish separators).

Pure functions: data in, a Plotly figure out as a plain dict
``{"data": [...], "layout": {...}}`` (what dcc.Graph takes). Plain dicts, not
``plotly.graph_objects.Figure``: the latter validates every property and
costs ~30 ms per chart, more than the query behind it. Every graph is shown
with ``GRAPH_CONFIG`` (Plotly's Swedish locale, served from
assets/plotly-locale-sv.js, and no link to Plotly's cloud).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Iterable

import pandas as pd

from common import format as fmt

COLORS = {
    "unit": "#1f4e79",       # the unit: dark blue
    "unit_p90": "#6b9bc3",   # its 90th percentile: light blue
    "national": "#6c757d",   # the nation: grey
    "region": "#c8553d",     # its region: terracotta
    "volume": "#d9e2ec",     # n bars
    "bars": "#1f4e79",
}
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"

#: Bar labels longer than this are shortened on the axis (the hover has them in full).
LABEL_LIMIT = 34
#: characters per line of a bar's axis label (wrap_label)
LABEL_WIDTH = 22

#: Every figure's config (use :func:`graph`). The mode bar holds one button,
#: "Ladda ner diagram som PNG" (Plotly's Swedish locale): nothing in it may
#: reach a cloud service (Plotly's "Share chart…" uploads to cloud.plotly.com),
#: and zoom is still a drag, reset a double click.
GRAPH_CONFIG = {
    "locale": "sv",
    "displaylogo": False,
    "responsive": True,
    "modeBarButtons": [["toImage"]],
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "plotlyServerURL": "",
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def graph(id_, figure: dict, **kwargs):
    """The one way a page draws a figure: dcc.Graph with GRAPH_CONFIG, in a
    <figure> whose caption assets/figure-text.js fills with the chart's text
    alternative (a one-sentence summary, a live region, and its numbers as a
    table) from the figure Plotly drew."""
    from dash import dcc, html

    return html.Figure([dcc.Graph(id=id_, figure=figure, config=GRAPH_CONFIG, **kwargs),
                        html.Figcaption(className="lb-fig-text", **{"data-for": id_})],
                       className="lb-figure mb-0")


def base_layout(title: str | None = None, height: int = 380) -> dict:
    """The shared layout: Swedish separators (decimal comma, space), one font, calm grid."""
    layout = dict(
        height=height,
        separators=", ",
        font=dict(family=FONT, size=13, color="#212529"),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin=dict(l=56, r=56, t=56 if title else 24, b=48),
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        # automargin: axis labels are never clipped, also on a 390 px phone
        xaxis=dict(showgrid=False, linecolor="#adb5bd", ticks="outside", automargin=True),
        yaxis=dict(gridcolor="#e9ecef", zeroline=False, rangemode="tozero", automargin=True),
    )
    if title:
        layout["title"] = dict(text=title, x=0, xanchor="left", font=dict(size=16))
    return layout


def nice_step(vmax: float, intervals: int = 4, integer: bool = True) -> float:
    """The smallest "round" step (1, 2, 2.5 or 5 times a power of ten) with which
    ``intervals`` steps reach ``vmax``; at least 1 for counts and whole days."""
    if not vmax or vmax <= 0 or vmax != vmax:
        return 1
    raw = vmax / intervals
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if step >= raw * (1 - 1e-9):
            break
    if integer:
        if step < 1:
            return 1
        if step != int(step):  # 2.5, 25 -> 25 is fine, 2.5 is not a whole number
            step = 3 if step < 3 else math.ceil(step)
        return int(step)
    return step


def aligned_axes(vmax_left: float, vmax_right: float, counts: tuple[int, ...] = (4, 5, 3, 6)) -> tuple[dict, dict]:
    """Ranges and ticks for two overlaid y axes from 0: round steps and the same
    number of intervals, so that both axes' ticks sit on the same grid lines.
    The number of intervals (3-6) is the one that wastes the least height."""
    best = None
    for count in counts:
        left, right = nice_step(vmax_left, count), nice_step(vmax_right, count)
        waste = sum(step * count / vmax if vmax and vmax > 0 else 1.0
                    for step, vmax in ((left, vmax_left), (right, vmax_right)))
        if best is None or waste < best[0] - 1e-9:
            best = (waste, count, left, right)
    _, count, left, right = best
    # A little headroom above the top tick keeps its label and the line markers inside.
    axis = lambda step: dict(range=[0, round(step * count * 1.04, 6)], tick0=0, dtick=step, tickmode="linear")  # noqa: E731
    return axis(left), axis(right)


def empty_figure(message: str, height: int = 240) -> dict:
    """A figure that says why it is empty."""
    layout = base_layout(height=height)
    layout["xaxis"] = dict(visible=False)
    layout["yaxis"] = dict(visible=False)
    layout["annotations"] = [dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                  font=dict(size=14, color="#495057"))]
    return {"data": [], "layout": layout}


def _month_dates(months: Iterable[str]) -> list[str]:
    return [f"{m}-01" for m in months]


def fit_month_axis(figure: dict, half_month_days: int = 15) -> dict:
    """A monthly chart's time axis from half a month before its first month
    to half a month after its last (each month drawn at its first day), so
    no tick names a month without data ("jan 2027" after December) and the
    first and last bars are drawn whole. Returns the figure."""
    def day(x):
        try:
            return dt.date.fromisoformat(str(x)[:10])
        except ValueError:   # a gap (None, NaN): no place on the axis
            return None

    days = [d for trace in figure.get("data", []) for d in map(day, trace.get("x") or []) if d is not None]
    if days:
        pad = dt.timedelta(days=half_month_days)
        figure["layout"]["xaxis"] = dict(figure["layout"].get("xaxis", {}),
                                         range=[(min(days) - pad).isoformat(), (max(days) + pad).isoformat()])
    return figure


TREND_FIELDS = ("month", "n", "median", "p90", "suppressed")


def _columns(months) -> dict[str, list] | None:
    """Trend months as {column: list}: from a DataFrame or from records (dicts).
    A missing "suppressed" column means nothing is suppressed."""
    if months is None or len(months) == 0:
        return None
    if isinstance(months, pd.DataFrame):
        cols = {c: list(months[c]) for c in TREND_FIELDS if c in months.columns}
    else:
        cols = {c: [m.get(c) for m in months] for c in TREND_FIELDS}
        if all(v is None for v in cols["suppressed"]):
            del cols["suppressed"]
    cols.setdefault("suppressed", [False] * len(cols["month"]))
    return cols


def _values(cols: dict, column: str) -> list:
    """Statistics of suppressed months become gaps (None), never numbers."""
    return [None if sup or fmt.is_missing(value) else float(value)
            for value, sup in zip(cols[column], cols["suppressed"])]


def _hover_days(cols: dict, column: str, suppress_below: int) -> list[str]:
    return [
        f"färre än {suppress_below} operationer" if sup else f"{fmt.fmt_days(v)} dagar"
        for v, sup in zip(cols[column], cols["suppressed"])
    ]


def trend_figure(
    unit,
    national=None,
    region=None,
    *,
    unit_label: str = "Enheten",
    region_label: str = "Regionen",
    title: str | None = None,
    suppress_below: int = 5,
    data_date=None,
) -> dict:
    """18-month trend: the unit's median, p90 and n against national and regional median.

    Each of unit, national, region is a DataFrame or a sequence of records
    (``TrendResult.month_records``) with month ("YYYY-MM"), n, median, p90,
    suppressed. n is drawn as light bars on a second axis; suppressed months are gaps.
    """
    unit_records = unit
    unit, national, region = _columns(unit), _columns(national), _columns(region)
    if unit is None:
        return empty_figure("Inga operationer under perioden.")
    data: list[dict] = []
    x = _month_dates(unit["month"])
    # A suppressed month's count is None in the question's records: no bar, "<5" in the hover.
    n_values = [None if fmt.is_missing(v) else int(v) for v in unit["n"]]
    n_text = [fmt.fmt_n(v, bool(s), suppress_below) for v, s in zip(unit["n"], unit["suppressed"])]
    # n bars on the base axis (right side) so that the wait lines, on the
    # overlaying axis, are drawn on top of them.
    data.append(dict(
        type="bar", x=x, y=n_values, name="Antal operationer (enheten)", yaxis="y",
        marker=dict(color=COLORS["volume"]), customdata=n_text,
        hovertemplate="Antal: %{customdata} operationer<extra></extra>",
    ))
    data.append(dict(
        type="scatter", x=x, y=_values(unit, "p90"), name=f"{unit_label}: 90:e percentil", mode="lines+markers",
        line=dict(color=COLORS["unit_p90"], width=2, dash="dash"), marker=dict(size=5),
        customdata=_hover_days(unit, "p90", suppress_below),
        hovertemplate="90:e percentil: %{customdata}<extra></extra>", connectgaps=False, yaxis="y2",
    ))
    data.append(dict(
        type="scatter", x=x, y=_values(unit, "median"), name=f"{unit_label}: median", mode="lines+markers",
        line=dict(color=COLORS["unit"], width=3), marker=dict(size=6),
        customdata=_hover_days(unit, "median", suppress_below),
        hovertemplate="Median: %{customdata}<extra></extra>", connectgaps=False, yaxis="y2",
    ))
    if region is not None:
        data.append(dict(
            type="scatter", x=_month_dates(region["month"]), y=_values(region, "median"), name=f"{region_label}: median",
            mode="lines", line=dict(color=COLORS["region"], width=2, dash="dot"),
            customdata=_hover_days(region, "median", suppress_below),
            hovertemplate=region_label + ": %{customdata}<extra></extra>", yaxis="y2",
        ))
    if national is not None:
        data.append(dict(
            type="scatter", x=_month_dates(national["month"]), y=_values(national, "median"), name="Riket: median",
            mode="lines", line=dict(color=COLORS["national"], width=2),
            customdata=_hover_days(national, "median", suppress_below),
            hovertemplate="Riket: %{customdata}<extra></extra>", yaxis="y2",
        ))
    layout = base_layout(title, height=420)
    max_n = max((v for v in n_values if v is not None), default=0)
    max_wait = max((v for t in data[1:] for v in t["y"] if v is not None), default=0)
    # Round ticks (0, 50, 100 … days; 0, 250, 500 … operations) on shared grid lines.
    wait_axis, n_axis = aligned_axes(max_wait, max_n)
    layout["yaxis"] = dict(title=dict(text="Antal operationer"), side="right", showgrid=False,
                           zeroline=False, tickformat=",d", automargin=True, **n_axis)
    layout["yaxis2"] = dict(title=dict(text="Väntetid (dagar)"), overlaying="y", side="left",
                            gridcolor="#e9ecef", zeroline=False, tickformat=",d", automargin=True, **wait_axis)
    layout["xaxis"].update(tickformat="%b %Y", dtick="M3")
    layout["barmode"] = "overlay"
    mark_partial_month(layout, unit_records, data_date)
    return fit_month_axis({"data": data, "layout": layout})


def mark_partial_month(layout: dict, records, data_date) -> None:
    """The month of D, when it holds only its first days, shaded and labelled "t.o.m. <D>"
    (its median and p90 are of those days only)."""
    recs = list(records) if records is not None and not isinstance(records, pd.DataFrame) else []
    partial = next((r for r in recs if isinstance(r, dict) and r.get("partial")), None)
    if partial is None or data_date is None:
        return
    start = f"{partial['month']}-01"
    layout.setdefault("shapes", []).append(dict(
        type="rect", xref="x", yref="paper", x0=start, x1=str(data_date), y0=0, y1=1,
        fillcolor="#f1f3f5", opacity=0.6, line=dict(width=0), layer="below"))
    layout.setdefault("annotations", []).append(dict(
        # anchored at its right end, inside the data: a label running right of the last month
        # made Plotly widen the time axis by years on a narrow screen
        x=str(data_date), xref="x", y=1.0, yref="paper", yanchor="bottom", showarrow=False, xanchor="right",
        text=f"t.o.m. {data_date}", font=dict(size=11, color="#495057")))


def short_label(label: str, limit: int = LABEL_LIMIT) -> str:
    """A bar label cut at a word boundary with "…" when longer than ``limit``."""
    label = str(label)
    if len(label) <= limit:
        return label
    cut = label[: limit - 1].rstrip()
    space = cut.rfind(" ")
    if space > 3:  # keep whole words (after a KVÅ code)
        cut = cut[:space]
    return cut.rstrip(" ,(–-") + "…"


def wrap_label(label: str, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """A bar's axis label on at most ``lines`` lines of about ``width``
    characters, broken between words (Plotly's "<br>"), the rest cut with
    "…": on a 390 px phone a one-line label of 34 characters was clipped at
    the chart's left edge ("NDG Steloperation…" read "NDG" with no "N")."""
    rows: list[str] = []
    for word in str(label).split():
        if rows and len(rows[-1]) + 1 + len(word) <= width:
            rows[-1] += " " + word
        else:
            rows.append(word)
    if len(rows) > lines:
        rows = rows[: lines - 1] + [short_label(" ".join(rows[lines - 1:]), width)]
    return "<br>".join(rows)


def share_bar_figure(labels: list[str], counts: list, shares: list, *, title: str | None = None,
                     suppress_below: int = 5, height: int | None = None) -> dict:
    """Horizontal bars of shares (a mix: KVÅ groups, ASA classes, priorities, anaesthesia).

    ``counts`` and ``shares`` come from the question, already suppressed
    (data/suppression.py): a hidden part (None) has no bar and its hover says
    "färre än 5 eller dold", never a number. The hover shows the full label;
    long labels are shortened on the axis so that the bars keep their width.
    Labels are text, never markup (Plotly renders HTML in hovers and ticks).
    """
    missing = [c is None or fmt.is_missing(c) for c in counts]
    if not any(c for c, m in zip(counts, missing) if not m):
        if not any(missing):
            return empty_figure("Inga operationer att visa.", height=height or 200)
        if all(s is None or fmt.is_missing(s) for s in shares):
            return empty_figure(f"Fördelningen visas inte: någon del har färre än {suppress_below} operationer "
                                "och skulle annars kunna räknas fram ur de andra.", height=height or 200)
    labels = [plain_text(label) for label in labels]
    hidden = [s is None or fmt.is_missing(s) for s in shares]
    text = ["" if h else fmt.fmt_share(s) for s, h in zip(shares, hidden)]
    hover = [
        f"{label}: färre än {suppress_below} operationer eller dold (så att inget litet antal kan räknas fram)"
        if h else f"{label}: {fmt.fmt_share(s)} ({fmt.fmt_int(c)} operationer)"
        for label, s, c, h in zip(labels, shares, counts, hidden)
    ]
    # The data keep the whole label (the hover, the chart's table); the axis shows it on two short lines.
    ticks = [wrap_label(label) for label in labels]
    # Bars in percent (0-100) so that the axis reads "50 %" (Swedish: a space
    # before the sign; d3's ".0%" gives "50%"), with round steps of 10-25 %.
    percent = [None if h else 100 * float(s) for s, h in zip(shares, hidden)]
    data = [dict(
        type="bar", x=percent, y=labels, orientation="h", marker=dict(color=COLORS["bars"]), text=text,
        textposition="outside", cliponaxis=False, customdata=hover,
        hovertemplate="%{customdata}<extra></extra>",
    )]
    per_bar = 36 if any("<br>" in t for t in ticks) else 30
    layout = base_layout(title, height=height or max(160, 48 + per_bar * len(labels)))
    layout["hovermode"] = "closest"
    top = min(100.0, max((p for p in percent if p is not None), default=0) * 1.25 + 5)
    step = 25 if top > 60 else 20 if top > 40 else 10
    layout["xaxis"] = dict(range=[0, top], tick0=0, dtick=step, tickmode="linear", ticksuffix=" %",
                           tickformat="d", gridcolor="#e9ecef", showgrid=True, zeroline=False)
    layout["yaxis"] = dict(autorange="reversed", automargin=True, tickmode="array", tickvals=labels, ticktext=ticks)
    layout["margin"].update(l=16)
    layout["showlegend"] = False
    # A hidden part has no bar; it says so where its bar would start (on a phone there is no hover).
    layout["annotations"] = [dict(x=0, y=label, xref="x", yref="y", xanchor="left", showarrow=False,
                                  text="visas inte", font=dict(size=11, color="#495057"))
                             for label, h in zip(labels, hidden) if h]
    return {"data": data, "layout": layout}


def plain_text(text) -> str:
    """Text from loaded files shown in a chart: markup characters escaped
    (Plotly renders a subset of HTML in hovers and labels)."""
    import html

    return html.escape(str(text if text is not None else ""), quote=False)


def vtd_figure(df: pd.DataFrame, *, title: str | None = None) -> dict:
    """Wait-time database: waiting at month end (and beyond 90 days) and completed per month.

    Columns: period ("YYYY-MM"), vantande, vantande_over_90, genomforda.
    """
    if df is None or len(df) == 0:
        return empty_figure("Enheten rapporterar inte till väntetidsdatabasen för gruppen.")
    x = _month_dates(df["period"])
    # JSON-safe ints; a hidden small count (NaN from the question) is a gap.
    ints = lambda col: [None if fmt.is_missing(v) else int(v) for v in df[col]]  # noqa: E731
    data = [
        dict(type="bar", x=x, y=ints("genomforda"), name="Genomförda under månaden",
             marker=dict(color=COLORS["volume"]), hovertemplate="Genomförda: %{y:,.0f}<extra></extra>"),
        dict(type="scatter", x=x, y=ints("vantande"), name="Väntande vid månadens slut", mode="lines+markers",
             line=dict(color=COLORS["unit"], width=3), hovertemplate="Väntande: %{y:,.0f}<extra></extra>"),
        dict(type="scatter", x=x, y=ints("vantande_over_90"), name="Varav väntat mer än 90 dagar",
             mode="lines+markers", line=dict(color=COLORS["region"], width=2, dash="dot"),
             hovertemplate="Mer än 90 dagar: %{y:,.0f}<extra></extra>"),
    ]
    layout = base_layout(title, height=360)
    layout["yaxis"].update(title=dict(text="Antal patienter"), tickformat=",d")
    layout["xaxis"].update(tickformat="%b %Y", dtick="M3")
    return fit_month_axis({"data": data, "layout": layout})
