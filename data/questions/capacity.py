"""Regional kapacitet (/kapacitet, /api/v1/capacity): for a region, per KVÅ
group the waiting list against production from the wait-time database,
out-of-region care from the registers' ``patient_lan``, and the units
elsewhere with shorter waits (METRICS.md "Wait-time database", "Out-of-region
care", "Capacity elsewhere").

Small numbers: a count of 1-4 is hidden with what is computed from it (the
wait-time measures through month_measures, the flows as "<5" with
complementary suppression of each region's outflows and inflows, a share
whose numerator, denominator or complement is small)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from data import geo
from data.context import cached
from data.questions.lookups import (QueryError, check_period, data_date, group_titles, has_view_summaries, is_demo,
                                    normalise_kva)
from data.questions.vtd import month_measures
from data.questions.waits import waits_table
from data.reference import NCR_GROUPS, regions as reference_regions
from data.suppression import hidden_parts, is_small
from data.tables import Column, Table, title_block
from data.warehouse import Warehouse

SERIES_MONTHS = 24


@dataclass(frozen=True)
class CapacityResult:
    region_kod: str
    region_namn: str
    kva: str | None
    period: int
    data_date: dt.date | None          # the wait-time database's (last day of M)
    groups: tuple[dict, ...] = ()
    months: tuple[dict, ...] = ()
    utomlans: tuple[dict, ...] = ()
    floden: tuple[dict, ...] = ()
    alternativ: tuple[dict, ...] = ()
    region_median: float | None = None
    register_date: dt.date | None = None
    titles: dict | None = None
    demo: bool = False
    suppress_below: int = 5


@cached
def capacity(wh: Warehouse, region: str, kva: str | None = None, period: int = 90,
             suppress_below: int = 5) -> CapacityResult:
    if region not in reference_regions():
        raise QueryError(f"unknown region {region!r}")
    period = check_period(period)
    kva = normalise_kva(kva) if kva else None
    k = int(suppress_below)
    groups, months, vtd_date = _queues(wh, region, kva, k)
    utomlans, floden = _out_of_region(wh, region, kva, k)
    alternativ, region_median, register_date = _elsewhere(wh, region, kva, period, k) if kva else ((), None, None)
    return CapacityResult(region_kod=region, region_namn=reference_regions()[region].namn, kva=kva, period=period,
                          data_date=vtd_date, groups=groups, months=months, utomlans=utomlans, floden=floden,
                          alternativ=alternativ, region_median=region_median, register_date=register_date,
                          titles=group_titles(wh), demo=is_demo(wh), suppress_below=k)


# ---- the waiting list against production -------------------------------------------------

def _queues(wh, region, kva, k):
    """Every group of the region at M (the planner's overview: the months M-2..M
    are all its measures need) and the chosen group's monthly series."""
    vtd_date = data_date(wh, "vtd")          # the last day of the latest month M (per snapshot)
    if vtd_date is None:
        return (), (), None
    m = pd.Period(vtd_date, "M")
    window = {str(m - i) for i in range(3)}
    series_from = str(m - (SERIES_MONTHS - 1))
    if has_view_summaries(wh):  # one row per region, group and month already (etl/derived.py)
        sql = """SELECT kva_grupp, period, vantande, vantande_over_90, nya, genomforda, genomforda_inom_90
                 FROM vtd_region_months WHERE region_kod = $region
                   AND (period >= $from OR (kva_grupp = $kva AND period >= $series))
                 ORDER BY kva_grupp, period"""
    else:
        sql = """SELECT kva_grupp, period, sum(vantande), sum(vantande_over_90),
                        CASE WHEN count(nya) = count(*) THEN sum(nya) END, sum(genomforda), sum(genomforda_inom_90)
                 FROM vtd WHERE fas = 2 AND kva_grupp IS NOT NULL AND region_kod = $region
                   AND (period >= $from OR (kva_grupp = $kva AND period >= $series))
                 GROUP BY kva_grupp, period ORDER BY kva_grupp, period"""
    found = wh.rows(sql,
        {"region": region, "from": str(m - 2), "kva": kva or "", "series": series_from})
    if not found:
        return (), (), None
    per_group: dict[str, list[dict]] = {}
    for group, period, v, over, nya, g, g90 in found:
        per_group.setdefault(group, []).append({"period": period, "vantande": v, "vantande_over_90": over, "nya": nya,
                                                "genomforda": g, "genomforda_inom_90": g90})
    groups, months = [], []
    for group, rows in per_group.items():
        measured = month_measures(rows, k)
        by = {r["period"]: r for r in measured}
        now = by.get(str(m)) or {}
        recent = [by[p] for p in sorted(window) if p in by]
        nets = [r["netto_inflode"] for r in recent]
        growing = None if not recent or any(x is None for x in nets) else sum(nets) > 0
        groups.append({"kva": group, **{key: now.get(key) for key in GROUP_KEYS[1:-1]}, "vaxande": growing})
        if group == kva:
            months += [{"month": r["period"], "kva": group, "vantande": r["vantande"], "nya": r["nya"],
                        "genomforda": r["genomforda"], "netto_inflode": r["netto_inflode"]}
                       for r in measured if r["period"] >= series_from]
    groups.sort(key=lambda g: (g["vaxande"] is not True, -(g["vantande"] or 0), g["kva"]))
    return tuple(groups), tuple(months), m.end_time.date()


# ---- out-of-region care -------------------------------------------------------------------

def _share(num: int, den: int, k: int) -> float | None:
    """num/den, hidden when either count or the complement is small (1..k-1)."""
    if not den or is_small(num, k) or is_small(den, k) or is_small(den - num, k):
        return None
    return num / den


def _flow_source(wh) -> str:
    """The flow counts: the ETL's per-snapshot summary, or computed from the operations (older snapshots)."""
    if has_view_summaries(wh):
        return "flow_counts"
    return ("(SELECT kva_grupp, year(operation_datum) AS ar, patient_lan, region_kod, count(*) AS n FROM operations "
            "WHERE NOT akut AND patient_lan IS NOT NULL GROUP BY ALL)")


def _out_of_region(wh, region, kva, k):
    """Out-of-region shares for every group (or the chosen one) by year, summed in
    SQL; the flows between regions of the chosen group only."""
    params = {"region": region}
    extra = ""
    if kva:
        extra, params["kva"] = " AND kva_grupp = $kva", kva
    source = _flow_source(wh)
    utomlans = []
    for group, ar, own, elsewhere, performed, from_elsewhere in wh.rows(f"""
            SELECT kva_grupp, ar,
                   sum(n) FILTER (WHERE patient_lan = $region),
                   sum(n) FILTER (WHERE patient_lan = $region AND region_kod <> $region),
                   sum(n) FILTER (WHERE region_kod = $region),
                   sum(n) FILTER (WHERE region_kod = $region AND patient_lan <> $region)
            FROM {source} WHERE (patient_lan = $region OR region_kod = $region){extra}
            GROUP BY kva_grupp, ar ORDER BY kva_grupp, ar""", params):
        utomlans.append({"kva": group, "ar": int(ar),
                         "andel_opererade_i_annan_region": _share(int(elsewhere or 0), int(own or 0), k),
                         "andel_patienter_fran_annan_region": _share(int(from_elsewhere or 0), int(performed or 0), k)})
    floden = []
    if kva:
        by_year: dict[int, list] = {}
        for ar, fran, till, n in wh.rows(f"""
                SELECT ar, patient_lan, region_kod, n FROM {source}
                WHERE (patient_lan = $region OR region_kod = $region) AND kva_grupp = $kva
                ORDER BY ar, patient_lan, region_kod""", params):
            by_year.setdefault(int(ar), []).append((fran, till, int(n)))
        for ar, pairs in sorted(by_year.items()):
            # The region's patients by performing region, and its operations by home region;
            # complementary suppression within each of the two wholes (ordered by region code).
            out = sorted((p for p in pairs if p[0] == region), key=lambda p: p[1])
            into = sorted((p for p in pairs if p[1] == region and p[0] != region), key=lambda p: p[0])
            hidden_out = hidden_parts([n for *_, n in out], k)
            hidden_in = hidden_parts([n for *_, n in into], k)
            for (fran, till, n), hidden in list(zip(out, hidden_out)) + list(zip(into, hidden_in)):
                floden.append({"kva": kva, "ar": ar, "fran_region": fran, "till_region": till,
                               "n": None if hidden else n, "suppressed": hidden})
    return tuple(utomlans), tuple(floden)


# ---- capacity elsewhere ------------------------------------------------------------------

def _elsewhere(wh, region, kva, period, k):
    """Units outside the region whose (shown) median is below the region's pooled median."""
    regions_ = {r["id"]: r for r in waits_table(wh, kva, period, "region", suppress_below=k).row_records}
    own = regions_.get(region)
    register_date = data_date(wh, "ncr" if kva in NCR_GROUPS else "spor")
    if own is None or own["median"] is None:
        return (), None, register_date
    units = [r for r in waits_table(wh, kva, period, "unit", suppress_below=k).row_records
             if r["region_kod"] != region and r["median"] is not None and r["median"] < own["median"]]
    distances = geo.distances_km(units, geo.region_seat(region))
    out = [{"id": r["id"], "namn": r["namn"], "region_kod": r["region_kod"], "n": r["n"], "median": r["median"],
            "avstand_km": distances.get(str(r["id"])), "inaktuell": r["inaktuell"]} for r in units]
    out.sort(key=lambda r: (r["median"], r["avstand_km"] if r["avstand_km"] is not None else 1e9, r["id"]))
    return tuple(out), own["median"], register_date


# ---- JSON and tables -------------------------------------------------------------------

GROUP_KEYS = ("kva", "vantande", "vantande_over_90", "andel_vantande_inom_90", "nya", "genomforda",
              "netto_inflode", "kotid_manader", "vaxande")
ALT_KEYS = ("id", "namn", "region_kod", "n", "median", "avstand_km")


def to_json(result: CapacityResult) -> dict:
    return {
        "region_kod": result.region_kod,
        "data_date": result.data_date.isoformat() if result.data_date else None,
        "groups": [{k: g[k] for k in GROUP_KEYS} for g in result.groups],
        "months": [dict(m) for m in result.months],
        "utomlans": [dict(u) for u in result.utomlans],
        "floden": [dict(f) for f in result.floden],
        "alternativ": [{k: a[k] for k in ALT_KEYS} for a in result.alternativ] if result.kva else [],
        "region_namn": result.region_namn, "kva": result.kva, "period": result.period,
        "region_median": result.region_median,
        "register_data_date": result.register_date.isoformat() if result.register_date else None,
        "demo": result.demo, "suppress_below": result.suppress_below,
    }


GROUP_COLUMNS = (
    Column("kva", "KVÅ-grupp", "text"),
    Column("titel", "Åtgärd", "text", value=lambda r: r.get("titel")),
    Column("vantande", "Väntande", "count"), Column("vantande_over_90", "Väntat mer än 90 dagar", "count"),
    Column("andel_vantande_inom_90", "Andel väntande inom 90 dagar", "share"),
    Column("nya", "Nya under månaden", "count"), Column("genomforda", "Genomförda under månaden", "count"),
    Column("netto_inflode", "Nettoinflöde", "int"), Column("kotid_manader", "Kötid (månader)", "days"),
    Column("vaxande_text", "Växande kö", "text",
           value=lambda r: {True: "ja", False: "nej"}.get(r.get("vaxande"), "uppgift saknas")),
)


def table(result: CapacityResult) -> Table:
    """The region's groups as a file (the series, flows and alternatives are in the JSON)."""
    month = result.data_date.strftime("%Y-%m") if result.data_date else "–"
    title = title_block(
        kva=f"Region {result.region_namn}", titel="väntande och genomförda per KVÅ-grupp",
        source_text=f"Källa: Väntetidsdatabasen, månad {month} (operation/åtgärd, fas 2)",
        scope_text="Kötid = väntande / genomsnittligt antal genomförda de tre senaste månaderna; växande kö = "
                   "nettoinflödet de tre senaste månaderna är positivt",
        filters_text=result.kva or "alla grupper", suppress_below=result.suppress_below, demo=result.demo)
    rows = [{**g, "titel": (result.titles or {}).get(g["kva"])} for g in result.groups]
    stamp = result.data_date.isoformat() if result.data_date else "utan-data"
    return Table(columns=GROUP_COLUMNS, rows=rows, title=title,
                 file_stem=f"kapacitet_region-{result.region_kod}{'_' + result.kva if result.kva else ''}_{stamp}"
                           + ("_DEMO" if result.demo else ""),
                 sheet=f"Region {result.region_kod}", suppress_below=result.suppress_below)
