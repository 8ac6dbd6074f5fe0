"""What is loaded (/api/v1/meta), the KVÅ catalogue search and the towns of
the unit catalogue."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from data import reference, search
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


@per_snapshot
def _search_index(wh: Warehouse) -> tuple:
    """The search index of the loaded catalogue (groups with their everyday
    terms, and the 5-character codes), built once per snapshot."""
    groups = dict(reference.kva_groups())
    codes = dict(reference.kva_codes())
    for kod, titel, ar_grupp in wh.rows("SELECT kod, titel, ar_grupp FROM kva"):
        (groups if ar_grupp else codes)[kod] = titel or (groups if ar_grupp else codes).get(kod) or ""
    return search.build_index(groups, codes, reference.kva_search_terms())


@cached
def kva_search(wh: Warehouse, q: str, limit: int = 20) -> list[dict]:
    """Catalogue search (data/search.py): everyday words, word parts, a missing
    å/ä/ö and one typo, or a code prefix ("NGB", "ngb1"); best match first,
    then the group's national volume. Each result: kod, titel, ar_grupp, grupp,
    kalla, har_data (counted operations of its group stored)."""
    q = (q or "").strip()
    if not q:
        return []
    with_data = groups_with_data(wh)
    results = []
    for entry, _level in search.search(_search_index(wh), q, with_data)[: max(0, int(limit))]:
        grupp = entry.kod[:3]
        results.append({
            "kod": entry.kod, "titel": entry.titel, "ar_grupp": entry.ar_grupp, "grupp": grupp,
            "kalla": reference.source_for_group(grupp), "har_data": grupp in with_data,
        })
    return results


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
