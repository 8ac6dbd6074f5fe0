"""Pure builders for the Jämför enheter controls and texts (no warehouse access)."""
from __future__ import annotations

from common import format as fmt
from common.text import fold
from data import vocabulary as vocab

PERIOD_OPTIONS = [{"label": f"{p} dagar", "value": p} for p in vocab.PERIODS]
LEVEL_OPTIONS = [{"label": "Enheter", "value": "unit"}, {"label": "Regioner", "value": "region"}]
ASA_OPTIONS = [{"label": f"ASA {a}", "value": a} for a in vocab.ASA_CLASSES]
PRIO_OPTIONS = [{"label": vocab.PRIO_LABELS[p], "value": p} for p in vocab.PRIO_CATEGORIES]




NO_DATA_MARK = " · inga data inlästa"


def kva_option(kod: str, titel: str | None, source: str, *, hit: str | None = None,
               query: str = "", has_data: bool = True) -> dict:
    """One dropdown option for a KVÅ group; ``hit`` names a matching 5-character
    code; a group without operations in the loaded snapshot says so."""
    label = f"{kod} – {titel or 'okänd titel'} ({vocab.source_short(source)})"
    if hit:
        label += f" · träff: {hit}"
    if not has_data:
        label += NO_DATA_MARK
    # The dropdown also filters on the client: "search" holds the label, its
    # accent-free form and the query that found it, so every server hit stays visible.
    search = " ".join(x for x in (label, fold(label), query) if x)
    return {"label": label, "value": kod, "search": search}


def kva_options_from_search(results: list[dict], query: str = "",
                            group_titles: dict[str, str] | None = None) -> list[dict]:
    """kva_search results (groups and codes) -> one option per group, in result order."""
    group_titles = group_titles or {}
    seen: dict[str, dict] = {}
    for r in results:
        group = r.get("grupp") or r["kod"][:3]
        if group in seen:
            continue
        has_data = r.get("har_data", True)
        if r.get("ar_grupp"):
            seen[group] = kva_option(group, r.get("titel"), r.get("kalla", ""), query=query, has_data=has_data)
        else:
            seen[group] = kva_option(group, group_titles.get(group), r.get("kalla", ""),
                                     hit=f"{r['kod']} {r.get('titel') or ''}".strip(), query=query,
                                     has_data=has_data)
    return list(seen.values())


def hem_options(regions: dict[str, str], towns: list[str], keep: str | None = None,
                keep_label: str | None = None) -> list[dict]:
    """The patient's home as the page opens: the 21 regions (value = code), the
    given towns, and the URL's value (``keep``). A known place keeps its label
    ("Ljungby (Kronoberg)"); anything else is marked unknown, so the view can
    say why no distances are shown instead of silently dropping it. Every
    other Swedish locality comes from the search while typing (home_suggestions)."""
    opts = [{"label": f"{namn} (region)", "value": kod, "search": f"{namn} {fold(namn)} region"}
            for kod, namn in sorted(regions.items(), key=lambda kv: kv[1])]
    opts += [{"label": f"{ort} (ort)", "value": ort, "search": f"{ort} {fold(ort)} ort"}
             for ort in towns]
    if keep and keep not in {o["value"] for o in opts}:
        label = keep_label or f"{keep} (okänd ort)"
        opts.insert(0, {"label": label, "value": keep, "search": f"{label} {fold(label)}"})
    return opts


def home_suggestions(regions: dict[str, str], places, query: str) -> list[dict]:
    """Search results for the home: matching regions first, then localities
    ("Ljungby (Kronoberg)", value = the locality's key); the typed text is in
    each option's search field so the dropdown's own filter keeps them."""
    q = fold(query)
    opts = [{"label": f"{namn} (region)", "value": kod, "search": f"{namn} {fold(namn)} region {query}"}
            for kod, namn in sorted(regions.items(), key=lambda kv: kv[1]) if q in fold(namn)]
    opts += [{"label": p.label, "value": p.key, "search": f"{p.label} {fold(p.label)} {query}"} for p in places]
    return opts


def count_text(n_rows: int, level: str) -> str:
    noun = ("enhet", "enheter") if level == "unit" else ("region", "regioner")
    return f"{fmt.fmt_int(n_rows)} {noun[0] if n_rows == 1 else noun[1]}"


def shown_count_text(shown: int, total: int, level: str) -> str:
    """ "24 enheter", or "1 av 24 enheter" when the grid's column filter hides rows."""
    if shown == total:
        return count_text(total, level)
    return f"{fmt.fmt_int(shown)} av {count_text(total, level)}"


def no_data_main(title: str, text: str):
    """A view's page when it has nothing to show (``text``: data/context.no_data_text)."""
    import dash_bootstrap_components as dbc
    from dash import html

    return html.Main([html.H1(title, className="h3"), dbc.Alert(text, color="warning")])


def grid_help(grid_id: str, opens: str | None = "enheten"):
    """The keyboard help of a table (AG Grid), shown under it and read by screen
    readers on entering it (assets/a11y.js sets aria-describedby to this id)."""
    from dash import html

    what = f", Enter öppnar {opens}" if opens else ""
    return html.P(f"Med tangentbordet: Tab går in i och ut ur tabellen, piltangenterna flyttar mellan "
                  f"cellerna{what}.", id=f"{grid_id}-help", className="lb-legend lb-grid-help mb-1")
