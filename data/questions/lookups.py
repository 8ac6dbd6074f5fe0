"""Small per-snapshot look-ups every question needs: data dates, the demo
flag, titles, the unit and region catalogues, freshness. Memoised in the
process per snapshot (:func:`per_snapshot`): cheaper than a round trip to the
shared result cache."""
from __future__ import annotations

import datetime as dt
import functools
import math

import pandas as pd

from data import reference
from data.context import cached
from data.schema import DEMO_HSA_PREFIX, TREND_SUMMARY_MONTHS
from data.warehouse import Warehouse


class QueryError(ValueError):
    """An argument a query function cannot answer (the API turns it into 400)."""

    parameter = ""


def check_period(period) -> int:
    period = int(period)
    if period < 1:
        raise QueryError(f"period must be a positive number of days, got {period}")
    return period


def per_snapshot(func):
    """Memoise a small look-up in the process, per warehouse and snapshot.

    For tiny, hot results (data dates, titles, freshness per unit) that every
    query needs: cheaper than a round trip to the shared result cache. The memo
    lives on the Warehouse object and is dropped when the snapshot changes."""

    @functools.wraps(func)
    def wrapper(wh: Warehouse, *args):
        sid = wh.snapshot_id
        store = wh.__dict__.setdefault("_query_memo", {})
        key = (sid, func.__qualname__, args)
        try:
            return store[key]
        except KeyError:
            pass
        value = func(wh, *args)
        for old in [k for k in list(store) if k[0] != sid]:  # a new snapshot: drop the old entries
            store.pop(old, None)
        store[key] = value
        return value

    return wrapper


def normalise_kva(kva: str) -> str:
    return (kva or "").strip().upper()


def source_for(kva: str) -> str:
    return reference.source_for_group(normalise_kva(kva))


@per_snapshot
def data_dates(wh: Warehouse) -> dict[str, dt.date | None]:
    """D per source: {'spor': date, 'ncr': date, 'vtd': date, ...}."""
    return {s: to_date(d) for s, d in wh.rows("SELECT source, data_date FROM sources")}


def data_date(wh: Warehouse, source: str) -> dt.date | None:
    return data_dates(wh).get(source)


@per_snapshot
def is_demo(wh: Warehouse) -> bool:
    flag = wh.rows("SELECT value FROM snapshot_info WHERE key = 'demo'")
    if flag and str(flag[0][0]).lower() == "true":
        return True
    hit = wh.rows(
        "SELECT count(*) FROM units WHERE starts_with(vardenhet_hsaid, $p)", {"p": DEMO_HSA_PREFIX}
    )
    return bool(hit[0][0])


@per_snapshot
def group_titles(wh: Warehouse) -> dict[str, str]:
    """KVÅ group -> Swedish title: the warehouse catalogue over the built-in one."""
    titles = dict(reference.kva_groups())
    titles.update({k: t for k, t in wh.rows("SELECT kod, titel FROM kva WHERE ar_grupp")})
    return titles


@per_snapshot
def groups_with_data(wh: Warehouse) -> dict[str, int]:
    """KVÅ group -> number of counted (non-acute) operations stored."""
    return {g: int(n) for g, n in wh.rows(
        "SELECT kva_grupp, count(*) FROM operations WHERE NOT akut GROUP BY kva_grupp"
    )}


def kva_title(wh: Warehouse, kod: str) -> str | None:
    """The Swedish title of a group or a 5-character code (None if unknown)."""
    kod = normalise_kva(kod)
    if len(kod) == 3:
        return group_titles(wh).get(kod)
    return _code_title(wh, kod)


@cached
def _code_title(wh: Warehouse, kod: str) -> str | None:
    rows = wh.rows("SELECT titel FROM kva WHERE kod = $k", {"k": kod})
    if rows:
        return rows[0][0]
    return reference.kva_codes().get(kod)


def known_group(wh: Warehouse, kva: str) -> bool:
    """A KVÅ group the product knows: in a catalogue or with stored operations."""
    kva = normalise_kva(kva)
    return kva in group_titles(wh) or kva in groups_with_data(wh)


@per_snapshot
def unit_ids(wh: Warehouse) -> frozenset[str]:
    return frozenset(r[0] for r in wh.rows("SELECT vardenhet_hsaid FROM units"))


@per_snapshot
def region_names(wh: Warehouse) -> dict[str, str]:
    names = {k: r.namn for k, r in reference.regions().items()}
    names.update({k: n for k, n in wh.rows("SELECT region_kod, namn FROM regions")})
    return names


@per_snapshot
def unit_catalogue(wh: Warehouse) -> dict[str, dict]:
    """HSA-ID -> the unit's catalogue fields (namn, sjukhus, ort, region_kod, agarform, lat, lon)."""
    cur = wh.cursor().execute(
        "SELECT vardenhet_hsaid, namn, sjukhus, ort, region_kod, agarform, lat, lon FROM units"
    )
    cols = [c[0] for c in cur.description][1:]
    return {r[0]: dict(zip(cols, r[1:])) for r in cur.fetchall()}


@per_snapshot
def region_table(wh: Warehouse) -> dict[str, tuple[str, float | None, float | None]]:
    """Region code -> (name, seat lat, seat lon): the warehouse's table over the built-in one."""
    table = {k: (r.namn, r.lat, r.lon) for k, r in reference.regions().items()}
    table.update({k: (n, la, lo) for k, n, la, lo in wh.rows("SELECT region_kod, namn, lat, lon FROM regions")})
    return table


@per_snapshot
def latest_operations(wh: Warehouse, source: str) -> dict[str, str]:
    """Unit -> its latest stored operation date (ISO) in the source, acute rows
    included: freshness is about reporting, not about what is counted."""
    return dict(wh.rows(
        "SELECT vardenhet_hsaid, strftime(max(operation_datum), '%Y-%m-%d') FROM operations "
        "WHERE source = $src GROUP BY vardenhet_hsaid",
        {"src": source},
    ))


def to_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _none_if_nan(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value


def json_safe(value):
    """A plain Python value for JSON: NaN/NA -> None, numpy -> int/float, dates -> ISO."""
    value = _none_if_nan(value)
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return value


def records(df: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts (NaN -> None, numpy -> Python, dates -> ISO)."""
    cols = list(df.columns)
    return [{c: json_safe(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False, name=None)]



@per_snapshot
def has_trend_summary(wh: Warehouse) -> bool:
    """Whether the snapshot carries trend_summary (built by the ETL since it existed)."""
    rows = wh.rows("SELECT value FROM snapshot_info WHERE key = 'trend_summary_months'")
    return bool(rows) and rows[0][0] == str(TREND_SUMMARY_MONTHS)


@per_snapshot
def has_view_summaries(wh: Warehouse) -> bool:
    """Whether the snapshot carries national_months, region_windows and flow_counts."""
    from data.schema import VIEW_SUMMARY_VERSION

    rows = wh.rows("SELECT value FROM snapshot_info WHERE key = 'view_summaries'")
    return bool(rows) and rows[0][0] == VIEW_SUMMARY_VERSION


class FrameFromRecords:
    """``WaitsResult.rows``: the DataFrame given to the constructor, or else one
    built from ``row_records`` on first use and kept. The screen needs only the
    records; building a pandas frame of them costs ~2 ms per table update."""

    def __set_name__(self, owner, name):
        self.key = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return None  # the field's default: build from the records
        frame = obj.__dict__.get(self.key)
        if frame is None:
            frame = obj._build_frame()
            obj.__dict__[self.key] = frame
        return frame

    def __set__(self, obj, value):
        obj.__dict__[self.key] = value
