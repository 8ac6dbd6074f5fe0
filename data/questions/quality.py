"""Datakvalitet (/datakvalitet, /api/v1/quality): what the data steward asks
in the morning — did the files load, what was rejected and why, which units
went quiet, which wait-time-database months are missing. No patient data:
file names, counts, reasons and unit names only."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from data.context import cached
from data.questions.lookups import data_date, is_demo, latest_operations, to_date, unit_catalogue
from data.tables import Column, Table
from data.warehouse import Warehouse

SOURCES = ("spor", "ncr", "vtd", "vardenheter", "kva")
OUTCOMES = {"loaded": "inläst", "rejected": "avvisad", "unchanged": "oförändrad"}
LOADS_SHOWN = 100
REJECTIONS_PAGE = 100
EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class QualityResult:
    sources: tuple[dict, ...]
    loads: tuple[dict, ...]
    avvisade: tuple[dict, ...]
    avvisade_totalt: int
    reasons: tuple[dict, ...]
    inaktuella_enheter: tuple[dict, ...]
    vtd_saknas: tuple[dict, ...]
    stale_days: int
    file: str | None = None
    limit: int = REJECTIONS_PAGE
    offset: int = 0
    demo: bool = False


@cached
def quality(wh: Warehouse, file: str | None = None, limit: int = REJECTIONS_PAGE, offset: int = 0,
            stale_days: int = 42) -> QualityResult:
    sources = []
    dates = {s: to_date(d) for s, d in wh.rows("SELECT source, data_date FROM sources")}
    per_kind = {kind: (files, ok, bad) for kind, files, ok, bad in wh.rows(
        """SELECT kind, count(*) FILTER (WHERE outcome = 'loaded'), coalesce(sum(accepted), 0),
                  coalesce(sum(rejected), 0)
           FROM load_history WHERE outcome <> 'unchanged' GROUP BY kind""")}
    for source in SOURCES:
        files, ok, bad = per_kind.get(source, (0, 0, 0))
        sources.append({"source": source, "data_date": dates.get(source), "filer": int(files),
                        "godkanda_rader": int(ok), "avvisade_rader": int(bad)})
    loads = [{"fil": f, "kind": kind, "inlast": at, "godkanda": int(ok), "avvisade": int(bad),
              "utfall": outcome, "meddelande": msg or ""}
             for f, kind, at, ok, bad, outcome, msg in wh.rows(
                 """SELECT file_name, kind, loaded_at, accepted, rejected, outcome, message FROM load_history
                    ORDER BY file_id DESC LIMIT $n""", {"n": LOADS_SHOWN})]
    where, params = "", {}
    if file:
        where, params = "WHERE r.file_name = $file", {"file": file}
    total = wh.rows(f"SELECT count(*) FROM rejections r {where}", params)[0][0]
    rows = [{"fil": f, "rad": line, "kolumn": col, "varde": val, "orsak": reason}
            for f, line, col, val, reason in wh.rows(
                f"""SELECT r.file_name, r.line, r.column_name, r.value, r.reason FROM rejections r {where}
                    ORDER BY r.file_id DESC, r.line NULLS FIRST LIMIT $limit OFFSET $offset""",
                {**params, "limit": int(limit), "offset": int(offset)})]
    reasons = []
    for reason, n, examples in wh.rows(
        f"""SELECT reason, count(*) AS n,
                   list({{'fil': file_name, 'rad': line, 'kolumn': column_name}} ORDER BY file_id DESC, line)
                       [1:{EXAMPLES_PER_REASON}]
            FROM rejections r {where} GROUP BY reason ORDER BY n DESC, reason""", params):
        reasons.append({"orsak": reason, "antal": int(n), "exempel": [dict(e) for e in examples]})
    return QualityResult(sources=tuple(sources), loads=tuple(loads), avvisade=tuple(rows), avvisade_totalt=int(total),
                         reasons=tuple(reasons), inaktuella_enheter=tuple(_stale_units(wh, stale_days)),
                         vtd_saknas=tuple(_missing_vtd_months(wh)), stale_days=stale_days, file=file,
                         limit=int(limit), offset=int(offset), demo=is_demo(wh))


def _stale_units(wh: Warehouse, stale_days: int) -> list[dict]:
    """Units with no operation loaded in the last ``stale_days`` days before the source's data date."""
    catalogue = unit_catalogue(wh)
    out = []
    for source in ("spor", "ncr"):
        d = data_date(wh, source)
        if d is None:
            continue
        cutoff = (d - dt.timedelta(days=stale_days)).isoformat()
        for unit, last in sorted(latest_operations(wh, source).items()):
            if last <= cutoff:
                out.append({"id": unit, "namn": (catalogue.get(unit) or {}).get("namn") or unit, "source": source,
                            "senaste_operation": last})
    out.sort(key=lambda r: (r["source"], r["senaste_operation"], r["id"]))
    return out


def _missing_vtd_months(wh: Warehouse) -> list[dict]:
    """METRICS.md "Missing month": after a region's first delivered month, up to M,
    a month in which no unit of the region delivered any row."""
    delivered = wh.rows("SELECT DISTINCT region_kod, period FROM vtd")
    if not delivered:
        return []
    last = pd.Period(max(p for _, p in delivered), "M")
    by_region: dict[str, set[str]] = {}
    for region, period in delivered:
        by_region.setdefault(region, set()).add(period)
    out = []
    for region in sorted(by_region):
        months = by_region[region]
        first = pd.Period(min(months), "M")
        for p in pd.period_range(first, last, freq="M"):
            if str(p) not in months:
                out.append({"region_kod": region, "month": str(p)})
    return out


# ---- JSON and tables -------------------------------------------------------------------

def to_json(result: QualityResult) -> dict:
    def iso(value):
        return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else (
            value.isoformat() if isinstance(value, dt.date) else value)

    return {
        "sources": [{**s, "data_date": iso(s["data_date"])} for s in result.sources],
        "loads": [{**r, "inlast": iso(r["inlast"])} for r in result.loads],
        "avvisade": [{k: r[k] for k in ("fil", "rad", "kolumn", "orsak")} for r in result.avvisade],
        "inaktuella_enheter": [dict(u) for u in result.inaktuella_enheter],
        "vtd_saknas": [dict(m) for m in result.vtd_saknas],
        "avvisade_totalt": result.avvisade_totalt, "limit": result.limit, "offset": result.offset,
        "fil": result.file, "orsaker": [dict(r) for r in result.reasons], "stale_days": result.stale_days,
    }


REJECTION_COLUMNS = (Column("fil", "Fil", "text"), Column("rad", "Rad", "int"), Column("kolumn", "Kolumn", "text"),
                     Column("varde", "Värde", "text"), Column("orsak", "Orsak", "text"))


def table(result: QualityResult) -> Table:
    """The rejected rows (this page of them) as a file."""
    shown = f"rad {result.offset + 1}–{result.offset + len(result.avvisade)} av {result.avvisade_totalt}"
    title = (
        "Nationell lägesbild – datakvalitet: avvisade rader",
        f"Fil: {result.file}" if result.file else "Alla filer, senaste inläsningen först",
        f"Avvisade rader {shown}",
        f"Uttaget {dt.date.today().isoformat()}",
    )
    name = (result.file or "alla").replace(".", "-")
    return Table(columns=REJECTION_COLUMNS, rows=result.avvisade, title=title,
                 file_stem=f"avvisade-rader_{name}_{dt.date.today().isoformat()}", sheet="Avvisade rader")

