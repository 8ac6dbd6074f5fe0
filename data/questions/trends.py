"""18-month trends (the unit page, /api/v1/trend): n, median, p90 and share
within 90 days per calendar month of a unit, a region or the nation."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.context import cached
from data.params import NO_FILTERS, Filters
from data.questions.lookups import (FrameFromRecords, QueryError, data_date, group_titles, has_trend_summary, is_demo,
                                    normalise_kva, records, source_for)
from data.schema import MONTH_STATS, NATION_SCOPE, WITHIN_DAYS
from data.suppression import is_small
from data.tables import Column, Table, title_block
from data.vocabulary import TREND_MONTHS, filters_text, source_line
from data.warehouse import Warehouse


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
    months: pd.DataFrame = FrameFromRecords()
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
    d = base.get("data_date")
    # The month of D holds only the days up to D unless D is its last day: said as such.
    partial_month = (f"{d.year:04d}-{d.month:02d}" if d is not None
                     and (d + dt.timedelta(days=1)).month == d.month else None)
    for month in months:
        n, q, a90 = found.get((int(month[:4]), int(month[5:])), (0, None, None))
        ok = n >= suppress_below and q is not None
        # Small numbers (data/suppression.py): a month of 1..k-1 operations keeps
        # neither its statistics nor its count, here where the month is made.
        recs.append({"month": month, "n": None if is_small(n, suppress_below) else n,
                     "median": q[0] if ok else None, "p90": q[1] if ok else None,
                     "andel_inom_90": a90 if ok else None, "suppressed": n < suppress_below,
                     "partial": month == partial_month})
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
        "month": month_array, "n": pd.array([r["n"] for r in recs], dtype="Int64"), **floats,
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


# ---------------------------------------------------------------------------
# The answer as JSON (the API) and as a table (CSV, XLSX)
# ---------------------------------------------------------------------------

MONTH_KEYS = ("month", "n", "median", "p90", "andel_inom_90", "suppressed", "partial")
COLUMNS = (
    Column("month", "Månad"),
    Column("n", "Antal operationer", "count"),
    Column("median", "Median (dagar)", "days"),
    Column("p90", "90:e percentil (dagar)", "days"),
    Column("andel_inom_90", "Andel inom 90 dagar", "share"),
)


def json_months(result: TrendResult) -> list[dict]:
    """The months for JSON: unrounded, ``null`` statistics when suppressed, and
    ``n`` ``null`` when it lies between 1 and ``suppress_below - 1``."""
    k = result.suppress_below
    out = []
    for m in result.month_records:
        row = {key: m[key] for key in MONTH_KEYS}
        if row["suppressed"] and row["n"] is not None and 0 < row["n"] < k:
            row["n"] = None
        out.append(row)
    return out


def to_json(result: TrendResult) -> dict:
    return {
        "months": json_months(result),
        "kva": result.kva,
        "titel": result.titel,
        "source": result.source,
        "data_date": result.data_date.isoformat() if result.data_date else None,
        "unit": result.unit,
        "region": result.region,
        "filter": result.filters.as_json(),
        "demo": result.demo,
        "suppress_below": result.suppress_below,
    }


def file_stem(result: TrendResult) -> str:
    from data.questions.waits import filters_in_name

    scope = f"_enhet-{result.unit}" if result.unit else f"_region-{result.region}" if result.region else "_riket"
    stamp = result.data_date.isoformat() if result.data_date else "utan-data"
    return (f"trend_{result.kva}{scope}{filters_in_name(result.filters)}_{stamp}"
            + ("_DEMO" if result.demo else ""))


def table(result: TrendResult, scope_name: str | None = None) -> Table:
    scope = {"unit": "enhet", "region": "region", "nation": "hela riket"}[result.scope]
    who = scope_name or result.unit or result.region or ""
    title = title_block(
        kva=result.kva, titel=result.titel, source_text=source_line(result.source, result.data_date),
        scope_text=f"{TREND_MONTHS} kalendermånader per operationsmånad; {scope}{': ' + who if who else ''}",
        filters_text=filters_text(result.filters), suppress_below=result.suppress_below, demo=result.demo,
    )
    return Table(columns=COLUMNS, rows=result.month_records, title=title, file_stem=file_stem(result),
                 sheet=f"{result.kva} {TREND_MONTHS} månader", suppress_below=result.suppress_below)
