"""The Jämför enheter table: which columns, their grid definitions, the rows.

Numbers stay numeric in the grid's row data (so sorting and number filters
work on values), and each numeric field ``x`` has a Swedish display text
``x_txt`` made here in Python (components/format.py); the grid shows it via
``valueFormatter: {"function": "params.data.x_txt"}``. dash-ag-grid parses
such "function" strings with its own expression interpreter, not with
``eval``/``new Function``, so the page runs under a CSP without 'unsafe-eval'.

The same ``ColumnSpec`` list decides the downloaded columns, so the CSV and
XLSX hold exactly the columns on screen.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from common import format as fmt
from data import vocabulary as vocab

SUPPRESSED_TIP = (
    "Färre än {k} operationer: statistiken visas inte, för att skydda patienternas "
    "anonymitet och undvika slumpmässiga värden."
)
STALE_TIP = "Inga operationer inlästa de senaste {d} dagarna före datadatum: uppgifterna kan vara inaktuella."


@dataclass(frozen=True)
class ColumnSpec:
    field: str          # key in the row data (and in the export)
    header: str         # Swedish column header (screen and export)
    kind: str           # text | int | days | share | km | link
    export: str | None = None  # the field exported (unrounded value); default = field


def column_specs(source: str | None, level: str, with_distance: bool = False) -> list[ColumnSpec]:
    """The columns on screen for a group's source ('spor'|'ncr') and level ('unit'|'region')."""
    cols: list[ColumnSpec] = []
    if level == "region":
        cols.append(ColumnSpec("namn", "Region", "text"))
    else:
        cols.append(ColumnSpec("namn", "Enhet", "link"))
        cols.append(ColumnSpec("region", "Region", "text"))
        cols.append(ColumnSpec("agarform", "Ägarform", "text"))
    cols += [
        ColumnSpec("n", "Antal operationer", "int"),
        ColumnSpec("median", "Median (dagar)", "days"),
        ColumnSpec("p90", "90:e percentil (dagar)", "days"),
        ColumnSpec("andel_inom_90", "Andel inom 90 dagar", "share"),
    ]
    if source == "spor":
        cols.append(ColumnSpec("asa34_andel", "Andel ASA 3–4 (365 dagar)", "share"))
    if level == "unit":
        cols.append(ColumnSpec("aktualitet", "Aktualitet", "text"))
    if with_distance:
        cols.append(ColumnSpec("avstand_km", "Avstånd (km)", "km"))
    return cols


def column_fields(specs: list[ColumnSpec]) -> list[str]:
    return [c.field for c in specs]


_NUMBER_FILTER = {
    "filter": "agNumberColumnFilter",
    "filterParams": {"buttons": ["reset"], "maxNumConditions": 1},
}
_TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {"buttons": ["reset"], "maxNumConditions": 1},
}


def column_defs(specs: list[ColumnSpec], sort: str | None = None) -> list[dict]:
    """AG Grid columnDefs; ``sort`` ("median" or "-median") marks the initial sort."""
    sort_field, sort_dir = (None, None)
    if sort:
        sort_field, sort_dir = (sort[1:], "desc") if sort.startswith("-") else (sort, "asc")
    defs = []
    for spec in specs:
        d: dict = {"field": spec.field, "headerName": spec.header, "colId": spec.field}
        if spec.kind in {"int", "days", "share", "km"}:
            d.update(_NUMBER_FILTER)
            d["type"] = "rightAligned"
            d["valueFormatter"] = {"function": f"params.data.{spec.field}_txt"}
            d["minWidth"] = 110
        else:
            d.update(_TEXT_FILTER)
            d["minWidth"] = 120
        if spec.kind == "link":
            d["cellRenderer"] = "UnitLink"
            d["minWidth"] = 220
            d["flex"] = 2
        else:
            d["flex"] = 1
        if spec.field in {"namn", "region"}:
            # Names wrap, never cut: the informative part ("…, Kvarnnäs lasarett",
            # "Jämtland Härjedalen") comes last.
            d["wrapText"] = True
            d["autoHeight"] = True
        if spec.field in {"n", "median", "p90", "andel_inom_90", "asa34_andel"}:
            d["tooltipField"] = "suppressed_tip"
        if spec.field == "aktualitet":
            d["tooltipField"] = "stale_tip"
            d["cellClassRules"] = {"lb-stale": {"function": "params.value == 'inaktuell'"}}
        if spec.field == sort_field:
            d["initialSort"] = sort_dir
        defs.append(d)
    return defs


def _f(value):
    """A JSON-safe float (None for missing)."""
    return None if fmt.is_missing(value) else float(value)


def grid_rows(rows: list[dict], *, level: str, kva: str | None, suppress_below: int = 5,
              stale_days: int = 42, region_names: dict[str, str] | None = None,
              distances: dict[str, float] | None = None, query: str = "") -> list[dict]:
    """Rows of the waits table (query-function dicts) -> grid row data with display texts.

    Input keys: id, namn, region_kod, agarform, n, median, p90, andel_inom_90,
    asa34_andel, suppressed, inaktuell (bool). Suppressed rows keep their
    statistics empty whatever the input says.
    """
    region_names = region_names or {}
    out = []
    for r in rows:
        suppressed = bool(r.get("suppressed"))
        row = {
            "id": str(r.get("id")),
            "namn": r.get("namn") or str(r.get("id")),
            "region_kod": r.get("region_kod"),
            "region": region_names.get(r.get("region_kod") or "", r.get("region_kod") or fmt.MISSING),
            "suppressed": suppressed,
            "n": None if suppressed else (None if fmt.is_missing(r.get("n")) else int(r.get("n"))),
        }
        for key in ("median", "p90", "andel_inom_90", "asa34_andel"):
            row[key] = None if suppressed else _f(r.get(key))
        row["n_txt"] = fmt.fmt_n(r.get("n"), suppressed, suppress_below)
        row["median_txt"] = fmt.fmt_days(row["median"])
        row["p90_txt"] = fmt.fmt_days(row["p90"])
        row["andel_inom_90_txt"] = fmt.fmt_share(row["andel_inom_90"])
        # ASA 3-4 is over the last 365 days whatever the window: suppress it on its own n.
        row["asa34_andel_txt"] = fmt.fmt_share(row["asa34_andel"])
        if suppressed:
            row["suppressed_tip"] = SUPPRESSED_TIP.format(k=suppress_below)
        if level == "unit":
            row["agarform"] = vocab.agarform_label(r.get("agarform"))
            stale = bool(r.get("inaktuell"))
            row["aktualitet"] = "inaktuell" if stale else "aktuell"
            if stale:
                row["stale_tip"] = STALE_TIP.format(d=stale_days)
            href = f"/enhet/{quote(row['id'])}"
            if kva:
                href += f"?kva={quote(kva)}"
            row["href"] = href
        if distances is not None:
            km = distances.get(row["id"])
            row["avstand_km"] = None if km is None else round(float(km), 1)
            row["avstand_km_txt"] = fmt.fmt_km(km)
        out.append(row)
    return out


def export_frame_rows(grid_rows_in_order: list[dict], specs: list[ColumnSpec]) -> list[dict]:
    """Rows as on screen (order and columns), with the values the export writes.

    Text columns export their text; numeric columns export the unrounded value
    (None for suppressed statistics; n as shown, "<5", when suppressed).
    """
    out = []
    for r in grid_rows_in_order:
        row = {}
        for spec in specs:
            value = r.get(spec.field)
            if spec.field == "n" and r.get("suppressed"):
                value = r.get("n_txt")
            row[spec.field] = value
        out.append(row)
    return out


def grid_locale() -> dict:
    """AG Grid's Swedish texts (filter menus, 'no rows' ...), from @ag-grid-community/locale (MIT)."""
    global _LOCALE
    if _LOCALE is None:
        path = Path(__file__).with_name("ag_grid_locale_sv.json")
        _LOCALE = json.loads(path.read_text(encoding="utf-8"))
        _LOCALE["noRowsToShow"] = "Inga rader att visa"
    return _LOCALE


_LOCALE: dict | None = None
