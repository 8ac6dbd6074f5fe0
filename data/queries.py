"""One query function per question (the read side).

Every function takes the :class:`~data.warehouse.Warehouse` first and plain,
hashable arguments, computes its statistics in DuckDB (``quantile_cont``,
i.e. ``percentile_cont`` with linear interpolation) and returns a small
dataclass or DataFrame. The Dash callbacks, the /api/v1 endpoints and the
CSV/XLSX exports all call these functions, so the screen, the JSON and the
files can never disagree. Results are cached per snapshot (``@cached``).

Definitions: ../shared/spec/METRICS.md. Choices METRICS.md leaves open,
stated here once:

- **Counted operation**: a stored (not deleted), non-acute operation of the
  group's source (cataract groups: NCR, the rest: SPOR) whose
  ``operation_datum`` lies in the window ``(D - N, D]``, D = the source's data
  date (``sources.data_date``), and which passes the filters.
- **Rows listed** by :func:`waits_table`: the units (or regions) with at least
  one counted operation of the group in the window *after* filters. A unit
  with no counted operation has nothing to show and is not listed.
- **Suppression**: when ``n < suppress_below`` the row's statistics
  (``median``, ``p90``, ``andel_inom_90``, ``asa34_andel``) are ``None`` and
  ``suppressed`` is True. ``n`` stays the true count in the result (the
  screen shows "<5"); the API and the exports never reveal an n between 1
  and ``suppress_below - 1`` (see api/serialize.py and api/exports.py).
- **asa34_andel** (SPOR only) describes the unit (or region), not the
  selection: it uses the unit's counted operations of the group in the last
  365 days before D *whatever the window* and *ignoring the ASA and priority
  filters* (an ASA filter would make the share trivially 0 or 1), among those
  with an ASA class recorded. It is ``None`` when the row is suppressed or when
  fewer than ``suppress_below`` operations have an ASA class. NCR: ``None``.
- **inaktuell**: a unit with no stored operation of the source (any group,
  acute included — freshness is about reporting) in ``(D - 42, D]``; its last
  operation exactly 42 days before D makes it inaktuell, 41 days not. Region
  level: the number of listed units of the region that are inaktuella
  (``0`` when none). ``senaste_operation``: the unit's latest operation date
  in the source (region: the latest of its listed units).
- **Filters** that do not fit the group's source (ASA or priority for an NCR
  group, general anaesthesia for a SPOR group) raise
  :class:`FilterNotApplicable`; nothing is ignored silently.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import reference
from data.context import cached
from data.schema import DEMO_HSA_PREFIX, MONTH_STATS, NATION_SCOPE, TREND_SUMMARY_MONTHS, WITHIN_DAYS
from data.warehouse import Warehouse

PERIODS = (30, 90, 365)
LEVELS = ("unit", "region")          # the table view's levels (and the API's)
QUERY_LEVELS = LEVELS + ("nation",)  # "nation": one row pooling every unit, for a reference line
ASA_CLASSES = (1, 2, 3, 4, 5, 6)
PRIO_CATEGORIES = ("1v", "2v", "4v", "3m", "6m", "12m")
ANESTESI_CATEGORIES = ("topikal", "lokal", "narkos")
TREND_MONTHS = TREND_SUMMARY_MONTHS  # the unit page reads the 18 months from trend_summary
ASA34_DAYS = 365
STALE_DAYS = 42


class QueryError(ValueError):
    """An argument a query function cannot answer (the API turns it into 400)."""

    parameter = ""


class FilterNotApplicable(QueryError):
    def __init__(self, parameter: str, kva: str, source: str):
        self.parameter = parameter
        super().__init__(f"filter {parameter!r} does not apply to {kva} (source {source})")


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The table-view filters, normalised: sorted, de-duplicated, empty -> None.

    ``asa``: ASA classes 1..6 (SPOR); ``prio``: bortre_tidsgrans categories
    (SPOR), kept in their natural order 1v < 2v < 4v < 3m < 6m < 12m;
    ``narkos``: only operations under general anaesthesia (NCR).
    """

    asa: tuple[int, ...] | None = None
    prio: tuple[str, ...] | None = None
    narkos: bool = False

    def __post_init__(self):
        asa = self.asa
        if asa is not None:
            values = sorted({int(a) for a in asa})
            bad = [a for a in values if a not in ASA_CLASSES]
            if bad:
                raise ValueError(f"ASA class out of range 1..6: {bad}")
            asa = tuple(values) or None
        prio = self.prio
        if prio is not None:
            values = {str(p).strip().lower() for p in prio}
            bad = sorted(values - set(PRIO_CATEGORIES))
            if bad:
                raise ValueError(f"unknown bortre_tidsgrans: {bad}")
            prio = tuple(p for p in PRIO_CATEGORIES if p in values) or None
        object.__setattr__(self, "asa", asa)
        object.__setattr__(self, "prio", prio)
        object.__setattr__(self, "narkos", bool(self.narkos))

    @property
    def active(self) -> bool:
        return bool(self.asa or self.prio or self.narkos)

    def check(self, kva: str, source: str) -> None:
        """Raise FilterNotApplicable for a filter that does not fit the source."""
        if source == "ncr":
            if self.asa:
                raise FilterNotApplicable("asa", kva, source)
            if self.prio:
                raise FilterNotApplicable("prio", kva, source)
        elif self.narkos:
            raise FilterNotApplicable("narkos", kva, source)

    def sql(self) -> tuple[str, dict]:
        """An SQL condition (starting with AND, or empty) and its named parameters."""
        parts, params = [], {}
        if self.asa:
            names = [f"asa{i}" for i in range(len(self.asa))]
            parts.append(f"asa_klass IN ({', '.join('$' + n for n in names)})")
            params.update(zip(names, self.asa))
        if self.prio:
            names = [f"prio{i}" for i in range(len(self.prio))]
            parts.append(f"bortre_tidsgrans IN ({', '.join('$' + n for n in names)})")
            params.update(zip(names, self.prio))
        if self.narkos:
            parts.append("anestesi = 'narkos'")
        return "".join(f" AND {p}" for p in parts), params


NO_FILTERS = Filters()


# ---------------------------------------------------------------------------
# Small shared look-ups (cached per snapshot)
# ---------------------------------------------------------------------------

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
    return {s: _to_date(d) for s, d in wh.rows("SELECT source, data_date FROM sources")}


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


def _to_date(value) -> dt.date | None:
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


# ---------------------------------------------------------------------------
# Table view: waits per unit or region
# ---------------------------------------------------------------------------

STAT_COLUMNS = ["n", "median", "p90", "andel_inom_90", "asa34_andel"]
UNIT_ROW_COLUMNS = [
    "id", "namn", "sjukhus", "ort", "region_kod", "region_namn", "agarform", "lat", "lon",
    "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed", "inaktuell", "senaste_operation",
]
REGION_ROW_COLUMNS = [
    "id", "namn", "region_kod", "region_namn", "lat", "lon", "antal_enheter",
    "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed", "inaktuell", "senaste_operation",
]


class _FrameFromRecords:
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


@dataclass(frozen=True)
class WaitsResult:
    kva: str
    titel: str | None
    source: str
    data_date: dt.date | None
    period: int
    level: str
    rows: pd.DataFrame = _FrameFromRecords()  # pandas view of row_records (built lazily)
    demo: bool = False
    filters: Filters = NO_FILTERS
    suppress_below: int = 5
    stale_days: int = STALE_DAYS
    # The rows as JSON-safe dicts, straight from the query (what the screen and the API use).
    row_records: tuple = field(default=(), repr=False, compare=False)

    def _build_frame(self) -> pd.DataFrame:
        if not self.row_records:
            return _empty_rows(self.level)
        return _frame(list(self.row_records), UNIT_ROW_COLUMNS if self.level == "unit" else REGION_ROW_COLUMNS)

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        """(first day, last day) of the window, both inclusive."""
        if self.data_date is None:
            return None
        return self.data_date - dt.timedelta(days=self.period - 1), self.data_date

    def records(self) -> list[dict]:
        """The rows as JSON-safe dicts (None for a missing value)."""
        if self.row_records:
            return [dict(r) for r in self.row_records]
        return records(self.rows)


def _empty_rows(level: str) -> pd.DataFrame:
    cols = UNIT_ROW_COLUMNS if level == "unit" else REGION_ROW_COLUMNS
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in STAT_COLUMNS[1:] else "object") for c in cols})


def _check_period(period) -> int:
    period = int(period)
    if period < 1:
        raise QueryError(f"period must be a positive number of days, got {period}")
    return period


def _waits_sql(level: str, fsql: str) -> str:
    """One scan of the group's counted operations in the window (after the
    filters), grouped by unit, region or nation: n, median and p90
    (``quantile_cont``), share within 90 days. The scan is of the window only:
    the operations table is sorted by (kva_grupp, operation_datum), so DuckDB's
    zone maps skip every other row group."""
    key = {"unit": "vardenhet_hsaid", "region": "region_kod", "nation": "'SE'"}[level]
    extra = "any_value(region_kod) AS op_region" if level == "unit" else "list(DISTINCT vardenhet_hsaid) AS units"
    return f"""
        SELECT {key} AS id, count(*) AS n,
               quantile_cont(vantedagar, [0.5, 0.9]) AS q,
               avg(CASE WHEN vantedagar <= {WITHIN_DAYS} THEN 1.0 ELSE 0.0 END) AS a90,
               {extra}
        FROM operations
        WHERE kva_grupp = $kva AND source = $src AND NOT akut
          AND operation_datum > $lo AND operation_datum <= $d{fsql}
        GROUP BY 1
    """


@per_snapshot
def asa34_counts(wh: Warehouse) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(level, kva_grupp, id) -> (counted SPOR operations with an ASA class, of
    which ASA 3 or 4) in the last 365 days before SPOR's D; level "unit" (id =
    HSA-ID), "region" (id = region code) or "nation" (id "SE").

    The ASA 3–4 share describes a unit (or region) whatever the table's window
    and filters, so it is one small table per snapshot (one scan of SPOR's last
    365 days, ~30 ms at national scale) instead of a 365-day scan in every
    table query."""
    d = data_date(wh, "spor")
    if d is None:
        return {}
    counts: dict[tuple[str, str, str], list[int]] = {}
    for kva, unit, region, n_asa, n34 in wh.rows(
        """
        SELECT kva_grupp, vardenhet_hsaid, region_kod, count(asa_klass),
               count(*) FILTER (WHERE asa_klass IN (3, 4))
        FROM operations
        WHERE source = 'spor' AND NOT akut AND operation_datum > $lo AND operation_datum <= $d
        GROUP BY ALL
        """,
        {"lo": d - dt.timedelta(days=ASA34_DAYS), "d": d},
    ):
        for key in (("unit", kva, unit), ("region", kva, region), ("nation", kva, "SE")):
            c = counts.setdefault(key, [0, 0])
            c[0] += n_asa
            c[1] += n34
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _sort_key(row: dict):
    median = row["median"]
    return (median is None, median if median is not None else 0.0, -row["n"], row["namn"] or "")


_FLOAT_COLUMNS = ("median", "p90", "andel_inom_90", "asa34_andel", "lat", "lon")


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """The rows as a DataFrame: statistics float64 (NaN = suppressed / missing),
    counts int64, flags bool, text as pandas infers it. Built from numpy arrays
    (constructing Series one by one costs several ms in pandas 3)."""
    data = {}
    for c in columns:
        values = [r[c] for r in rows]
        if c in _FLOAT_COLUMNS:
            data[c] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif c in ("n", "antal_enheter") or (c == "inaktuell" and columns is not UNIT_ROW_COLUMNS):
            data[c] = np.array(values, dtype="int64")
        elif c in ("suppressed", "inaktuell"):
            data[c] = np.array(values, dtype=bool)
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            data[c] = array
    return pd.DataFrame(data, columns=columns, copy=False)


@cached
def waits_table(
    wh: Warehouse,
    kva: str,
    period: int,
    level: str = "unit",
    filters: Filters = NO_FILTERS,
    suppress_below: int = 5,
    stale_days: int = STALE_DAYS,
) -> WaitsResult:
    """The table view: n, median, p90, share within 90 days, ASA 3–4 share and
    freshness per unit (or region) for a KVÅ group, window and filters.

    ``level="nation"`` gives one row (id ``SE``, "Hela riket") pooling every
    operation, for a national reference line; its ``inaktuell`` counts the
    inaktuella units among those listed, like a region's.

    Rows are ordered by median wait (suppressed rows last), then n descending,
    then name. The statistics and the suppression are one SQL statement over
    the sorted operations table; unit and region names are joined from small
    per-snapshot look-ups."""
    kva = normalise_kva(kva)
    period = _check_period(period)
    if level not in QUERY_LEVELS:
        raise QueryError(f"level must be 'unit', 'region' or 'nation', got {level!r}")
    filters = filters or NO_FILTERS
    source = source_for(kva)
    filters.check(kva, source)
    d = data_date(wh, source)
    base = dict(kva=kva, titel=group_titles(wh).get(kva), source=source, data_date=d, period=period,
                level=level, demo=is_demo(wh), filters=filters, suppress_below=suppress_below,
                stale_days=stale_days)
    if d is None:
        return WaitsResult(rows=_empty_rows(level), **base)

    fsql, fparams = filters.sql()
    params = {"kva": kva, "src": source, "d": d, "lo": d - dt.timedelta(days=period), **fparams}
    k = int(suppress_below)
    asa = asa34_counts(wh) if source == "spor" else {}
    stats = []
    for row_id, n, q, a90, extra in wh.rows(_waits_sql(level, fsql), params):
        shown = n >= k  # suppression: no statistics below k operations
        n_asa, n34 = asa.get((level, kva, row_id), (0, 0))
        stats.append({
            "id": row_id, "n": n, "suppressed": not shown,
            "median": q[0] if shown else None, "p90": q[1] if shown else None,
            "andel_inom_90": a90 if shown else None,
            # share of ASA 3-4 among those with an ASA class, on its own n (>= k too)
            "asa34_andel": n34 / n_asa if shown and n_asa >= k else None,
            ("op_region" if level == "unit" else "units"): extra,
        })
    # Freshness: each unit's latest operation of the source (one scan per snapshot).
    latest = latest_operations(wh, source)
    stale_before = (d - dt.timedelta(days=stale_days)).isoformat()  # this day and earlier: too old
    regions = region_table(wh)
    if level == "unit":
        catalogue = unit_catalogue(wh)
        for row in stats:
            unit = catalogue.get(row["id"], {})
            row.update(unit)
            row["namn"] = unit.get("namn") or row["id"]
            row["region_kod"] = unit.get("region_kod") or row.pop("op_region")
            row["region_namn"] = regions.get(row["region_kod"], (None, None, None))[0]
            row["senaste_operation"] = latest.get(row["id"])
            row["inaktuell"] = not (row["senaste_operation"] or "") > stale_before
    else:
        for row in stats:
            units = row.pop("units")
            namn, lat, lon = regions.get(row["id"], (None, None, None))
            if level == "nation":
                namn, lat, lon = "Hela riket", None, None
            row.update(namn=namn or row["id"], region_kod=row["id"] if level == "region" else None,
                       region_namn=namn if level == "region" else None, lat=lat, lon=lon,
                       antal_enheter=len(units))
            row["inaktuell"] = sum(1 for u in units if not latest.get(u, "") > stale_before)
            row["senaste_operation"] = max((latest.get(u, "") for u in units), default="") or None
    stats.sort(key=_sort_key)
    cols = UNIT_ROW_COLUMNS if level == "unit" else REGION_ROW_COLUMNS
    return WaitsResult(row_records=tuple({c: r[c] for c in cols} for r in stats), **base)


# ---------------------------------------------------------------------------
# 18-month trend
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TrendResult:
    kva: str
    titel: str | None
    source: str
    data_date: dt.date | None
    unit: str | None
    region: str | None
    # month 'YYYY-MM', n, median, p90, andel_inom_90, suppressed: the frame given,
    # or one built from month_records on first use (~1 ms each; the page needs none).
    months: pd.DataFrame = _FrameFromRecords()
    demo: bool = False
    filters: Filters = NO_FILTERS
    suppress_below: int = 5
    month_records: tuple = field(default=(), repr=False, compare=False)

    def _build_frame(self) -> pd.DataFrame:
        return _months_frame(self.month_records)

    @property
    def scope(self) -> str:
        return "unit" if self.unit else "region" if self.region else "nation"

    def records(self) -> list[dict]:
        """The months as JSON-safe dicts (None for a suppressed statistic)."""
        if self.month_records:
            return [dict(m) for m in self.month_records]
        return records(self.months)


def trend_months(d: dt.date, count: int = TREND_MONTHS) -> list[str]:
    """The ``count`` calendar months ending with the month of ``d``, oldest first."""
    first = pd.Period(d, "M") - (count - 1)
    return [str(first + i) for i in range(count)]


@cached
def trend(
    wh: Warehouse,
    kva: str,
    unit: str | None = None,
    region: str | None = None,
    filters: Filters = NO_FILTERS,
    suppress_below: int = 5,
) -> TrendResult:
    """n, median, p90 (and share within 90 days) per calendar month for the 18
    months ending with D's month — for one unit, one region or the nation."""
    kva = normalise_kva(kva)
    if unit and region:
        raise QueryError("give unit or region, not both")
    filters = filters or NO_FILTERS
    source = source_for(kva)
    filters.check(kva, source)
    d = data_date(wh, source)
    base = dict(kva=kva, titel=group_titles(wh).get(kva), source=source, data_date=d, unit=unit or None,
                region=region or None, demo=is_demo(wh), filters=filters, suppress_below=suppress_below)
    cols = ["month", "n", "median", "p90", "andel_inom_90", "suppressed"]
    if d is None:
        return TrendResult(months=pd.DataFrame(columns=cols), **base)
    months = trend_months(d)
    fsql, params = filters.sql()
    params.update(kva=kva, src=source, d=d, first=pd.Period(months[0], "M").start_time.date())
    scope = ""
    if unit:
        scope, params["unit"] = " AND vardenhet_hsaid = $unit", unit
    elif region:
        scope, params["region"] = " AND region_kod = $region", region
    found = {
        (y, m): (n, q, a90)
        for y, m, n, q, a90 in wh.rows(
            f"""
            SELECT year(operation_datum) AS y, month(operation_datum) AS m, {MONTH_STATS}
            FROM operations
            WHERE kva_grupp = $kva AND source = $src AND NOT akut
              AND operation_datum >= $first AND operation_datum <= $d {fsql}{scope}
            GROUP BY y, m
            """,
            params,
        )
    }
    return _trend_result(base, months, found, suppress_below)


def _trend_result(base: dict, months: list[str], found: dict, suppress_below: int) -> TrendResult:
    """A TrendResult from {(year, month): (n, [median, p90], share within 90)}; months
    without operations get n = 0, suppressed months no statistics."""
    recs = []
    for month in months:
        n, q, a90 = found.get((int(month[:4]), int(month[5:])), (0, None, None))
        ok = n >= suppress_below and q is not None
        recs.append({"month": month, "n": n, "median": q[0] if ok else None, "p90": q[1] if ok else None,
                     "andel_inom_90": a90 if ok else None, "suppressed": n < suppress_below})
    return TrendResult(month_records=tuple(recs), **base)


TREND_COLUMNS = ["month", "n", "median", "p90", "andel_inom_90", "suppressed"]


def _months_frame(recs) -> pd.DataFrame:
    """Trend months as a DataFrame: statistics float64 (NaN when suppressed), n int64."""
    if not recs:
        return pd.DataFrame(columns=TREND_COLUMNS)
    month_array = np.empty(len(recs), dtype=object)
    month_array[:] = [r["month"] for r in recs]
    floats = {c: np.array([np.nan if r[c] is None else r[c] for r in recs], dtype="float64")
              for c in ("median", "p90", "andel_inom_90")}
    return pd.DataFrame({
        "month": month_array, "n": np.array([r["n"] for r in recs], dtype="int64"), **floats,
        "suppressed": np.array([r["suppressed"] for r in recs], dtype=bool),
    }, columns=TREND_COLUMNS, copy=False)


@cached
def unit_trends(
    wh: Warehouse,
    kva: str,
    unit: str,
    region: str | None,
    filters: Filters = NO_FILTERS,
    suppress_below: int = 5,
) -> tuple[TrendResult, TrendResult | None, TrendResult]:
    """The unit page's three trends (the unit's, its region's, the nation's),
    each exactly what :func:`trend` gives for that scope (a test compares them).
    Unfiltered, the region's and the nation's months are read from the
    snapshot's trend_summary and only the unit's rows are scanned; filtered (or
    in a snapshot without trend_summary) one scan answers all three.
    ``region`` None: no regional trend (second item None)."""
    kva = normalise_kva(kva)
    filters = filters or NO_FILTERS
    source = source_for(kva)
    filters.check(kva, source)
    d = data_date(wh, source)
    common = dict(kva=kva, titel=group_titles(wh).get(kva), source=source, data_date=d, demo=is_demo(wh),
                  filters=filters, suppress_below=suppress_below)
    scopes = [dict(unit=unit or None, region=None), dict(unit=None, region=region or None),
              dict(unit=None, region=None)]
    if d is None:
        empty = pd.DataFrame(columns=["month", "n", "median", "p90", "andel_inom_90", "suppressed"])
        out = [TrendResult(months=empty, **common, **sc) for sc in scopes]
        return out[0], (out[1] if region else None), out[2]
    months = trend_months(d)
    fsql, params = filters.sql()
    params.update(kva=kva, src=source, d=d, first=pd.Period(months[0], "M").start_time.date(), unit=unit,
                  region=region or "")

    if not fsql and has_trend_summary(wh):
        # Unfiltered (the unit page): the region's and the nation's months come
        # from the per-snapshot trend_summary; only the unit's rows are scanned.
        by_scope: dict[str, dict] = {region or NATION_SCOPE: {}, NATION_SCOPE: {}}
        for scope_id, y, m, n, q, a90 in wh.rows(
            "SELECT scope_id, y, m, n, q, a90 FROM trend_summary "
            "WHERE kva_grupp = $kva AND source = $src AND scope_id IN ($region, $nation)",
            dict(kva=kva, src=source, region=region or NATION_SCOPE, nation=NATION_SCOPE),
        ):
            by_scope[scope_id][(y, m)] = (n, q, a90)
        own = trend(wh, kva, unit=unit, suppress_below=suppress_below)
        nation = _trend_result({**common, **scopes[2]}, months, by_scope[NATION_SCOPE], suppress_below)
        if not region:
            return own, None, nation
        return own, _trend_result({**common, **scopes[1]}, months, by_scope[region], suppress_below), nation

    def stats(cond: str) -> str:
        where = f" FILTER (WHERE {cond})" if cond else ""
        return (f"count(*){where}, quantile_cont(vantedagar, [0.5, 0.9]){where}, "
                f"avg(CASE WHEN vantedagar <= {WITHIN_DAYS} THEN 1.0 ELSE 0.0 END){where}")

    rows = wh.rows(
        f"""
        SELECT year(operation_datum) AS y, month(operation_datum) AS m,
               {stats("vardenhet_hsaid = $unit")}, {stats("region_kod = $region")}, {stats("")}
        FROM operations
        WHERE kva_grupp = $kva AND source = $src AND NOT akut
          AND operation_datum >= $first AND operation_datum <= $d {fsql}
        GROUP BY y, m
        """,
        params,
    )
    found: list[dict] = [{}, {}, {}]
    for y, m, *values in rows:
        for i in range(3):
            n, q, a90 = values[3 * i: 3 * i + 3]
            if n:  # a month without operations of the scope is absent, as in trend()
                found[i][(y, m)] = (n, q, a90)
    out = [_trend_result({**common, **sc}, months, f, suppress_below) for sc, f in zip(scopes, found)]
    return out[0], (out[1] if region else None), out[2]


@per_snapshot
def has_trend_summary(wh: Warehouse) -> bool:
    """Whether the snapshot carries trend_summary (built by the ETL since it existed)."""
    rows = wh.rows("SELECT value FROM snapshot_info WHERE key = 'trend_summary_months'")
    return bool(rows) and rows[0][0] == str(TREND_SUMMARY_MONTHS)


# ---------------------------------------------------------------------------
# Meta and catalogue search
# ---------------------------------------------------------------------------

@cached
def meta(wh: Warehouse) -> dict:
    """What is loaded: per source data date and record count, files, demo flag, snapshot id."""
    sources = []
    for source, d, records_, files, last in wh.rows(
        "SELECT source, data_date, records, files_loaded, last_loaded_at FROM sources ORDER BY source"
    ):
        sources.append({
            "source": source, "data_date": _to_date(d), "records": int(records_),
            "files_loaded": int(files or 0),
            "last_loaded_at": last.isoformat(timespec="seconds") if isinstance(last, dt.datetime) else last,
        })
    info = dict(wh.rows("SELECT key, value FROM snapshot_info"))
    files = wh.rows("SELECT count(*) FROM load_history WHERE outcome = 'loaded'")[0][0]
    return {
        "snapshot_id": wh.snapshot_id,
        "demo": is_demo(wh),
        "created_at": info.get("created_at"),
        "schema_version": info.get("schema_version"),
        "sources": sources,
        "files_loaded": int(files),
        "units": int(wh.rows("SELECT count(*) FROM units")[0][0]),
    }


def _fold(text: str) -> str:
    """Lower case without accents (å -> a, ä -> a, ö -> o, é -> e)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@cached
def kva_search(wh: Warehouse, q: str, limit: int = 20) -> list[dict]:
    """Catalogue search: free text over Swedish titles (case- and accent-insensitive:
    "kna" finds "knä") or a group/code prefix ("NGB", "ngb1"). Groups first, then
    exact code, then groups with data; each result: kod, titel, ar_grupp, grupp,
    kalla, har_data (counted operations of its group stored)."""
    q = (q or "").strip()
    if not q:
        return []
    tokens = [_fold(t) for t in q.split() if t]
    conds, params = [], {}
    for i, tok in enumerate(tokens):
        params[f"t{i}"] = tok
        conds.append(
            f"(contains(strip_accents(lower(titel)), $t{i}) OR starts_with(lower(kod), $t{i}))"
        )
    rows = wh.rows(
        f"SELECT kod, titel, ar_grupp FROM kva WHERE {' AND '.join(conds)}", params
    )
    # Built-in groups missing from the warehouse catalogue still count.
    seen = {r[0] for r in rows}
    for kod, titel in reference.kva_groups().items():
        if kod not in seen and all(t in _fold(titel) or kod.lower().startswith(t) for t in tokens):
            rows.append((kod, titel, True))
    with_data = groups_with_data(wh)
    exact = q.upper()
    first = tokens[0] if tokens else ""
    results = []
    for kod, titel, ar_grupp in rows:
        grupp = kod[:3]
        results.append({
            "kod": kod, "titel": titel, "ar_grupp": bool(ar_grupp), "grupp": grupp,
            "kalla": reference.source_for_group(grupp), "har_data": grupp in with_data,
        })

    def rank(r):
        folded = _fold(r["titel"] or "")
        pos = folded.find(first)
        return (
            not r["ar_grupp"], r["kod"] != exact, not r["har_data"],
            pos if pos >= 0 else 999, r["titel"] or "", r["kod"],
        )

    results.sort(key=rank)
    return results[: max(0, int(limit))]


# ---------------------------------------------------------------------------
# The unit page
# ---------------------------------------------------------------------------

@cached
def unit_info(wh: Warehouse, hsaid: str, stale_days: int = STALE_DAYS) -> dict | None:
    """The unit's catalogue data and, per source it reports to, its latest
    operation and freshness flag. None for an unknown HSA-ID."""
    rows = wh.df(
        "SELECT vardenhet_hsaid AS id, namn, sjukhus, ort, region_kod, agarform, lat, lon "
        "FROM units WHERE vardenhet_hsaid = $h",
        {"h": hsaid},
    )
    if rows.empty:
        return None
    info = records(rows)[0]
    info["region_namn"] = region_names(wh).get(info["region_kod"])
    dates = data_dates(wh)
    info["senaste_operation"], info["inaktuell"] = {}, {}
    for source, last in wh.rows(
        "SELECT source, max(operation_datum) FROM operations WHERE vardenhet_hsaid = $h GROUP BY source",
        {"h": hsaid},
    ):
        last = _to_date(last)
        d = dates.get(source)
        info["senaste_operation"][source] = last
        info["inaktuell"][source] = bool(d is not None and last <= d - dt.timedelta(days=stale_days))
    info["demo"] = is_demo(wh)
    return info


@cached
def unit_group_mix(wh: Warehouse, hsaid: str, period: int = 365) -> pd.DataFrame:
    """Counted operations per KVÅ group at the unit in the window (D - period, D]
    of each group's source: kva_grupp, titel, kalla, n, andel (of the unit's total)."""
    period = _check_period(period)
    dates = data_dates(wh)
    parts, params = [], {"h": hsaid}
    for source in ("spor", "ncr"):
        d = dates.get(source)
        if d is None:
            continue
        params[f"d_{source}"], params[f"lo_{source}"] = d, d - dt.timedelta(days=period)
        parts.append(
            f"(source = '{source}' AND operation_datum > $lo_{source} AND operation_datum <= $d_{source})"
        )
    cols = ["kva_grupp", "titel", "kalla", "n", "andel"]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = wh.df(
        f"""
        SELECT kva_grupp, source AS kalla, count(*) AS n
        FROM operations
        WHERE vardenhet_hsaid = $h AND NOT akut AND ({' OR '.join(parts)})
        GROUP BY kva_grupp, source
        ORDER BY n DESC, kva_grupp
        """,
        params,
    )
    titles = group_titles(wh)
    df["titel"] = df["kva_grupp"].map(titles)
    df["n"] = df["n"].astype(int)
    total = df["n"].sum()
    df["andel"] = df["n"] / total if total else float("nan")
    return df[cols].reset_index(drop=True)


CASE_MIX_DIMENSIONS = {
    "spor": [("asa", "asa_klass", [str(a) for a in ASA_CLASSES]), ("prio", "bortre_tidsgrans", list(PRIO_CATEGORIES))],
    "ncr": [("anestesi", "anestesi", list(ANESTESI_CATEGORIES))],
}


@cached
def unit_case_mix(wh: Warehouse, hsaid: str, kva: str, period: int = 365) -> pd.DataFrame:
    """The unit's counted operations of the group in (D - period, D] by ASA class
    and medical priority (SPOR) or anaesthesia (NCR). Columns: dimension
    ('asa'|'prio'|'anestesi'), kategori (the class, or 'saknas' when not recorded),
    n, andel (of the unit's operations in the group and window; every category
    is present, 0 when none)."""
    kva = normalise_kva(kva)
    period = _check_period(period)
    source = source_for(kva)
    d = data_date(wh, source)
    cols = ["dimension", "kategori", "n", "andel"]
    out = []
    for dim, column, categories in CASE_MIX_DIMENSIONS[source]:
        counts = {}
        if d is not None:
            counts = {
                ("saknas" if k is None else str(k)): int(n)
                for k, n in wh.rows(
                    f"""
                    SELECT {column}, count(*) FROM operations
                    WHERE kva_grupp = $kva AND source = $src AND NOT akut AND vardenhet_hsaid = $h
                      AND operation_datum > $lo AND operation_datum <= $d
                    GROUP BY {column}
                    """,
                    {"kva": kva, "src": source, "h": hsaid, "d": d, "lo": d - dt.timedelta(days=period)},
                )
            }
        total = sum(counts.values())
        for cat in categories + ["saknas"]:
            n = counts.get(cat, 0)
            out.append((dim, cat, n, n / total if total else float("nan")))
    return pd.DataFrame(out, columns=cols)


@cached
def unit_vtd(wh: Warehouse, hsaid: str, kva: str | None = None) -> pd.DataFrame:
    """The unit's monthly wait-time-database figures for the operation phase
    (fas 2), summed over its groups (or for one group), oldest first.
    Columns and measures: see :func:`vtd_monthly`."""
    return vtd_monthly(wh, unit=hsaid, kva=kva)


@cached
def vtd_monthly(wh: Warehouse, unit: str | None = None, region: str | None = None,
                kva: str | None = None) -> pd.DataFrame:
    """Monthly wait-time-database figures for the operation phase (fas 2) of a
    unit, a region or the nation (neither given), for one KVÅ group or all,
    oldest month first. The units' counts are summed before dividing (METRICS.md).

    Columns: period, vantande, vantande_over_90, nya, genomforda,
    genomforda_inom_90, andel_vantande_inom_90 = (vantande - vantande_over_90) /
    vantande, andel_genomforda_inom_90 = genomforda_inom_90 / genomforda (NaN
    when the denominator is 0), netto_inflode = nya - genomforda (NaN when a
    row of the month lacks nya), kotid_manader = vantande / mean genomforda of
    this and the two previous months (NaN unless all three months are reported
    and their mean is above 0)."""
    if unit and region:
        raise QueryError("give unit or region, not both")
    where, params = ["fas = 2"], {}
    if unit:
        where.append("vardenhet_hsaid = $unit")
        params["unit"] = unit
    elif region:
        where.append("region_kod = $region")
        params["region"] = region
    if kva:
        where.append("kva_grupp = $kva")
        params["kva"] = normalise_kva(kva)
    df = wh.df(
        f"""
        SELECT period, sum(vantande) AS vantande, sum(vantande_over_90) AS vantande_over_90,
               CASE WHEN count(nya) = count(*) THEN sum(nya) END AS nya,
               sum(genomforda) AS genomforda, sum(genomforda_inom_90) AS genomforda_inom_90
        FROM vtd
        WHERE {' AND '.join(where)}
        GROUP BY period ORDER BY period
        """,
        params,
    )
    return vtd_measures(df)


def vtd_measures(df: pd.DataFrame) -> pd.DataFrame:
    """Add the METRICS.md wait-time-database measures to monthly summed counts
    (columns period, vantande, vantande_over_90, nya, genomforda, genomforda_inom_90)."""
    df = df.copy()
    for col in ("vantande", "vantande_over_90", "genomforda", "genomforda_inom_90"):
        df[col] = df[col].astype("int64")
    df["nya"] = df["nya"].astype("float64")
    v, g = df["vantande"].astype("float64"), df["genomforda"].astype("float64")
    df["andel_vantande_inom_90"] = ((v - df["vantande_over_90"]) / v).where(v > 0)
    df["andel_genomforda_inom_90"] = (df["genomforda_inom_90"] / g).where(g > 0)
    df["netto_inflode"] = df["nya"] - g
    periods = [pd.Period(p, "M") for p in df["period"]]
    by_period = dict(zip(periods, g))
    kotid = []
    for p, queue in zip(periods, v):
        last3 = [by_period.get(p - k) for k in range(3)]
        if any(x is None for x in last3) or sum(last3) <= 0:
            kotid.append(float("nan"))
        else:
            kotid.append(queue / (sum(last3) / 3))
    df["kotid_manader"] = kotid
    return df.reset_index(drop=True)


@cached
def unit_groups(wh: Warehouse, hsaid: str) -> pd.DataFrame:
    """Every KVÅ group the unit has counted operations in (any date), for a
    selector: kva_grupp, titel, kalla, n (all stored), senaste (latest date);
    most operated first."""
    df = wh.df(
        """
        SELECT kva_grupp, source AS kalla, count(*) AS n, max(operation_datum) AS senaste
        FROM operations WHERE vardenhet_hsaid = $h AND NOT akut
        GROUP BY kva_grupp, source ORDER BY n DESC, kva_grupp
        """,
        {"h": hsaid},
    )
    df["titel"] = df["kva_grupp"].map(group_titles(wh))
    df["senaste"] = [_to_date(v) for v in df["senaste"]]
    df["n"] = df["n"].astype(int)
    return df[["kva_grupp", "titel", "kalla", "n", "senaste"]]


@cached
def towns(wh: Warehouse) -> pd.DataFrame:
    """Towns of the unit catalogue with a position (mean of their units'
    coordinates), for the patient's-town distance: ort, region_kod, lat, lon."""
    return wh.df(
        """
        SELECT ort, any_value(region_kod) AS region_kod, avg(lat) AS lat, avg(lon) AS lon
        FROM units WHERE ort IS NOT NULL AND trim(ort) <> '' AND lat IS NOT NULL AND lon IS NOT NULL
        GROUP BY ort ORDER BY ort
        """
    )
