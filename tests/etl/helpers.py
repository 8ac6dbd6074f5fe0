"""Small hand-written extract files and warehouse helpers for the ETL tests.

The base delivery is three units, a few KVÅ codes and a clean SPOR, NCR and
VTD file. Each rule test writes one failing file beside it and loads it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb

from etl.loader import load_paths
from etl.snapshot import SnapshotStore

ROOT = Path(__file__).resolve().parents[2]

#: Tables holding data; load_history, rejections and snapshot_info record the
#: attempt itself (a rejected file leaves its history row and its reasons there).
DATA_TABLES = ("operations", "vtd", "units", "kva", "regions", "sources")

UNIT_A = "SE2321000016-A001"     # region 01, offentlig
UNIT_B = "SE2321000016-B002"     # region 12
UNIT_P = "SE5565000001-P1"       # region 14, privat
UNKNOWN_UNIT = "SE2321000016-X999"

UNITS_HEADER = ["vardenhet_hsaid", "namn", "sjukhus", "region_kod", "agarform", "ort", "lat", "lon"]
UNITS_ROWS = [
    [UNIT_A, "Ortopedkliniken Solna", "Karolinska", "01", "offentlig", "Solna", "59.35", "18.03"],
    [UNIT_B, "Ögonkliniken Lund", "Skånes universitetssjukhus", "12", "offentlig", "Lund", "55,71", "13,19"],
    [UNIT_P, "Privatkliniken Väst", "", "14", "privat", "Göteborg", "57.70", "11.97"],
]

SPOR_HEADER = ["post_id", "vardenhet_hsaid", "kva_kod", "anmalan_datum", "operation_datum",
               "asa_klass", "bortre_tidsgrans", "akut", "patient_lan", "status"]
NCR_HEADER = ["post_id", "vardenhet_hsaid", "kva_kod", "beslut_datum", "operation_datum",
              "anestesi", "oga", "patient_lan", "status"]
VTD_HEADER = ["period", "vardenhet_hsaid", "mvo", "fas", "kva_grupp", "vantande", "vantande_over_90",
              "vantande_avvikelse", "nya", "genomforda", "genomforda_inom_90"]
KVA_HEADER = ["kod", "titel"]


def spor_row(i: int, **changes) -> list[str]:
    units = (UNIT_A, UNIT_P)
    codes = ("NGB49", "NFB49", "JKA20")
    start = dt.date(2026, 1, 5) + dt.timedelta(days=i % 150)
    op = start + dt.timedelta(days=60 + i % 50)
    row = {
        "post_id": f"S{i:05d}", "vardenhet_hsaid": units[i % 2], "kva_kod": codes[i % 3],
        "anmalan_datum": start.isoformat(), "operation_datum": op.isoformat(),
        "asa_klass": str(1 + i % 4), "bortre_tidsgrans": ("3m", "6m", "")[i % 3],
        "akut": "N" if i % 7 else "", "patient_lan": ("01", "14", "")[i % 3], "status": "",
    }
    row.update(changes)
    return [row[c] for c in SPOR_HEADER]


def ncr_row(i: int, **changes) -> list[str]:
    start = dt.date(2026, 2, 1) + dt.timedelta(days=i % 200)
    op = start + dt.timedelta(days=40 + i % 30)
    row = {
        "post_id": f"N{i:05d}", "vardenhet_hsaid": UNIT_B, "kva_kod": ("CJE20", "CJC10")[i % 2],
        "beslut_datum": start.isoformat(), "operation_datum": op.isoformat(),
        "anestesi": ("topikal", "lokal", "narkos")[i % 3], "oga": ("H", "V")[i % 2],
        "patient_lan": "12", "status": "",
    }
    row.update(changes)
    return [row[c] for c in NCR_HEADER]


def vtd_row(unit: str = UNIT_A, fas: str = "2", grupp: str = "NGB", period: str = "2026-10", **changes) -> list[str]:
    row = {
        "period": period, "vardenhet_hsaid": unit, "mvo": "311", "fas": fas,
        "kva_grupp": grupp if fas == "2" else "", "vantande": "120", "vantande_over_90": "40",
        "vantande_avvikelse": "5", "nya": "30", "genomforda": "25", "genomforda_inom_90": "10",
    }
    row.update(changes)
    return [row[c] for c in VTD_HEADER]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ";") -> str:
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ";",
              encoding: str = "utf-8", bom: bool = False) -> Path:
    data = csv_text(header, rows, delimiter).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_base_delivery(folder: Path, spor_rows: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "vardenheter.csv", UNITS_HEADER, UNITS_ROWS, bom=True)
    write_csv(folder / "kva.csv", KVA_HEADER, [["NGB", "Primär protes i knäled"], ["NGB49", "Primär totalprotes i knäled"]])
    write_csv(folder / "spor_20261101.csv", SPOR_HEADER, [spor_row(i) for i in range(spor_rows)])
    write_csv(folder / "ncr_20261101.csv", NCR_HEADER, [ncr_row(i) for i in range(10)])
    write_csv(folder / "vtd_202610.csv", VTD_HEADER, [
        vtd_row(UNIT_A, "1"), vtd_row(UNIT_A, "2", "NGB"), vtd_row(UNIT_P, "2", "NGB"), vtd_row(UNIT_B, "2", "CJE"),
    ])
    return folder


# ---- damaged workbooks ----

def half_xlsx(rows: int = 200) -> bytes:
    """A workbook whose archive opens but whose sheet XML is cut in half."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(SPOR_HEADER)
    for i in range(rows):
        ws.append(spor_row(i + 900))
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    # keep the archive readable but cut the sheet's XML in half
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2]
            dst.writestr(info, body)
    return out.getvalue()


def xlsx_bomb(megabytes: int) -> bytes:
    """A small archive that unpacks to ``megabytes`` MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (megabytes * 1_000_000))
    return out.getvalue()


# ---- warehouse ---------------------------------------------------------------------------

def warehouse_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "warehouse"


def load(data_dir: Path, *paths, source: str | None = None, today: dt.date | None = None):
    return load_paths([Path(p) for p in paths], warehouse_dir(data_dir), source=source, today=today)


def connect(data_dir: Path):
    store = SnapshotStore(warehouse_dir(data_dir))
    return duckdb.connect(str(store.current_path()), read_only=True)


def query(data_dir: Path, sql: str, params=None) -> list[tuple]:
    con = connect(data_dir)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def content_digest(data_dir: Path) -> str:
    """Like :func:`digest` without what only records the run (file ids, load times):
    equal when two runs stored the same data by different routes."""
    con = connect(data_dir)
    try:
        h = hashlib.sha256()
        for table in DATA_TABLES:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if r[0] not in ("file_id", "last_loaded_at")]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()
            h.update(f"{table}:{len(rows)}:{rows!r}".encode())
        return h.hexdigest()
    finally:
        con.close()


def digest(data_dir: Path) -> str:
    """A hash of every data table's full content (order-independent)."""
    con = connect(data_dir)
    try:
        h = hashlib.sha256()
        for table in DATA_TABLES:
            rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            h.update(f"{table}:{len(rows)}:{rows!r}".encode())
        return h.hexdigest()
    finally:
        con.close()


def rejections(data_dir: Path, file_name: str) -> list[tuple]:
    return query(data_dir, """
        SELECT line, column_name, value, reason FROM rejections
        WHERE file_id = (SELECT max(file_id) FROM load_history WHERE file_name = ?)
        ORDER BY line NULLS FIRST""", [file_name])


def history(data_dir: Path, file_name: str) -> tuple:
    rows = query(data_dir, """
        SELECT outcome, rows_total, accepted, rejected, message FROM load_history
        WHERE file_name = ? ORDER BY file_id DESC LIMIT 1""", [file_name])
    return rows[0] if rows else None


def run_cli(data_dir: Path, *args: str, timeout: float = 120, env: dict | None = None,
            preexec_fn=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test",
           "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn)
