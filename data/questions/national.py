"""Nationell utveckling (/nationellt, /api/v1/national): the national monthly
series of one KVÅ group or of every group of a source, each month beside the
same month a year earlier; the 21 regions side by side for a window; and the
wait-time database's waiting lists per month, nationally and per region
(METRICS.md "National and regional trends", "Wait-time database").

The national series pools every operation of the month (one median of all
waits, never a median of regional medians)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from data.context import cached
from data.questions.lookups import (QueryError, check_period, data_date, group_titles, has_view_summaries, is_demo,
                                    normalise_kva)
from data.questions.vtd import month_measures
from data.questions.waits import _hide_small_counts
from data.reference import NCR_GROUPS, regions as reference_regions
from data.schema import MONTH_STATS
from data.suppression import is_small
from data.tables import Column, Table, title_block
from data.vocabulary import source_label, source_line
from data.warehouse import Warehouse

NATIONAL_MONTHS = 36
SOURCES = ("spor", "ncr")


@dataclass(frozen=True)
class NationalResult:
    kva: str | None
    source: str
    titel: str | None
    data_date: dt.date | None
    period: int
    months: tuple[dict, ...] = ()
    regions: tuple[dict, ...] = ()
    vantande: tuple[dict, ...] = ()
    vtd_date: dt.date | None = None
    demo: bool = False
    suppress_below: int = 5

    @property
    def scope_label(self) -> str:
        return f"{self.kva} {self.titel or ''}".strip() if self.kva else f"alla grupper i {source_label(self.source)}"


def _group_sql(kva: str | None, source: str) -> tuple[str, dict]:
    if kva:
        return " AND kva_grupp = $kva", {"kva": kva}
    return "", {}


def months_back(d: dt.date, first_loaded: dt.date | None, count: int = NATIONAL_MONTHS) -> list[str]:
    """The ``count`` calendar months ending with the month of ``d``, or as many as are loaded."""
    last = pd.Period(d, "M")
    first = last - (count - 1)
    if first_loaded is not None:
        first = max(first, pd.Period(first_loaded, "M"))
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _stat(found: dict, month: str, k: int) -> dict:
    n, q, a90 = found.get(month, (0, None, None))
    ok = n >= k and q is not None
    return {"n": None if is_small(n, k) else n, "median": q[0] if ok else None, "p90": q[1] if ok else None,
            "andel_inom_90": a90 if ok else None, "suppressed": n < k}


@cached
def national(wh: Warehouse, kva: str | None = None, source: str | None = None, period: int = 365,
             suppress_below: int = 5) -> NationalResult:
    """The national picture of a group (``kva``) or of every group of ``source``."""
    period = check_period(period)
    if kva:
        kva = normalise_kva(kva)
        source = "ncr" if kva in NCR_GROUPS else "spor"
    elif source not in SOURCES:
        raise QueryError("give kva or source (spor or ncr)")
    k = int(suppress_below)
    d = data_date(wh, source)
    base = dict(kva=kva, source=source, titel=group_titles(wh).get(kva) if kva else None, data_date=d,
                period=period, demo=is_demo(wh), suppress_below=k)
    vantande, vtd_date = _vantande(wh, kva, source, k)
    if d is None:
        return NationalResult(vantande=vantande, vtd_date=vtd_date, **base)
    gsql, gparams = _group_sql(kva, source)
    summaries = has_view_summaries(wh)
    first_loaded = _first_loaded(wh, source, kva, summaries)
    months = months_back(d, first_loaded)
    year_before_first = pd.Period(months[0], "M") - 12
    if summaries:  # built by the ETL once per snapshot (etl/derived.py), the same statistics
        found = {f"{y:04d}-{m:02d}": (n, q, a90) for y, m, n, q, a90 in wh.rows(
            "SELECT y, m, n, q, a90 FROM national_months WHERE source = $src AND kva_grupp = $g",
            {"src": source, "g": kva or "*"})}
    else:
        found = {
            f"{y:04d}-{m:02d}": (n, q, a90)
            for y, m, n, q, a90 in wh.rows(
                f"""SELECT year(operation_datum) AS y, month(operation_datum) AS m, {MONTH_STATS}
                    FROM operations
                    WHERE source = $src AND NOT akut AND operation_datum >= $first AND operation_datum <= $d{gsql}
                    GROUP BY y, m""",
                {"src": source, "first": year_before_first.start_time.date(), "d": d, **gparams})
        }
    month_rows = []
    partial_month = f"{d.year:04d}-{d.month:02d}" if (d + dt.timedelta(days=1)).month == d.month else None
    for month in months:
        row = {"month": month, **_stat(found, month, k), "partial": month == partial_month}
        before = _stat(found, str(pd.Period(month, "M") - 12), k)
        row["median_ar_innan"] = before["median"]
        row["andel_inom_90_ar_innan"] = before["andel_inom_90"]
        month_rows.append(row)
    regions = _regions(wh, source, kva, gsql, gparams, d, period, k, summaries)
    return NationalResult(months=tuple(month_rows), regions=tuple(regions), vantande=vantande, vtd_date=vtd_date,
                          **base)


def _first_loaded(wh, source, kva, summaries) -> dt.date | None:
    """The first month with a counted operation (the series starts there when
    fewer than 36 months are loaded); from the summary when there is one."""
    if summaries:
        # The summary covers 48 months: a first month at its start means "earlier", which
        # months_back's 36 months never reach either.
        y, m = wh.rows("SELECT min(y * 100 + m) // 100, min(y * 100 + m) % 100 FROM national_months "
                       "WHERE source = $src AND kva_grupp = $g", {"src": source, "g": kva or "*"})[0]
        return dt.date(int(y), int(m), 1) if y is not None else None
    gsql, gparams = _group_sql(kva, source)
    return wh.rows(f"SELECT min(operation_datum) FROM operations WHERE source = $src AND NOT akut{gsql}",
                   {"src": source, **gparams})[0][0]


def _regions(wh, source, kva, gsql, gparams, d, period, k, summaries) -> list[dict]:
    """The table view's region-level statistics for the window (pooled per region),
    with the same primary and secondary suppression."""
    stats = []
    names = {kod: r.namn for kod, r in reference_regions().items()}
    if summaries and period in (30, 90, 365):
        found = wh.rows("SELECT region_kod, n, q, a90 FROM region_windows WHERE source = $src AND kva_grupp = $g "
                        "AND period = $p", {"src": source, "g": kva or "*", "p": period})
    else:
        found = wh.rows(
            f"""SELECT region_kod, count(*), quantile_cont(vantedagar, [0.5, 0.9]),
                       avg(CASE WHEN vantedagar <= 90 THEN 1.0 ELSE 0.0 END)
                FROM operations
                WHERE source = $src AND NOT akut AND operation_datum > $lo AND operation_datum <= $d{gsql}
                GROUP BY region_kod""",
            {"src": source, "lo": d - dt.timedelta(days=period), "d": d, **gparams})
    for region_kod, n, q, a90 in found:
        shown = n >= k
        stats.append({"id": region_kod, "region_kod": region_kod, "namn": names.get(region_kod, region_kod),
                      "n": n, "suppressed": not shown, "median": q[0] if shown else None,
                      "p90": q[1] if shown else None, "andel_inom_90": a90 if shown else None})
    _hide_small_counts(stats, "region", k)
    for row in stats:
        if row.get("n_suppressed"):
            row["andel_inom_90"] = None
    stats.sort(key=lambda r: (r["median"] is None, r["median"] or 0.0, r["region_kod"]))
    return [{key: r.get(key) for key in REGION_KEYS} for r in stats]


REGION_KEYS = ("region_kod", "namn", "n", "median", "p90", "andel_inom_90", "suppressed")
VANTANDE_KEYS = ("month", "region_kod", "vantande", "vantande_over_90", "andel_vantande_inom_90", "nya", "genomforda")


def _vantande(wh, kva, source, k) -> tuple[tuple[dict, ...], dt.date | None]:
    """Waiting lists per month from the wait-time database (fas 2), the nation
    (region_kod None) and each region, the units' counts summed before dividing."""
    if kva:
        where, params = "kva_grupp = $kva", {"kva": kva}
    else:
        cmp = "IN" if source == "ncr" else "NOT IN"
        where, params = f"kva_grupp {cmp} ({', '.join(repr(g) for g in sorted(NCR_GROUPS))})", {}
    if kva and has_view_summaries(wh):  # one row per region and month already (etl/derived.py)
        found = wh.rows("""
            SELECT period, region_kod, vantande, vantande_over_90, nya, genomforda, genomforda_inom_90
            FROM vtd_region_months WHERE kva_grupp = $kva ORDER BY period, region_kod""", params)
    else:
        table = "vtd_region_months" if has_view_summaries(wh) else "(SELECT * FROM vtd WHERE fas = 2)"
        found = wh.rows(f"""
            SELECT period, region_kod, sum(vantande), sum(vantande_over_90),
                   CASE WHEN count(nya) = count(*) THEN sum(nya) END, sum(genomforda), sum(genomforda_inom_90)
            FROM {table} WHERE {where} GROUP BY period, region_kod ORDER BY period, region_kod""", params)
    if not found:
        return (), None
    last = pd.Period(max(r[0] for r in found), "M")
    keep = {str(last - i) for i in range(NATIONAL_MONTHS)}
    scopes: dict[str | None, list[dict]] = {None: []}
    nation: dict[str, dict] = {}
    for period, region_kod, v, over, nya, g, g90 in found:
        if period not in keep:
            continue
        row = {"period": period, "vantande": v, "vantande_over_90": over, "nya": nya, "genomforda": g,
               "genomforda_inom_90": g90}
        scopes.setdefault(region_kod, []).append(row)
        total = nation.setdefault(period, {"period": period, "vantande": 0, "vantande_over_90": 0, "nya": 0,
                                           "genomforda": 0, "genomforda_inom_90": 0})
        for key in ("vantande", "vantande_over_90", "genomforda", "genomforda_inom_90"):
            total[key] += int(row[key])
        total["nya"] = None if total["nya"] is None or nya is None else total["nya"] + int(nya)
    scopes[None] = [nation[p] for p in sorted(nation)]
    out = []
    for region_kod, rows in scopes.items():
        for rec in month_measures(rows, k):
            out.append({"month": rec["period"], "region_kod": region_kod,
                        **{key: rec[key] for key in VANTANDE_KEYS[2:]}})
    return tuple(out), last.end_time.date()


# ---- JSON and tables -------------------------------------------------------------------

MONTH_KEYS = ("month", "n", "median", "p90", "andel_inom_90", "suppressed", "median_ar_innan",
              "andel_inom_90_ar_innan", "partial")


def to_json(result: NationalResult) -> dict:
    return {
        "kva": result.kva, "source": result.source,
        "data_date": result.data_date.isoformat() if result.data_date else None,
        "period": result.period,
        "months": [{k: m[k] for k in MONTH_KEYS} for m in result.months],
        "regions": [dict(r) for r in result.regions],
        "vantande": [dict(v) for v in result.vantande],
        "titel": result.titel, "demo": result.demo, "suppress_below": result.suppress_below,
        "vtd_data_date": result.vtd_date.isoformat() if result.vtd_date else None,
    }


MONTH_COLUMNS = (
    Column("month", "Månad", "text"), Column("n", "Antal operationer", "count"),
    Column("median", "Median (dagar)", "days"), Column("p90", "90:e percentil (dagar)", "days"),
    Column("andel_inom_90", "Andel inom 90 dagar", "share"),
    Column("median_ar_innan", "Median ett år tidigare (dagar)", "days"),
    Column("andel_inom_90_ar_innan", "Andel inom 90 dagar ett år tidigare", "share"),
)


def table(result: NationalResult) -> Table:
    """The national monthly series as a file (the regions and waiting lists are in the JSON)."""
    title = title_block(
        kva=result.kva or source_label(result.source), titel=result.titel if result.kva else "alla grupper",
        source_text=source_line(result.source, result.data_date),
        scope_text=f"Hela riket per operationsmånad, {len(result.months)} månader, med samma månad ett år tidigare",
        filters_text="inga filter", suppress_below=result.suppress_below, demo=result.demo)
    stamp = result.data_date.isoformat() if result.data_date else "utan-data"
    name = result.kva or f"alla-{result.source}"
    return Table(columns=MONTH_COLUMNS, rows=result.months, title=title,
                 file_stem=f"nationellt_{name}_{stamp}" + ("_DEMO" if result.demo else ""),
                 sheet=f"{name} per månad", suppress_below=result.suppress_below)
