"""What is loaded (/api/v1/meta), the KVÅ catalogue search and the towns of
the unit catalogue."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd

from data import reference
from data.context import cached
from data.questions.lookups import groups_with_data, is_demo, per_snapshot, to_date
from data.warehouse import Warehouse


@per_snapshot
def meta(wh: Warehouse) -> dict:
    """What is loaded: per source data date and record count, files, demo flag, snapshot id.
    Memoised in the process per snapshot: every page's frame and /api/v1/meta ask it."""
    sources = []
    for source, d, records_, files, last in wh.rows(
        "SELECT source, data_date, records, files_loaded, last_loaded_at FROM sources ORDER BY source"
    ):
        sources.append({
            "source": source, "data_date": to_date(d), "records": int(records_),
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


def current_meta() -> dict | None:
    """meta() of the app's warehouse, or None when nothing is published (the page frame)."""
    import logging

    import duckdb

    from data.context import get_warehouse
    from data.warehouse import NoData

    wh = get_warehouse()
    try:
        return meta(wh) if wh.has_data else None
    except NoData:
        return None
    except duckdb.Error:  # a damaged snapshot must not take every page's frame down
        logging.getLogger("lagesbild.data").exception("meta() failed while building the page frame")
        return None


def _fold(text: str) -> str:
    """Lower case without accents (å -> a, ä -> a, ö -> o, é -> e)."""
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
