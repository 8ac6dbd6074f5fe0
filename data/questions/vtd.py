"""The wait-time database (väntetidsdatabasen): monthly queue and completed
figures of the operation phase for a unit, a region or the nation, with the
measures of METRICS.md ("Wait-time database")."""
from __future__ import annotations

import pandas as pd

from data.context import cached
from data.questions.lookups import QueryError, normalise_kva
from data.warehouse import Warehouse


@cached
def unit_vtd(wh: Warehouse, hsaid: str, kva: str | None = None, suppress_below: int = 5) -> pd.DataFrame:
    """The unit's monthly wait-time-database figures for the operation phase
    (fas 2), summed over its groups (or for one group), oldest first.
    Columns and measures: see :func:`vtd_monthly`."""
    return vtd_monthly(wh, unit=hsaid, kva=kva, suppress_below=suppress_below)


@cached
def vtd_monthly(wh: Warehouse, unit: str | None = None, region: str | None = None,
                kva: str | None = None, suppress_below: int = 5) -> pd.DataFrame:
    """Monthly wait-time-database figures for the operation phase (fas 2) of a
    unit, a region or the nation (neither given), for one KVÅ group or all,
    oldest month first. The units' counts are summed before dividing (METRICS.md).

    Columns: period, vantande, vantande_over_90, nya, genomforda,
    genomforda_inom_90, andel_vantande_inom_90 = (vantande - vantande_over_90) /
    vantande, andel_genomforda_inom_90 = genomforda_inom_90 / genomforda (NaN
    when the denominator is 0), netto_inflode = nya - genomforda (NaN when a
    row of the month lacks nya), kotid_manader = vantande / mean genomforda of
    this and the two previous months, a month without a delivered row left out
    of the mean (NaN when the mean is 0)."""
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
    return vtd_measures(df, suppress_below)


COUNT_COLUMNS = ("vantande", "vantande_over_90", "nya", "genomforda", "genomforda_inom_90")


MEASURE_COLUMNS = ("andel_vantande_inom_90", "andel_genomforda_inom_90", "netto_inflode", "kotid_manader")


def _month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def month_measures(rows, suppress_below: int | None = None) -> list[dict]:
    """The METRICS.md wait-time-database measures of monthly summed counts, in
    plain Python (a region's ~100 groups are measured per request): each row a
    dict with period 'YYYY-MM', vantande, vantande_over_90, nya (None when a
    unit's row lacked it), genomforda, genomforda_inom_90; returned with
    andel_vantande_inom_90, andel_genomforda_inom_90, netto_inflode and
    kotid_manader added, None where there is no value.

    - andel_vantande_inom_90 = (vantande - vantande_over_90) / vantande;
      andel_genomforda_inom_90 = genomforda_inom_90 / genomforda;
      netto_inflode = nya - genomforda.
    - kotid_manader = vantande / the mean of genomforda over this and the two
      previous months, a month without a delivered row left out of the mean
      (none when the mean is 0).
    - Small numbers (data/suppression.py), with ``suppress_below`` = k: a count
      of 1..k-1 is hidden, and so is every measure computed from a hidden count
      or with a small numerator, and a part whose complement is small (waiting
      within 90 days, completed beyond 90 days): a share beside its shown
      denominator would give the hidden count back."""
    rows = list(rows)
    completed = {_month_index(r["period"]): int(r["genomforda"]) for r in rows}
    k = suppress_below or 0
    out = []
    for r in rows:
        v, over, g, g90 = int(r["vantande"]), int(r["vantande_over_90"]), int(r["genomforda"]), int(r["genomforda_inom_90"])
        nya = r.get("nya")
        nya = None if nya is None or nya != nya else int(nya)
        m = _month_index(r["period"])
        c0, c1, c2 = completed.get(m), completed.get(m - 1), completed.get(m - 2)
        last3 = [c for c in (c0, c1, c2) if c is not None]
        mean = sum(last3) / len(last3) if last3 else 0.0
        row = dict(r)
        row.update(vantande=v, vantande_over_90=over, nya=nya, genomforda=g, genomforda_inom_90=g90,
                   andel_vantande_inom_90=(v - over) / v if v > 0 else None,
                   andel_genomforda_inom_90=g90 / g if g > 0 else None,
                   netto_inflode=nya - g if nya is not None else None,
                   kotid_manader=v / mean if mean > 0 else None)
        if k:
            s_v, s_over, s_g, s_g90 = 0 < v < k, 0 < over < k, 0 < g < k, 0 < g90 < k
            s_nya = nya is not None and 0 < nya < k
            within_small, beyond_small = 0 < v - over < k, 0 < g - g90 < k
            if s_v or s_over or within_small:
                row["andel_vantande_inom_90"] = None
            if s_g or s_g90 or beyond_small:
                row["andel_genomforda_inom_90"] = None
            if s_nya or s_g:
                row["netto_inflode"] = None
            if s_v or any(c is not None and 0 < c < k for c in (c0, c1, c2)):
                row["kotid_manader"] = None
            if s_v:
                row["vantande"] = None
            if s_over or within_small:
                row["vantande_over_90"] = None
            if s_nya:
                row["nya"] = None
            if s_g:
                row["genomforda"] = None
            if s_g90 or beyond_small:
                row["genomforda_inom_90"] = None
        out.append(row)
    return out


def vtd_measures(df: pd.DataFrame, suppress_below: int | None = None) -> pd.DataFrame:
    """:func:`month_measures` of a frame of monthly summed counts, as a frame
    (NaN where there is no value): the unit page's table and figure."""
    measured = month_measures(df.to_dict("records"), suppress_below)
    cols = list(df.columns) + [c for c in MEASURE_COLUMNS if c not in df.columns]
    out = pd.DataFrame(measured, columns=cols)
    for c in COUNT_COLUMNS + MEASURE_COLUMNS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    if not suppress_below:
        for c in ("vantande", "vantande_over_90", "genomforda", "genomforda_inom_90"):
            out[c] = out[c].astype("int64")
    return out.reset_index(drop=True)
