"""The JSON shapes and export columns of /api/v1: pure functions from the
query results (data/queries.py) to plain dicts, column specs and file names.

JSON shape (PRODUCT.md "HTTP"): ``waits`` ->
``{"kva", "source", "data_date", "period", "rows": [{"id", "namn",
"region_kod", "n", "median", "p90", "andel_inom_90", "asa34_andel",
"suppressed", ...}]}``; ``trend`` -> ``{"months": [{"month", "n", "median",
"p90", "suppressed"}, ...]}``. The documented keys come first, in that order;
a few more describe the context (``titel``, ``level``, ``filter``, ``demo``,
``suppress_below``; per unit row ``region_namn``, ``sjukhus``, ``ort``,
``agarform``, ``lat``, ``lon``, ``inaktuell``, ``senaste_operation``; per
region row ``antal_enheter`` and ``inaktuell`` = the number of inaktuella
units). Values are unrounded; dates are ISO strings; a missing value is
``null`` (never NaN).

Suppression: when ``suppressed`` is true the statistics are ``null`` and so is
``n`` when it lies between 1 and ``suppress_below - 1`` — the screen shows
"<5" and the API reveals no more than the screen. A month without operations
keeps ``n: 0``.
"""
from __future__ import annotations

import datetime as dt

from data.queries import Filters, TrendResult, WaitsResult, json_safe, records

SOURCE_LABELS = {"spor": "SPOR (Svenskt Perioperativt Register)", "ncr": "NCR (Nationella Kataraktregistret)"}
UNIT_KEYS = ["id", "namn", "region_kod", "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed",
             "region_namn", "sjukhus", "ort", "agarform", "lat", "lon", "inaktuell", "senaste_operation"]
REGION_KEYS = ["id", "namn", "region_kod", "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed",
               "region_namn", "lat", "lon", "antal_enheter", "inaktuell", "senaste_operation"]
MONTH_KEYS = ["month", "n", "median", "p90", "andel_inom_90", "suppressed"]


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def mask_small_n(row: dict, suppress_below: int) -> dict:
    """n -> None for a suppressed row with 1 <= n < suppress_below."""
    n = row.get("n")
    if row.get("suppressed") and isinstance(n, (int, float)) and 0 < n < suppress_below:
        row["n"] = None
    return row


def filters_json(filters: Filters) -> dict:
    return {"asa": list(filters.asa) if filters.asa else None,
            "prio": list(filters.prio) if filters.prio else None,
            "narkos": filters.narkos}


def waits_json(result: WaitsResult) -> dict:
    keys = UNIT_KEYS if result.level == "unit" else REGION_KEYS
    rows = [mask_small_n({k: r.get(k) for k in keys}, result.suppress_below) for r in records(result.rows)]
    return {
        "kva": result.kva,
        "source": result.source,
        "data_date": _iso(result.data_date),
        "period": result.period,
        "rows": rows,
        "titel": result.titel,
        "level": result.level,
        "filter": filters_json(result.filters),
        "demo": result.demo,
        "suppress_below": result.suppress_below,
    }


def trend_json(result: TrendResult) -> dict:
    months = [mask_small_n({k: m.get(k) for k in MONTH_KEYS}, result.suppress_below)
              for m in records(result.months)]
    return {
        "months": months,
        "kva": result.kva,
        "titel": result.titel,
        "source": result.source,
        "data_date": _iso(result.data_date),
        "unit": result.unit,
        "region": result.region,
        "filter": filters_json(result.filters),
        "demo": result.demo,
        "suppress_below": result.suppress_below,
    }


def meta_json(meta: dict) -> dict:
    return {k: json_safe(v) if not isinstance(v, list) else [{kk: json_safe(vv) for kk, vv in s.items()} for s in v]
            for k, v in meta.items()}


# ---- exports --------------------------------------------------------------------

def waits_columns(result: WaitsResult) -> list[tuple[str, str, str]]:
    k = result.suppress_below
    stats = [
        ("n", f"Antal operationer (<{k} visas inte)", "int"),
        ("median", "Median väntetid (dagar)", "days"),
        ("p90", "90:e percentilen (dagar)", "days"),
        ("andel_inom_90", "Andel inom 90 dagar", "share"),
    ]
    if result.source == "spor":
        stats.append(("asa34_andel", "Andel ASA 3–4 senaste 365 dagarna", "share"))
    if result.level == "unit":
        return [
            ("namn", "Enhet", "text"), ("sjukhus", "Sjukhus", "text"), ("ort", "Ort", "text"),
            ("region_namn", "Region", "text"), ("agarform", "Ägarform", "text"), ("id", "HSA-id", "text"),
            *stats,
            ("inaktuell", f"Inaktuell (ingen operation de senaste {result.stale_days} dagarna)", "bool"),
            ("senaste_operation", "Senaste operation", "date"),
        ]
    return [
        ("namn", "Region", "text"), ("region_kod", "Länskod", "text"),
        ("antal_enheter", "Antal enheter", "int"), *stats,
        ("inaktuell", "Antal inaktuella enheter", "int"),
        ("senaste_operation", "Senaste operation", "date"),
    ]


def trend_columns(result: TrendResult) -> list[tuple[str, str, str]]:
    k = result.suppress_below
    return [
        ("month", "Månad", "text"),
        ("n", f"Antal operationer (<{k} visas inte)", "int"),
        ("median", "Median väntetid (dagar)", "days"),
        ("p90", "90:e percentilen (dagar)", "days"),
        ("andel_inom_90", "Andel inom 90 dagar", "share"),
        ("suppressed", f"Undertryckt (färre än {k})", "bool"),
    ]


def filters_text(filters: Filters) -> str:
    parts = []
    if filters.asa:
        parts.append("ASA-klass " + ", ".join(str(a) for a in filters.asa))
    if filters.prio:
        parts.append("bortre tidsgräns " + ", ".join(filters.prio))
    if filters.narkos:
        parts.append("endast narkos")
    return "; ".join(parts) if parts else "inga"


def _common_meta(kva, titel, source, data_date, demo, filters, suppress_below) -> list[str]:
    return [
        f"Nationell lägesbild – väntetider till operation: {kva} {titel or ''}".strip(),
        f"Källa: {SOURCE_LABELS.get(source, source)}, data t.o.m. {_iso(data_date) or '–'}",
        f"Filter: {filters_text(filters)}",
        f"Färre än {suppress_below} operationer: ingen statistik visas (antal anges som <{suppress_below}).",
        "Värdena är oavrundade. Väntetid i dagar; andelar som bråktal (0,46 = 46 %).",
        "DEMODATA – påhittade uppgifter, inte verkliga väntetider" if demo else "",
        f"Uttaget {dt.date.today().isoformat()}",
    ]


def waits_meta_lines(result: WaitsResult) -> list[str]:
    lines = _common_meta(result.kva, result.titel, result.source, result.data_date, result.demo,
                         result.filters, result.suppress_below)
    window = result.window
    span = f" ({window[0].isoformat()} – {window[1].isoformat()})" if window else ""
    level = "enheter" if result.level == "unit" else "regioner (alla enheters operationer sammanslagna)"
    lines.insert(2, f"Senaste {result.period} dagarna{span}; nivå: {level}")
    return lines


def trend_meta_lines(result: TrendResult, scope_name: str | None = None) -> list[str]:
    lines = _common_meta(result.kva, result.titel, result.source, result.data_date, result.demo,
                         result.filters, result.suppress_below)
    scope = {"unit": "enhet", "region": "region", "nation": "hela landet"}[result.scope]
    who = scope_name or result.unit or result.region or ""
    lines.insert(2, f"18 kalendermånader per operationsmånad; {scope}{': ' + who if who else ''}")
    return lines


def waits_filename(result: WaitsResult, ext: str) -> str:
    level = "" if result.level == "unit" else "_region"
    return f"vantetider_{result.kva}_{result.period}d{level}_{_iso(result.data_date) or 'utan-data'}.{ext}"


def trend_filename(result: TrendResult, ext: str) -> str:
    scope = f"_{result.unit}" if result.unit else f"_region{result.region}" if result.region else ""
    return f"trend_{result.kva}{scope}_{_iso(result.data_date) or 'utan-data'}.{ext}"
