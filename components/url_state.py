"""The Jämför enheter view state <-> URL query string.

The whole view lives in the URL so that a reload or a shared link restores
it. Parameter names are those of ``/api/v1/waits`` (kva, period, level, asa,
prio, narkos) plus ``hem`` (the patient's home region code or town), ``sort``
(a column field, ``-`` prefix for descending) and ``filter`` (the grid's
filter model as compact JSON).

``decode`` never raises: the shared parameter parsers (data/params.py, the
API's own) in their lenient mode; an unknown or malformed value falls back
to the default, so an old or hand-edited link still opens a sensible view.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Mapping
from urllib.parse import parse_qsl, urlencode

from data import params as shared
from data.params import Filters
from data.reference import source_for_group
from data.vocabulary import DEFAULT_LEVEL, DEFAULT_PERIOD

_SORT = re.compile(r"^-?[a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class ViewState:
    kva: str | None = None
    period: int = DEFAULT_PERIOD
    level: str = DEFAULT_LEVEL
    asa: tuple[int, ...] | None = None
    prio: tuple[str, ...] | None = None
    narkos: bool = False
    hem: str | None = None
    sort: str | None = None
    filter: dict | None = None
    forvantad: bool = False          # the optional column "Förväntad väntetid, köbaserad"

    def with_(self, **changes) -> "ViewState":
        return replace(self, **changes)

    @property
    def filters(self) -> Filters:
        return Filters(asa=self.asa, prio=self.prio, narkos=self.narkos)


def _first(params: Mapping, key: str):
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def parse_kva(raw) -> str | None:
    return shared.parse_kva(raw, strict=False)


def parse_period(raw) -> int:
    return shared.parse_period(raw, strict=False)


def parse_level(raw) -> str:
    return shared.parse_level(raw, strict=False)


def parse_asa(raw) -> tuple[int, ...] | None:
    return shared.parse_asa(raw, strict=False)


def parse_prio(raw) -> tuple[str, ...] | None:
    return shared.parse_prio(raw, strict=False)


def parse_bool(raw) -> bool:
    return shared.parse_narkos(raw, strict=False)


def parse_filter(raw) -> dict | None:
    if not raw:
        return None
    if isinstance(raw, dict):
        return raw or None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) and value else None


def parse_sort(raw) -> str | None:
    if raw is None:
        return None
    raw = str(raw).strip()
    return raw if _SORT.match(raw) else None


def decode(query) -> ViewState:
    """A query string ("?kva=NGB&period=30") or a mapping of parameters -> ViewState."""
    if query is None:
        params: Mapping = {}
    elif isinstance(query, str):
        params = dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    else:
        params = query
    hem = _first(params, "hem")
    return ViewState(
        kva=parse_kva(_first(params, "kva")),
        period=parse_period(_first(params, "period")),
        level=parse_level(_first(params, "level")),
        asa=parse_asa(_first(params, "asa")),
        prio=parse_prio(_first(params, "prio")),
        narkos=parse_bool(_first(params, "narkos")),
        hem=hem[:80] if hem else None,
        sort=parse_sort(_first(params, "sort")),
        filter=parse_filter(_first(params, "filter")),
        forvantad=parse_bool(_first(params, "forvantad")),
    )


def to_params(state: ViewState) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if state.kva:
        params.append(("kva", state.kva))
    params.append(("period", str(state.period)))
    params.append(("level", state.level))
    params += state.filters.to_params()
    if state.hem:
        params.append(("hem", state.hem))
    if state.forvantad:
        params.append(("forvantad", "1"))
    if state.sort:
        params.append(("sort", state.sort))
    if state.filter:
        params.append(("filter", json.dumps(state.filter, separators=(",", ":"), ensure_ascii=False,
                                            sort_keys=True)))
    return params


def encode(state: ViewState) -> str:
    """ViewState -> "?kva=NGB&period=90&level=unit..." (decode(encode(s)) == s)."""
    return "?" + urlencode(to_params(state), safe=",:")


def for_source(state: ViewState, source: str | None) -> ViewState:
    """Drop the filters that do not apply to the source (SPOR: asa, prio; NCR: narkos)."""
    f = state.filters.for_source(source)
    return state.with_(asa=f.asa, prio=f.prio, narkos=f.narkos)


def api_query(state: ViewState) -> str:
    """The /api/v1/waits query of the same table (the screen's twin)."""
    params = [("kva", state.kva or ""), ("period", str(state.period)), ("level", state.level)]
    params += for_source(state, source_for_group(state.kva) if state.kva else None).filters.to_params()
    return "?" + urlencode(params, safe=",")


def sort_to_column_state(sort: str | None) -> tuple[str, str] | None:
    """"-median" -> ("median", "desc")."""
    if not sort:
        return None
    return (sort[1:], "desc") if sort.startswith("-") else (sort, "asc")


def sort_from_column_state(column_state) -> str | None:
    """The grid's columnState (list of {colId, sort, sortIndex, ...}) -> "-median" or None."""
    if not column_state:
        return None
    sorted_cols = [c for c in column_state if isinstance(c, dict) and c.get("sort") in {"asc", "desc"}]
    if not sorted_cols:
        return None
    sorted_cols.sort(key=lambda c: c.get("sortIndex") or 0)
    col = sorted_cols[0]
    field = str(col.get("colId", ""))
    if not _SORT.match(field):
        return None
    return ("-" if col["sort"] == "desc" else "") + field


def table_view(fran) -> ViewState | None:
    """The table view a unit page was opened from: the unit link adds the
    table's query string as ``?fran=…``. Decoded, so only known parameters
    survive; None when it names no group (or is no string)."""
    if not isinstance(fran, str) or not fran:
        return None
    state = decode(fran)
    return state if state.kva else None


def back_to_table(came_from: ViewState | None, kva: str | None) -> str:
    """The Enhet page's link back to Jämför enheter: the view it was opened
    from, else the table of the page's group. Always a path on this site."""
    state = came_from or (ViewState(kva=kva) if kva else None)
    return "/" + encode(state) if state else "/"
