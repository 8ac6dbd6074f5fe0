"""The load history of the published snapshot: per source the data date and
record count, the files loaded (newest first), and a file's rejected rows.
Asked by the Admin page and by ``python -m etl status`` (which reads the
published snapshot, never the one being built)."""
from __future__ import annotations

from data.vocabulary import SOURCE_ORDER
from data.warehouse import Warehouse


def sources(wh: Warehouse) -> list[dict]:
    """Per source: source, data_date, records, files_loaded, last_loaded_at; registers first."""
    order = "[" + ", ".join(f"'{s}'" for s in SOURCE_ORDER) + "]"
    return [
        {"source": s, "data_date": d, "records": int(r), "files_loaded": int(f or 0), "last_loaded_at": t}
        for s, d, r, f, t in wh.rows(
            "SELECT source, data_date, records, files_loaded, last_loaded_at FROM sources "
            f"ORDER BY list_position({order}, source) NULLS LAST, source")
    ]


def recent_loads(wh: Warehouse, limit: int = 100) -> list[dict]:
    """The newest ``limit`` files of the load history, newest first."""
    cur = wh.cursor().execute(
        "SELECT file_id, file_name, kind, loaded_at, rows_total, accepted, rejected, outcome, message "
        "FROM load_history ORDER BY file_id DESC LIMIT ?", [limit])
    cols = [c[0] for c in cur.description]
    rows = [dict(zip(cols, row)) for row in cur.fetchall()]
    first = first_rejections(wh, [r["file_id"] for r in rows if r["rejected"]])
    for r in rows:
        r["first_rejections"] = first.get(r["file_id"], [])
    return rows


def first_rejections(wh: Warehouse, file_ids: list[int], per_file: int = 3) -> dict[int, list[dict]]:
    """The first ``per_file`` rejected rows of each file (by line): line, column, value, reason."""
    if not file_ids:
        return {}
    found: dict[int, list[dict]] = {}
    for file_id, line, col, val, reason in wh.rows(
        """SELECT file_id, line, column_name, value, reason FROM (
               SELECT *, row_number() OVER (PARTITION BY file_id ORDER BY line NULLS FIRST) AS k
               FROM rejections WHERE list_contains($ids, file_id))
           WHERE k <= $n ORDER BY file_id, k""", {"ids": list(file_ids), "n": per_file}):
        found.setdefault(file_id, []).append({"line": line, "column": col, "value": val, "reason": reason})
    return found


def files_total(wh: Warehouse) -> int:
    return int(wh.rows("SELECT count(*) FROM load_history")[0][0])


def rejections_of(wh: Warehouse, file_name: str, limit: int = 1000) -> list[dict]:
    """The rejected rows of the latest load of a file: file, line, column, value, reason."""
    return [
        {"file": f, "line": line, "column": col, "value": val, "reason": reason}
        for f, line, col, val, reason in wh.rows(
            """SELECT r.file_name, r.line, r.column_name, r.value, r.reason
               FROM rejections r
               WHERE r.file_id = (SELECT max(file_id) FROM load_history WHERE file_name = ?)
               ORDER BY r.line NULLS FIRST LIMIT ?""", [file_name, limit])
    ]


def snapshot_info(wh: Warehouse) -> dict[str, str]:
    return dict(wh.rows("SELECT key, value FROM snapshot_info"))
