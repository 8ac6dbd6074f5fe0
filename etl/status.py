"""What is loaded: per source the data date and record count, and the last loads.

Read from the published snapshot through the read-only :class:`Warehouse`,
so ``status`` works while a load is building the next snapshot.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from common.format import fmt_local_time
from data import vocabulary as vocab
from data.questions import loads
from data.warehouse import Warehouse
from etl.results import fmt_int, rows_summary

OUTCOME_NAMES = {"loaded": "inläst", "rejected": "AVVISAD", "unchanged": "oförändrad"}


def _iso(value) -> str | None:
    """Dates as ISO dates; times (stored in UTC) as ISO with an explicit offset."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        at = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return at.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def collect(warehouse_dir: Path, last: int = 10, rejections_for: str | None = None,
            rejection_limit: int = 1000) -> dict:
    """Status as plain data (what ``status --json`` prints)."""
    wh = Warehouse(warehouse_dir, threads=1)
    try:
        if not wh.has_data:
            return {"snapshot_id": None, "sources": [], "loads": [], "demo": False}
        names = {s: vocab.source_full(s) for s in vocab.SOURCE_ORDER}
        srcs = [{**s, "namn": names.get(s["source"], s["source"]), "data_date": _iso(s["data_date"]),
                 "last_loaded_at": _iso(s["last_loaded_at"])} for s in loads.sources(wh)]
        recent = [
            {"file_id": r["file_id"], "file": r["file_name"], "kind": r["kind"], "loaded_at": _iso(r["loaded_at"]),
             "rows": int(r["rows_total"]), "accepted": int(r["accepted"]), "rejected": int(r["rejected"]),
             "outcome": r["outcome"], "message": r["message"]}
            for r in loads.recent_loads(wh, last)
        ]
        info = loads.snapshot_info(wh)
        out = {
            "snapshot_id": wh.snapshot_id,
            "created_at": _iso(dt.datetime.fromisoformat(info["created_at"])) if info.get("created_at") else None,
            "demo": info.get("demo") == "true",
            "sources": srcs,
            "loads": recent,
            "files_total": loads.files_total(wh),
        }
        if rejections_for is not None:
            out["rejections"] = loads.rejections_of(wh, rejections_for, rejection_limit)
        return out
    finally:
        wh.close()


def render(status: dict) -> str:
    """Swedish text for people."""
    if status["snapshot_id"] is None:
        return "Inga data är inlästa ännu. Kör `python -m etl load KATALOG` eller `make run`."
    lines = [f"Ögonblicksbild {status['snapshot_id']} (skapad {fmt_local_time(status.get('created_at'))})"
             + (" – DEMODATA" if status.get("demo") else "")]
    lines.append("")
    lines.append(f"{'Källa':<40} {'Datadatum':<11} {'Poster':>12} {'Filer':>7}")
    for s in status["sources"]:
        lines.append(f"{s['namn']:<40} {s['data_date'] or '–':<11} {fmt_int(s['records']):>12} "
                     f"{fmt_int(s['files_loaded']):>7}")
    if status["loads"]:
        lines.append("")
        lines.append(f"Senaste inläsningar ({len(status['loads'])} av {fmt_int(status['files_total'])}):")
        for load in status["loads"]:
            text = (f"  {fmt_local_time(load['loaded_at'])}  {load['file']} ({load['kind']}): "
                    f"{OUTCOME_NAMES.get(load['outcome'], load['outcome'])}, "
                    f"{rows_summary(load['accepted'], load['rejected'])}")
            if load["message"]:
                text += f" – {load['message']}"
            lines.append(text)
    if "rejections" in status:
        lines.append("")
        if not status["rejections"]:
            lines.append("Inga avvisade rader för den filen.")
        for r in status["rejections"]:
            where = f"rad {r['line']}" if r["line"] is not None else "hela filen"
            col = f", kolumn {r['column']}" if r["column"] else ""
            val = f" (värde: {r['value']!r})" if r["value"] is not None else ""
            lines.append(f"  {r['file']}: {where}{col}: {r['reason']}{val}")
    return "\n".join(lines)
