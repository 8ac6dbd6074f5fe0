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


def vtd_measures(df: pd.DataFrame, suppress_below: int | None = None) -> pd.DataFrame:
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
        # METRICS.md: a month without a delivered row is left out of the mean, not counted as zero
        last3 = [g for g in (by_period.get(p - k) for k in range(3)) if g is not None]
        mean = sum(last3) / len(last3) if last3 else 0.0
        kotid.append(queue / mean if mean > 0 else float("nan"))
    df["kotid_manader"] = kotid
    if suppress_below:
        df = _suppress(df, suppress_below, periods, by_period)
    return df.reset_index(drop=True)


def _suppress(df: pd.DataFrame, k: int, periods, genomforda_by_period) -> pd.DataFrame:
    """Small numbers (data/suppression.py): a count of 1..k-1 becomes NaN, and
    so does every measure computed from a hidden count or with a small
    numerator (a share shown beside its shown denominator would give the
    hidden count back)."""
    small = {c: df[c].between(1, k - 1) for c in COUNT_COLUMNS}
    within = df["vantande"] - df["vantande_over_90"]
    hidden_share_v = small["vantande"] | small["vantande_over_90"] | within.between(1, k - 1)
    hidden_share_g = small["genomforda"] | small["genomforda_inom_90"] | \
        (df["genomforda"] - df["genomforda_inom_90"]).between(1, k - 1)
    hidden_g = {p: 0 < g < k for p, g in genomforda_by_period.items()}
    hidden_kotid = [small["vantande"].iloc[i] or any(hidden_g.get(p - j, False) for j in range(3))
                    for i, p in enumerate(periods)]
    out = df.copy()
    for c in COUNT_COLUMNS:
        out[c] = out[c].astype("float64").mask(small[c])
    # Complementary: the whole minus a shown part must not give a small part
    # (waiting within 90 days = waiting - beyond 90; completed beyond 90 days
    # = completed - within 90), so the part is hidden too.
    out["vantande_over_90"] = out["vantande_over_90"].mask(within.between(1, k - 1))
    out["genomforda_inom_90"] = out["genomforda_inom_90"].mask(
        (df["genomforda"] - df["genomforda_inom_90"]).between(1, k - 1))
    out["andel_vantande_inom_90"] = out["andel_vantande_inom_90"].mask(hidden_share_v)
    out["andel_genomforda_inom_90"] = out["andel_genomforda_inom_90"].mask(hidden_share_g)
    out["netto_inflode"] = out["netto_inflode"].mask(small["nya"] | small["genomforda"])
    out["kotid_manader"] = out["kotid_manader"].mask(pd.Series(hidden_kotid, index=out.index))
    return out

