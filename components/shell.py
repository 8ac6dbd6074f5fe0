"""The page frame shared by every view: header with the product name,
navigation, data date per source, the "Demodata" label; then the page.

``app_shell`` is Dash's ``app.layout`` (a function, so every page load shows
the current snapshot's data dates). ``header`` and ``source_line`` are pure
functions of the meta dict that tests call directly.
"""
from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import format as fmt
from components import ids

log = logging.getLogger(__name__)

PRODUCT_NAME = "Nationell lägesbild"
PRODUCT_SUBTITLE = "väntetider till operation"

#: (label, href) of the views that exist; Admin is added for admins only.
NAV_ITEMS = [("Jämför enheter", "/"), ("Om statistiken", "/om")]
ADMIN_ITEM = ("Admin", "/admin")

SOURCE_ORDER = ("spor", "ncr", "vtd")


def data_dates_items(meta: dict | None) -> list[tuple[str, str]]:
    """[(source label, "t.o.m. 2026-11-20"), ...] for the sources with operations or periods."""
    if not meta:
        return []
    by_source = {s["source"]: s for s in meta.get("sources", [])}
    out = []
    for source in SOURCE_ORDER:
        s = by_source.get(source)
        if s is None:
            continue
        out.append((fmt.SOURCE_SHORT[source], fmt.data_date_text(s.get("data_date"))))
    return out


def nav_items(is_admin: bool) -> list[tuple[str, str]]:
    return NAV_ITEMS + ([ADMIN_ITEM] if is_admin else [])


def header(meta: dict | None, *, is_admin: bool = False, user_name: str | None = None) -> html.Header:
    links = [
        dbc.NavItem(dbc.NavLink(label, href=href, active="exact", className="px-2"))
        for label, href in nav_items(is_admin)
    ]
    dates = data_dates_items(meta)
    if dates:
        date_children = [html.Span("Data: ", className="me-1")]
        for i, (label, text) in enumerate(dates):
            if i:
                date_children.append(html.Span(" · ", className="mx-1"))
            date_children.append(html.Span(f"{label} {text}", className="lb-datadate", **{"data-source": label}))
    elif meta is None:
        date_children = [html.Span("Inga data är inlästa ännu")]
    else:
        date_children = [html.Span("Inga operationer inlästa")]
    right = [html.Div(date_children, id=ids.DATA_DATES, className="lb-datadates")]
    if meta and meta.get("demo"):
        right.insert(0, html.Span(
            "Demodata", id=ids.DEMO_BADGE, className="badge lb-demo me-3",
            title="Uppgifterna är påhittade demodata, inte verkliga väntetider.",
        ))
    if user_name:
        right.append(html.Span(user_name, className="lb-datadates ms-3"))
    return html.Header(
        dbc.Container(
            [
                html.Div(
                    [
                        html.A(
                            [html.Span(PRODUCT_NAME, className="fw-bold fs-5"),
                             html.Span(f" – {PRODUCT_SUBTITLE}", className="d-none d-md-inline")],
                            href="/", className="navbar-brand text-white text-decoration-none me-4",
                        ),
                        dbc.Nav(links, navbar=True, className="flex-row"),
                    ],
                    className="d-flex align-items-center flex-wrap",
                ),
                html.Div(right, className="d-flex align-items-center flex-wrap"),
            ],
            fluid=True,
            className="d-flex justify-content-between align-items-center flex-wrap py-2 gap-2",
        ),
        id=ids.HEADER,
        className="lb-header mb-3",
    )


def _current_meta() -> dict | None:
    from data import queries
    from data.context import get_warehouse
    from data.warehouse import NoData

    wh = get_warehouse()
    try:
        if not wh.has_data:
            return None
        return queries.meta(wh)
    except NoData:
        return None
    except Exception:  # a broken snapshot must not take the whole frame down
        log.exception("meta() failed while building the page header")
        return None


def _current_user() -> tuple[bool, str | None]:
    """(is admin, display name) from auth/, when it provides them."""
    try:
        import auth

        is_admin = bool(getattr(auth, "current_user_is_admin", lambda: False)())
        name_fn = getattr(auth, "current_user_name", None)
        return is_admin, (name_fn() if callable(name_fn) else None)
    except Exception:
        return False, None


def app_shell():
    try:
        meta = _current_meta()
    except RuntimeError:  # outside a request (layout validation)
        meta = None
    is_admin, user_name = _current_user()
    return html.Div(
        [
            header(meta, is_admin=is_admin, user_name=user_name),
            dbc.Container(dash.page_container, fluid=True, className="pb-4", id="lb-main"),
            html.Footer(
                dbc.Container(
                    [
                        "Källor: Svenskt Perioperativt Register (SPOR), Nationella Kataraktregistret (NCR) "
                        "och den nationella väntetidsdatabasen. ",
                        dcc.Link("Om statistiken", href="/om"),
                    ],
                    fluid=True,
                ),
                className="lb-source py-3 border-top bg-white",
            ),
        ]
    )
