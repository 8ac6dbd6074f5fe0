"""The page frame shared by every view: header with the product name,
navigation, data date per source, the "Demodata" label; then the page.

``app_shell(meta, user, registry)`` is pure: app.py's layout function
gathers the current snapshot's meta (data/) and the person (auth/) on every
page load and passes them in. The navigation is built from Dash's page
registry: every page registered with ``nav=True`` in its order, those with
``role="admin"`` for admins only.
"""
from __future__ import annotations

from dataclasses import dataclass

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from common import format as fmt
from data import vocabulary as vocab
from components import ids

PRODUCT_NAME = "Nationell lägesbild"
PRODUCT_SUBTITLE = "väntetider till operation"

SOURCE_ORDER = ("spor", "ncr", "vtd")


@dataclass(frozen=True)
class ShellUser:
    """What the frame shows of the person: name, whether admin, a CSRF token for logout."""

    name: str | None = None
    is_admin: bool = False
    csrf_token: str | None = None
    hsa_id: str | None = None


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
        out.append((vocab.source_short(source), fmt.data_date_text(s.get("data_date"))))
    return out


def nav_items(registry, is_admin: bool) -> list[tuple[str, str]]:
    """(label, href) of the pages registered with ``nav=True``, in their order;
    a page with ``role="admin"`` only for admins."""
    pages = [p for p in registry.values() if p.get("nav") and (is_admin or p.get("role") != "admin")]
    pages.sort(key=lambda p: (p.get("order") is None, p.get("order") or 0, p["name"]))
    return [(p["name"], p["relative_path"]) for p in pages]


LOGOUT_PATH = "/logout"  # auth/: GET asks for confirmation, POST with a CSRF token logs out


def logout_control(csrf_token: str | None = None):
    """ "Logga ut": a one-click POST form when a CSRF token is at hand, else a
    link to the confirmation page. A form older than the token's lifetime gets
    auth's confirmation page back (with a fresh token), so nothing is lost."""
    if not csrf_token:
        return html.A("Logga ut", href=LOGOUT_PATH, id=ids.LOGOUT, className="lb-logout ms-2")
    # The submit button carries the token: a form sends its submitter's name=value.
    return html.Form(
        html.Button("Logga ut", type="submit", name="csrf_token", value=csrf_token, id=ids.LOGOUT,
                    className="btn btn-link lb-logout p-0 ms-2 align-baseline"),
        action=LOGOUT_PATH, method="post", className="d-inline m-0",
    )


def header(meta: dict | None, *, is_admin: bool = False, user_name: str | None = None,
           csrf_token: str | None = None, registry=None, hsa_id: str | None = None) -> html.Header:
    registry = dash.page_registry if registry is None else registry
    links = [
        dbc.NavItem(dbc.NavLink(label, href=href, active="exact", className="px-2"))
        for label, href in nav_items(registry, is_admin)
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
        right.append(html.Span(
            [html.Span(user_name, id=ids.USER_NAME),
             # The person's HSA-ID beside the name: who the card (or dev account) says is logged in.
             html.Span(hsa_id or "", id="lb-user-hsaid", className="lb-hsaid ms-2", title="HSA-id")
             if hsa_id else None,
             logout_control(csrf_token)],
            className="lb-datadates lb-user ms-3 d-inline-flex align-items-center",
        ))
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
                        # On a phone the navigation folds behind "Meny" (assets/menu.js): seven links
                        # took three lines of the screen above every view.
                        html.Button("Meny", id=ids.NAV_TOGGLE, type="button", className="btn btn-sm lb-nav-toggle",
                                    **{"aria-expanded": "false", "aria-controls": ids.NAV}),
                        html.Div(dbc.Nav(links, navbar=True, className="flex-row flex-wrap"),
                                 id=ids.NAV, className="lb-nav-panel"),
                    ],
                    className="d-flex align-items-center flex-wrap lb-brandbar",
                ),
                html.Div(right, className="d-flex align-items-center flex-wrap"),
            ],
            fluid=True,
            className="d-flex justify-content-between align-items-center flex-wrap py-2 gap-2",
        ),
        id=ids.HEADER,
        className="lb-header mb-3",
    )


def app_shell(meta: dict | None = None, user: ShellUser | None = None, registry=None):
    user = user or ShellUser()
    return html.Div(
        [
            # The first stop of the Tab key: past the header and the navigation to the view.
            html.A("Hoppa till innehållet", href="#lb-main", className="lb-skip-link"),
            header(meta, is_admin=user.is_admin, user_name=user.name, csrf_token=user.csrf_token,
                   registry=registry, hsa_id=user.hsa_id),
            html.Div(dbc.Container(dash.page_container, fluid=True, className="pb-4"), id="lb-main", tabIndex="-1"),
            html.Footer(
                dbc.Container(
                    [
                        "Källor: Svenskt Perioperativt Register (SPOR), Nationella Kataraktregistret (NCR) "
                        "och den nationella väntetidsdatabasen. ",
                        dcc.Link("Om statistiken", href="/om"),
                        " · ",
                        dcc.Link("Tillgänglighetsredogörelse", href="/tillganglighet"),
                    ],
                    fluid=True,
                ),
                className="lb-source py-3 border-top bg-white",
            ),
        ]
    )
