"""Förväntad väntetid (the Enhet page, Om statistiken, /api/v1/forecast): the
wait a patient placed on the list today can expect, by two named methods
(METRICS.md "Expected wait"), and how far each was from what patients
actually waited in the loaded history (the backtest).

- **Köbaserad** (queue-based), from the wait-time database: väntande at the
  latest month M / the mean of genomförda over M−2..M (a month without a
  delivered row left out), in days (× 30,44) — the time to clear today's
  queue at today's pace (Little's law).
- **Registerbaserad** (register-based): the median wait of the operations of
  the last 90 days before the register's data date (the table view's measure).
- **Backtest**: for every month T of the wait-time database's history at
  least 12 months before the register's data date, both estimates as they
  would have been computed at T's end, against the median actual wait of the
  patients placed on the list in T (start date in T) and operated since.
  Per method: the median absolute error in days and the share of months
  within ±30 days.

Small numbers: an estimate from hidden counts (1–4) or fewer than k
operations is not made, and such a month is left out of the backtest.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import pandas as pd

from data.context import cached
from data.questions.lookups import QueryError, data_date, normalise_kva, source_for
from data.questions.vtd import month_measures
from data.warehouse import Warehouse

DAYS_PER_MONTH = 30.44
BACKTEST_MIN_AGE_MONTHS = 12
WITHIN_DAYS = 30
METHODS = ("kobaserad", "registerbaserad")
METHOD_NAMES = {"kobaserad": "Köbaserad (väntetidsdatabasen)", "registerbaserad": "Registerbaserad (median 90 dagar)"}


@dataclass(frozen=True)
class ForecastResult:
    kva: str
    unit: str | None
    region: str | None
    data_month: str | None                 # M of the wait-time database
    register_date: dt.date | None
    kobaserad_dagar: float | None
    registerbaserad_dagar: float | None
    months: tuple[dict, ...] = ()          # the backtest's months
    backtest: dict = field(default_factory=dict)
    has_vtd: bool = False
    suppress_below: int = 5


def _scope(unit, region) -> tuple[str, dict]:
    if unit and region:
        raise QueryError("give unit or region, not both")
    if unit:
        return " AND vardenhet_hsaid = $unit", {"unit": unit}
    if region:
        return " AND region_kod = $region", {"region": region}
    return "", {}


def _month_end(period: str) -> dt.date:
    return pd.Period(period, "M").end_time.date()


def summarise(errors: list[float]) -> dict:
    """Median absolute error (days) and the share within ±30 days of a method's months."""
    if not errors:
        return {"median_abs_fel_dagar": None, "andel_inom_30": None, "manader": 0}
    return {"median_abs_fel_dagar": float(statistics.median(errors)),
            "andel_inom_30": sum(e <= WITHIN_DAYS for e in errors) / len(errors), "manader": len(errors)}


def verdict(backtest: dict) -> str | None:
    """Which method was closer, in plain Swedish; says so when neither holds ±30 days for half the months."""
    k, r = backtest.get("kobaserad") or {}, backtest.get("registerbaserad") or {}
    if not k.get("manader") or not r.get("manader"):
        return None
    ke, re_ = k["median_abs_fel_dagar"], r["median_abs_fel_dagar"]
    closer, other = ("köbaserade", "registerbaserade") if ke < re_ else ("registerbaserade", "köbaserade")
    diff = abs(ke - re_)
    text = (f"Den {closer} skattningen låg närmare det patienterna faktiskt väntade: i mitten "
            f"{round(min(ke, re_))} dagars fel mot {round(max(ke, re_))} för den {other} "
            f"({round(diff)} dagar närmare).") if diff >= 0.5 else "De två skattningarna var lika nära."
    if (k["andel_inom_30"] or 0) < 0.5 and (r["andel_inom_30"] or 0) < 0.5:
        text += " Ingen av dem låg inom ±30 dagar för ens hälften av månaderna: använd dem som grova riktvärden."
    return text


@cached
def forecast(wh: Warehouse, kva: str, unit: str | None = None, region: str | None = None,
             suppress_below: int = 5) -> ForecastResult:
    kva = normalise_kva(kva)
    source = source_for(kva)
    k = int(suppress_below)
    scope_sql, params = _scope(unit, region)
    params.update(kva=kva, src=source)
    d = data_date(wh, source)
    vtd = wh.rows(f"""
        SELECT period, sum(vantande), sum(vantande_over_90), CASE WHEN count(nya) = count(*) THEN sum(nya) END,
               sum(genomforda), sum(genomforda_inom_90)
        FROM vtd WHERE fas = 2 AND kva_grupp = $kva{scope_sql} GROUP BY period ORDER BY period""",
        {k_: v for k_, v in params.items() if k_ != "src"})
    measured = month_measures([{"period": p, "vantande": v, "vantande_over_90": o, "nya": n, "genomforda": g,
                                "genomforda_inom_90": g9} for p, v, o, n, g, g9 in vtd], k)
    queue = {r["period"]: (None if r["kotid_manader"] is None else r["kotid_manader"] * DAYS_PER_MONTH)
             for r in measured}
    vtd_date = data_date(wh, "vtd")           # M: the wait-time database's latest month, for every unit
    data_month = str(pd.Period(vtd_date, "M")) if vtd_date else None
    base = dict(kva=kva, unit=unit, region=region, data_month=data_month, register_date=d, has_vtd=bool(measured),
                suppress_below=k)
    if d is None:
        return ForecastResult(kobaserad_dagar=queue.get(data_month), registerbaserad_dagar=None, **base)
    now = wh.rows(f"""
        SELECT count(*), quantile_cont(vantedagar, 0.5) FROM operations
        WHERE kva_grupp = $kva AND source = $src AND NOT akut AND operation_datum > $lo AND operation_datum <= $d{scope_sql}""",
        {**params, "lo": d - dt.timedelta(days=90), "d": d})[0]
    register_now = now[1] if now[0] >= k else None
    last_month = pd.Period(d, "M") - BACKTEST_MIN_AGE_MONTHS
    months = [p for p in queue if pd.Period(p, "M") <= last_month]
    rows = []
    if months:
        ends = [_month_end(p) for p in months]
        register_then = {str(pd.Period(t, "M")): (n, med) for t, n, med in wh.rows(f"""
            SELECT m.t_end, count(*), quantile_cont(o.vantedagar, 0.5)
            FROM operations o JOIN (SELECT unnest($ends::DATE[]) AS t_end) m
              ON o.operation_datum > m.t_end - 90 AND o.operation_datum <= m.t_end
            WHERE o.kva_grupp = $kva AND o.source = $src AND NOT o.akut{scope_sql.replace(' AND ', ' AND o.')}
            GROUP BY m.t_end""", {**params, "ends": ends})}
        actual = {p: (n, med) for p, n, med in wh.rows(f"""
            SELECT strftime(start_datum, '%Y-%m') AS p, count(*), quantile_cont(vantedagar, 0.5) FROM operations
            WHERE kva_grupp = $kva AND source = $src AND NOT akut AND start_datum <= $last{scope_sql}
            GROUP BY p""", {**params, "last": last_month.end_time.date()})}
        for p in months:
            n_a, med_a = actual.get(p, (0, None))
            n_r, med_r = register_then.get(p, (0, None))
            rows.append({"month": p, "kobaserad_dagar": queue[p],
                         "registerbaserad_dagar": med_r if n_r >= k else None,
                         "faktisk_dagar": med_a if n_a >= k else None})
    errors = {m: [abs(r[f"{m}_dagar"] - r["faktisk_dagar"]) for r in rows
                  if r[f"{m}_dagar"] is not None and r["faktisk_dagar"] is not None] for m in METHODS}
    backtest = {m: summarise(errors[m]) for m in METHODS}
    backtest["slutsats"] = verdict(backtest)
    return ForecastResult(kobaserad_dagar=queue.get(data_month), registerbaserad_dagar=register_now,
                          months=tuple(rows), backtest=backtest, **base)


def to_json(result: ForecastResult) -> dict:
    return {
        "kva": result.kva, "unit": result.unit, "region": result.region, "data_month": result.data_month,
        "kobaserad_dagar": result.kobaserad_dagar, "registerbaserad_dagar": result.registerbaserad_dagar,
        "backtest": {m: result.backtest.get(m) for m in METHODS} | {"slutsats": result.backtest.get("slutsats"),
                                                                     "manader": [dict(r) for r in result.months]},
        "register_data_date": result.register_date.isoformat() if result.register_date else None,
        "suppress_below": result.suppress_below,
    }


BACKTEST_GROUPS = 12


@cached
def national_backtest(wh: Warehouse, suppress_below: int = 5) -> dict:
    """The backtest for the nation per KVÅ group (the groups with the most
    operations and wait-time-database rows) and overall (every month of those
    groups together): Om statistiken."""
    from data.questions.lookups import groups_with_data

    volumes = groups_with_data(wh)
    with_vtd = {g for (g,) in wh.rows("SELECT DISTINCT kva_grupp FROM vtd WHERE fas = 2 AND kva_grupp IS NOT NULL")}
    groups = sorted((g for g in volumes if g in with_vtd), key=lambda g: -volumes[g])[:BACKTEST_GROUPS]
    per_group, pooled = [], {m: [] for m in METHODS}
    for group in groups:
        result = forecast(wh, group, suppress_below=suppress_below)
        per_group.append({"kva": group, **{m: result.backtest.get(m) for m in METHODS}})
        for r in result.months:
            for m in METHODS:
                if r[f"{m}_dagar"] is not None and r["faktisk_dagar"] is not None:
                    pooled[m].append(abs(r[f"{m}_dagar"] - r["faktisk_dagar"]))
    overall = {m: summarise(pooled[m]) for m in METHODS}
    overall["slutsats"] = verdict(overall)
    return {"groups": per_group, "overall": overall}


@cached
def queue_days_by_unit(wh: Warehouse, kva: str, suppress_below: int = 5) -> tuple[str | None, dict[str, float | None]]:
    """(M, {unit: the queue-based expected wait in days at M}) for every unit with
    wait-time-database rows of the group: the optional column of Jämför enheter."""
    kva = normalise_kva(kva)
    latest = data_date(wh, "vtd")
    if latest is None:
        return None, {}
    m = pd.Period(latest, "M")
    per_unit: dict[str, list[dict]] = {}
    for unit, period, v, o, n, g, g9 in wh.rows("""
            SELECT vardenhet_hsaid, period, sum(vantande), sum(vantande_over_90),
                   CASE WHEN count(nya) = count(*) THEN sum(nya) END, sum(genomforda), sum(genomforda_inom_90)
            FROM vtd WHERE fas = 2 AND kva_grupp = $kva AND period >= $from
            GROUP BY vardenhet_hsaid, period ORDER BY vardenhet_hsaid, period""", {"kva": kva, "from": str(m - 2)}):
        per_unit.setdefault(unit, []).append({"period": period, "vantande": v, "vantande_over_90": o, "nya": n,
                                              "genomforda": g, "genomforda_inom_90": g9})
    out = {}
    for unit, rows in per_unit.items():
        now = next((r for r in month_measures(rows, suppress_below) if r["period"] == str(m)), None)
        out[unit] = None if now is None or now["kotid_manader"] is None else now["kotid_manader"] * DAYS_PER_MONTH
    return str(m), out
