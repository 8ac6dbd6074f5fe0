"""The Jämför enheter grid: AG Grid column definitions and row data from the
question's table definition (data/questions/waits.py ``columns``), so the
grid's headers and columns are those of the files and the API's files.

Numbers stay numeric in the grid's row data (so sorting and number filters
work on values; shares in percent, as on screen), and each numeric field ``x`` has a Swedish display text
``x_txt`` made here in Python (common/format.py); the grid shows it via
``valueFormatter: {"function": "params.data.x_txt"}``. dash-ag-grid parses
such "function" strings with its own expression interpreter, not with
``eval``/``new Function``, so the page runs under a CSP without 'unsafe-eval'.
Columns without ``screen`` (HSA-id, hospital, town, latest operation) are in
the files only.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from common import format as fmt
from data.tables import NUMERIC_KINDS, WITHHELD, Column

SUPPRESSED_TIP = (
    "Färre än {k} operationer: statistiken visas inte, för att skydda patienternas "
    "anonymitet och undvika slumpmässiga värden."
)
WITHHELD_TIP = (
    "Antalet och andelarna visas inte här, så att ett litet antal vid en annan enhet (eller region) inte kan "
    "räknas fram ur regionens (eller rikets) summa."
)
STALE_TIP = "Inga operationer inlästa de senaste {d} dagarna före datadatum: uppgifterna kan vara inaktuella."


_NUMBER_FILTER = {
    "filter": "agNumberColumnFilter",
    "filterParams": {"buttons": ["reset"], "maxNumConditions": 1},
}
_TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {"buttons": ["reset"], "maxNumConditions": 1},
}


#: The least width (px) of the unit's name: its longest word ("universitetssjukhus") whole.
NAME_MIN_WIDTH = 176

STAT_KEYS = ("n", "median", "p90", "andel_inom_90", "asa34_andel")
_TEXT = {"count": lambda v, r, k: WITHHELD if r.get("n_suppressed") else fmt.fmt_n(v, r.get("suppressed"), k), "int": lambda v, r, k: fmt.fmt_int(v),
         "days": lambda v, r, k: fmt.fmt_days(v), "share": lambda v, r, k: fmt.fmt_share(v),
         "km": lambda v, r, k: fmt.fmt_km(v)}


def screen_columns(columns: Sequence[Column]) -> list[Column]:
    return [c for c in columns if c.screen]


def header_min_width(title: str, floor: int = 100) -> int:
    """A column's least width (px) at which its title's longest word fits
    whole beside the filter button and the sort arrow: a title wraps between
    words (``wrapHeaderText``) but is never cut ("Vänta…", "Genomför…")."""
    longest = max((len(word) for word in title.split()), default=0)
    return max(floor, 64 + 8 * longest)


def wrapping_text_column(texts, floor: int = 100, whole: bool = False) -> dict:
    """A text column whose cells wrap between words (``wrapText``, the row
    growing to fit) and whose least width (px) holds the longest word of any
    cell whole ("Väntetidsdatabasen", a file's name): never "minskar elle…"
    and never a word broken in the middle. With ``whole`` a cell is never
    wrapped at all (a time, "2026-12-04 19:23") and the width holds the
    longest cell. About 9 px a character of the grid's 14 px font, plus the
    cell's padding."""
    texts = [str(text or "") for text in texts]
    pieces = texts if whole else [word for text in texts for word in text.split()]
    width = max(floor, 36 + 9 * max((len(piece) for piece in pieces), default=0))
    return {"minWidth": width} if whole else {"wrapText": True, "autoHeight": True, "minWidth": width}


def column_defs(columns: Sequence[Column], sort: str | None = None, level: str = "unit") -> list[dict]:
    """AG Grid columnDefs of the columns shown on screen; ``sort`` ("median"
    or "-median") marks the initial sort."""
    sort_field, sort_dir = (None, None)
    if sort:
        sort_field, sort_dir = (sort[1:], "desc") if sort.startswith("-") else (sort, "asc")
    defs = []
    for col in screen_columns(columns):
        d: dict = {"field": col.key, "headerName": col.header, "colId": col.key}
        if col.kind in NUMERIC_KINDS:
            d.update(_NUMBER_FILTER)
            d["type"] = "rightAligned"
            d["valueFormatter"] = {"function": f"params.data.{col.key}_txt"}
            # empty and suppressed cells last in both directions, inaktuella units after current ones
            d["comparator"] = {"function": "lbDecisionOrder"}
            d["minWidth"] = header_min_width(col.header, 110)
        else:
            d.update(_TEXT_FILTER)
            d["minWidth"] = header_min_width(col.header, 120)
        if col.key == "namn" and level == "unit":
            d["cellRenderer"] = "UnitLink"
            # Wide by its flex on a computer; on a phone (assets/narrow.js) narrow enough that
            # the median is read beside it, still holding "universitetssjukhus" whole.
            d["minWidth"] = NAME_MIN_WIDTH
            d["flex"] = 2
        else:
            d["flex"] = 1
        if col.key in {"namn", "region_namn"}:
            # Names wrap, never cut: the informative part ("…, Kvarnnäs lasarett",
            # "Jämtland Härjedalen") comes last.
            d["wrapText"] = True
            d["autoHeight"] = True
        if col.key in STAT_KEYS:
            d["tooltipField"] = "suppressed_tip"
        if col.key == "aktualitet":
            d["tooltipField"] = "stale_tip"
            d["cellClassRules"] = {"lb-stale": {"function": "params.value == 'inaktuell'"}}
        if col.key == sort_field:
            d["initialSort"] = sort_dir
        defs.append(d)
    return defs


def grid_rows(rows: Sequence[dict], columns: Sequence[Column], *, level: str, kva: str | None,
              suppress_below: int = 5, stale_days: int = 42,
              distances: dict[str, float] | None = None) -> list[dict]:
    """The question's records -> grid row data: each screen column's value
    (numbers numeric, ``None`` when suppressed or missing) and, for numbers,
    its Swedish display text ``<key>_txt``. A suppressed row's n is ``None``
    in the data (nothing to sort or filter it by) and "<5" on screen."""
    shown = screen_columns(columns)
    out = []
    for r in rows:
        suppressed = bool(r.get("suppressed"))
        source = r if distances is None else {**r, "avstand_km": distances.get(str(r.get("id")))}
        row = {"id": str(r.get("id")), "suppressed": suppressed}
        for col in shown:
            value = col.get(source)
            if col.kind in NUMERIC_KINDS:
                text = _TEXT[col.kind](value, source, suppress_below)
                if fmt.is_missing(value) or (suppressed and col.key in STAT_KEYS):
                    value = None
                elif col.kind in ("count", "int"):
                    value = int(value)
                elif col.kind == "share":
                    value = float(value) * 100   # percent, as shown: the grid's filter "≥ 50" means 50 %
                else:
                    value = float(value) if col.kind != "km" else round(float(value), 1)
                row[col.key] = value
                row[f"{col.key}_txt"] = text if value is not None or col.kind == "count" else fmt.MISSING
            else:
                row[col.key] = value if value not in (None, "") else fmt.MISSING
        if level == "unit":
            row["namn"] = r.get("namn") or row["id"]
        if suppressed:
            row["suppressed_tip"] = SUPPRESSED_TIP.format(k=suppress_below)
        elif r.get("n_suppressed"):
            row["suppressed_tip"] = WITHHELD_TIP
        if level == "unit":
            row["stale"] = bool(r.get("inaktuell"))    # sorts after current units; a badge by the name
            if r.get("inaktuell"):
                row["stale_tip"] = STALE_TIP.format(d=stale_days)
            href = f"/enhet/{quote(row['id'])}"
            if kva:
                href += f"?kva={quote(kva)}"
            row["href"] = href
        out.append(row)
    return out


KEEP_CAPITALS = {"Excel", "CSV", "AND", "OR"}


def sentence_case(text):
    """Swedish sentence case for the locale's texts ("Föregående Sida" -> "Föregående sida")."""
    if not isinstance(text, str) or " " not in text:
        return text
    first, *rest = text.split(" ")
    return " ".join([first] + [w if w in KEEP_CAPITALS or w.isupper() else w[:1].lower() + w[1:].lower()
                               if w[:1].isupper() else w for w in rest])


def grid_locale() -> dict:
    """AG Grid's Swedish texts (filter menus, 'no rows' ...), from @ag-grid-community/locale (MIT)."""
    global _LOCALE
    if _LOCALE is None:
        path = Path(__file__).with_name("ag_grid_locale_sv.json")
        _LOCALE = {key: sentence_case(value) for key, value in json.loads(path.read_text(encoding="utf-8")).items()}
        _LOCALE["noRowsToShow"] = "Inga rader att visa"
    return _LOCALE


_LOCALE: dict | None = None
