"""The product's shared vocabulary: every constant of METRICS.md and every
Swedish label of a code, defined once and used by the questions
(data/questions/), the table definitions, the URL state, the API and the
views alike. No Dash, no Flask, no warehouse.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from common import format as fmt
from common.format import MISSING

# ---- windows, levels, filters (METRICS.md "Window", "Filters") --------------
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
LEVELS = ("unit", "region")          # the table view's levels (and the API's)
DEFAULT_LEVEL = "unit"
QUERY_LEVELS = LEVELS + ("nation",)  # "nation": one row pooling every unit, for a reference line
ASA_CLASSES = (1, 2, 3, 4, 5, 6)
PRIO_CATEGORIES = ("1v", "2v", "4v", "3m", "6m", "12m")   # bortre_tidsgrans, shortest first
ANESTESI_CATEGORIES = ("topikal", "lokal", "narkos")

WITHIN_DAYS = 90        # "andel inom 90 dagar": the care guarantee
ASA34_DAYS = 365        # the ASA 3–4 share looks at the last 365 days whatever the window
STALE_DAYS = 42         # no operations for 6 weeks before D: "inaktuell"
TREND_MONTHS = 18       # the unit page's and the API's trend
NATION_NAME = "Hela riket"

# ---- Swedish labels --------------------------------------------------------


@dataclass(frozen=True)
class Source:
    code: str
    short: str      # in tight places: "SPOR", "NCR"
    label: str      # in a sentence: "Källa: SPOR, data t.o.m. …"
    full: str       # where it is named once: "Svenskt Perioperativt Register (SPOR)"


SOURCES = {
    "spor": Source("spor", "SPOR", "SPOR", "Svenskt Perioperativt Register (SPOR)"),
    "ncr": Source("ncr", "NCR", "Nationella Kataraktregistret", "Nationella Kataraktregistret (NCR)"),
    "vtd": Source("vtd", "Väntetidsdatabasen", "Väntetidsdatabasen", "Väntetidsdatabasen"),
    "vardenheter": Source("vardenheter", "Enhetskatalogen", "Enhetskatalogen", "Enhetskatalogen"),
    "kva": Source("kva", "KVÅ-katalogen", "KVÅ-katalogen", "KVÅ-katalogen"),
}
#: The order sources are listed in: the registers, the monthly database, the catalogues.
SOURCE_ORDER = tuple(SOURCES)


def source_short(code: str) -> str:
    s = SOURCES.get(code)
    return s.short if s else code


def source_label(code: str) -> str:
    s = SOURCES.get(code)
    return s.label if s else code


def source_full(code: str) -> str:
    s = SOURCES.get(code)
    return s.full if s else code


AGARFORM_LABELS = {"offentlig": "offentlig", "privat": "privat", "ideburen": "idéburen"}
PRIO_LABELS = {
    "1v": "1 vecka", "2v": "2 veckor", "4v": "4 veckor",
    "3m": "3 månader", "6m": "6 månader", "12m": "12 månader",
}
ANESTESI_LABELS = {"topikal": "topikal", "lokal": "lokal", "narkos": "narkos", None: "uppgift saknas"}
LEVEL_LABELS = {"unit": "enheter", "region": "regioner", "nation": "hela riket"}


def agarform_label(value) -> str:
    return AGARFORM_LABELS.get(value or "", value or MISSING)


def filters_text(filters) -> str:
    """The filters in words, the same on screen and in every file:
    "ASA 3, 4; prioritet 3 månader, 6 månader" or "inga filter"."""
    parts = []
    if filters.asa:
        parts.append("ASA " + ", ".join(str(a) for a in filters.asa))
    if filters.prio:
        parts.append("prioritet " + ", ".join(PRIO_LABELS.get(p, p) for p in filters.prio))
    if filters.narkos:
        parts.append("endast narkos")
    return "; ".join(parts) if parts else "inga filter"


#: AG Grid's filter types in words (agTextColumnFilter, agNumberColumnFilter).
GRID_FILTER_WORDS = {
    "equals": "är", "notEqual": "är inte", "contains": "innehåller", "notContains": "innehåller inte",
    "startsWith": "börjar med", "endsWith": "slutar med", "lessThan": "<", "lessThanOrEqual": "≤",
    "greaterThan": ">", "greaterThanOrEqual": "≥", "blank": "är tom", "notBlank": "är inte tom",
}


def _grid_value(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from common.format import fmt_number

        text = fmt_number(value, 2)
        return text.rstrip("0").rstrip(",") if "," in text else text
    return f"”{value}”"


def _one_grid_condition(cond: dict) -> str | None:
    kind = cond.get("type")
    if kind == "inRange":
        return f"{_grid_value(cond.get('filter'))}–{_grid_value(cond.get('filterTo'))}"
    words = GRID_FILTER_WORDS.get(kind)
    if words is None:
        return None
    if kind in ("blank", "notBlank"):
        return words
    return f"{words} {_grid_value(cond.get('filter'))}"


def grid_filter_text(filter_model: dict | None, headers: dict[str, str]) -> str | None:
    """The grid's own column filters in words, for the line above the table:
    "Region innehåller ”Kron”; Median (dagar) < 100" (None without any)."""
    parts = []
    for col_id, model in (filter_model or {}).items():
        if not isinstance(model, dict):
            continue
        conds = model.get("conditions") if isinstance(model.get("conditions"), list) else [model]
        texts = [t for t in (_one_grid_condition(c) for c in conds if isinstance(c, dict)) if t]
        if not texts:
            continue
        joiner = " eller " if str(model.get("operator", "")).upper() == "OR" else " och "
        parts.append(f"{headers.get(col_id, col_id)} {joiner.join(texts)}")
    return "; ".join(parts) or None


def window_text(data_date: dt.date | None, period: int) -> str:
    """ "operationer 2026-08-23 – 2026-11-20 (senaste 90 dagarna)"."""
    if data_date is None:
        return "inga operationer inlästa"
    first = data_date - dt.timedelta(days=period - 1)
    return f"operationer {fmt.fmt_date(first)} – {fmt.fmt_date(data_date)} ({fmt.period_label(period)})"


def source_line(source: str, data_date: dt.date | None, period: int | None = None) -> str:
    """ "Källa: SPOR, data t.o.m. 2026-11-20 · operationer ..." (screen and files)."""
    text = f"Källa: {source_label(source)}, data {fmt.data_date_text(data_date)}"
    if period:
        text += f" · {window_text(data_date, period)}"
    return text
