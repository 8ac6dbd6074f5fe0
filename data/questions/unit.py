"""The unit page (/enhet/<hsa-id>): the unit's catalogue data and freshness,
its procedure mix and its case mix."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from data.context import cached
from data.questions.lookups import (check_period, data_date, data_dates, group_titles, is_demo, normalise_kva,
                                    records, region_names, source_for, to_date)
from data.suppression import shares_of_parts
from data.vocabulary import ANESTESI_CATEGORIES, ASA_CLASSES, PRIO_CATEGORIES, STALE_DAYS
from data.warehouse import Warehouse


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
        last = to_date(last)
        d = dates.get(source)
        info["senaste_operation"][source] = last
        info["inaktuell"][source] = bool(d is not None and last <= d - dt.timedelta(days=stale_days))
    info["demo"] = is_demo(wh)
    return info


@cached
def unit_group_mix(wh: Warehouse, hsaid: str, period: int = 365, suppress_below: int = 5) -> pd.DataFrame:
    """Counted operations per KVÅ group at the unit in the window (D - period, D]
    of each group's source: kva_grupp, titel, kalla, n, andel (of the unit's total)."""
    period = check_period(period)
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
    # Small numbers (data/suppression.py): small groups, and the next-smallest
    # until the hidden ones sum to k or more, show neither n nor a share.
    shown, shares = shares_of_parts([int(n) for n in df["n"]], suppress_below)
    df["n"] = pd.array(shown, dtype="Int64")
    df["andel"] = pd.array(shares, dtype="Float64")
    return df[cols].reset_index(drop=True)


CASE_MIX_DIMENSIONS = {
    "spor": [("asa", "asa_klass", [str(a) for a in ASA_CLASSES]), ("prio", "bortre_tidsgrans", list(PRIO_CATEGORIES))],
    "ncr": [("anestesi", "anestesi", list(ANESTESI_CATEGORIES))],
}


@cached
def unit_case_mix(wh: Warehouse, hsaid: str, kva: str, period: int = 365, suppress_below: int = 5) -> pd.DataFrame:
    """The unit's counted operations of the group in (D - period, D] by ASA class
    and medical priority (SPOR) or anaesthesia (NCR). Columns: dimension
    ('asa'|'prio'|'anestesi'), kategori (the class, or 'saknas' when not recorded),
    n, andel (of the unit's operations in the group and window; every category
    is present, 0 when none)."""
    kva = normalise_kva(kva)
    period = check_period(period)
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
        cats = categories + ["saknas"]
        # Small numbers (data/suppression.py): a small category, and the next
        # smallest until the hidden ones sum to k or more, show neither n nor share.
        shown, shares = shares_of_parts([counts.get(cat, 0) for cat in cats], suppress_below)
        out += [(dim, cat, n, a) for cat, n, a in zip(cats, shown, shares)]
    df = pd.DataFrame(out, columns=cols)
    df["n"] = pd.array(list(df["n"]), dtype="Int64")
    df["andel"] = pd.array(list(df["andel"]), dtype="Float64")
    return df



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
    df["senaste"] = [to_date(v) for v in df["senaste"]]
    df["n"] = df["n"].astype(int)
    return df[["kva_grupp", "titel", "kalla", "n", "senaste"]]

