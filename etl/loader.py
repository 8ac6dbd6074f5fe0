"""Apply extract files to a new warehouse snapshot and publish it.

One run (:func:`load_paths`) = one snapshot: under the loader lock, copy the
published snapshot (etl/snapshot.py), apply every file, each in its own
DuckDB transaction (a rejected file changes no data), derive the source
summaries, CHECKPOINT, close and publish atomically. A run whose files were
all already loaded publishes nothing.

Per file: read (etl/readers.py) → check every rule in one vectorised SQL pass
(etl/rules.py) → if more than 5 % of the rows break a rule, reject the file
(its load-history row and the first rejected rows are kept) → otherwise apply
it: register files replace earlier versions of their ``post_id`` and delete
``makulerad`` records; wait-time-database files replace the earlier rows of
their (period, unit); catalogue rows replace earlier rows with the same key.
"""
from __future__ import annotations

import collections
import datetime as dt
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data import reference
from data.schema import DDL, DEMO_HSA_PREFIX, SCHEMA_VERSION, create_schema
from etl import readers, rules
from etl.readers import FileRejected
from etl.snapshot import SnapshotStore

#: Details of rejected rows kept for a file rejected as a whole (a loaded file keeps all).
MAX_DETAILS_REJECTED_FILE = 1000
def sort_key(group: str, day: str) -> str:
    """One BIGINT ordering rows exactly as (kva_grupp, operation_datum) for upper-case
    three-letter groups: sorting on it is about 0,3 s faster than on the pair for the
    national backfill (measured)."""
    return (f"((ascii({group}[1]) * 65536 + ascii({group}[2]) * 256 + ascii({group}[3]))::BIGINT * 100000"
            f" + ({day} - DATE '1900-01-01'))")


#: A full re-sort of ``operations`` when rows appended unsorted exceed this many
#: (or RESORT_SHARE of the table); below it they sit in a few trailing row groups.
RESORT_MIN_ROWS = 250_000
RESORT_SHARE = 0.10
MEMORY_LIMIT = "1200MB"


@dataclass
class FileResult:
    path: Path
    kind: str | None
    outcome: str                      # loaded | rejected | unchanged | ignored
    rows_total: int = 0
    accepted: int = 0
    rejected: int = 0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    details: list[tuple] = field(default_factory=list)   # (line, column, value, reason), first few
    replaced: int = 0                 # earlier records replaced (corrections / resubmissions)
    cancelled: int = 0                # records deleted by 'makulerad'
    file_id: int | None = None
    sha256: str | None = None
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)   # seconds per step (for benchmarks)

    def mark(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class RunResult:
    files: list[FileResult]
    snapshot_id: str | None           # the published snapshot, None when nothing was published
    seconds: float = 0.0
    replaced: int = 0                 # register records replaced by a correction (post_id seen before)
    cancelled: int = 0                # register records deleted by status = makulerad
    phases: dict[str, float] = field(default_factory=dict)   # seconds per run-level step

    @property
    def any_rejected(self) -> bool:
        return any(f.outcome == "rejected" for f in self.files)


@dataclass
class Prepared:
    """A file hashed and read, ready to validate (made on a helper thread)."""

    sha256: str | None
    raw: readers.RawFile | None = None
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)


def prepare_file(path: Path, kind: str, known_hashes: set[str], today: dt.date | None) -> Prepared:
    started = time.perf_counter()
    try:
        data = readers.open_bytes(path)
        sha = readers.sha256_bytes(data)
    except FileRejected as exc:
        return Prepared(None, error=str(exc))
    hashed = time.perf_counter()
    phases = {"hash": hashed - started}
    if sha in known_hashes:
        return Prepared(sha, phases=phases)
    try:
        raw = readers.read_file(path, kind, data=data, today=today)
    except FileRejected as exc:
        return Prepared(sha, error=str(exc), phases=phases)
    phases["read"] = time.perf_counter() - hashed
    return Prepared(sha, raw=raw, phases=phases)


# ---- which files -------------------------------------------------------------------

def plan(paths: list[Path], source: str | None = None) -> list[FileResult | tuple[Path, str]]:
    """Expand files and folders into (path, kind) in load order; notes for what is skipped.

    Catalogues (kva, vardenheter) come first, then the other files in name order.
    Inside a folder, files that are not extracts are ignored with a note; a file
    named explicitly whose kind cannot be told is rejected.
    """
    todo: list[tuple[Path, str]] = []
    notes: list[FileResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file()):
                kind = source or readers.kind_from_name(child.name)
                if kind and readers.is_extract_name(child.name):
                    todo.append((child, kind))
                elif not child.name.startswith("."):
                    notes.append(FileResult(child, None, "ignored",
                                            message="ignoreras: inte en extraktfil (spor_, ncr_, vtd_, "
                                                    "vardenheter, kva; .csv, .xlsx eller .parquet)"))
        elif path.is_file():
            kind = source or readers.kind_from_name(path.name)
            if kind is None:
                notes.append(FileResult(path, None, "rejected", message=(
                    "okänd filtyp: namnet börjar inte med spor_, ncr_, vtd_, vardenheter eller kva; "
                    "ange --source")))
            else:
                todo.append((path, kind))
        else:
            notes.append(FileResult(path, None, "rejected", message="filen eller katalogen finns inte"))
    seen: set[Path] = set()
    unique = []
    for path, kind in todo:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, kind))
    unique.sort(key=lambda pk: (rules.KIND_ORDER[pk[1]], pk[0].name, str(pk[0])))
    return [*notes, *unique]


# ---- the building connection ---------------------------------------------------------

def connect_building(path: Path, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={
        "preserve_insertion_order": "false",
        "memory_limit": MEMORY_LIMIT,
        "temp_directory": str(temp_dir),
        # Durability comes from publishing (fsync + atomic rename), not from each commit.
        "fsync_mode": "NONE",
    })
    create_schema(con)
    return con


def insert_rows(con, table: str, rows: list[tuple], chunk: int = 400) -> None:
    """INSERT a few rows with one multi-row VALUES statement per chunk (DuckDB's
    executemany costs a statement per row; pyarrow tables from Python lists import pandas)."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ", ".join(["?"] * width) + ")"
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        con.execute(f"INSERT INTO {table} VALUES " + ", ".join([one] * len(part)),
                    [v for row in part for v in row])


def seed_reference(con) -> None:
    """The 21 regions and the built-in KVÅ catalogue, into a snapshot that lacks them."""
    if con.execute("SELECT count(*) FROM regions").fetchall()[0][0] == 0:
        insert_rows(con, "regions", [(r.kod, r.namn, r.residensstad, r.lat, r.lon)
                                     for r in reference.regions().values()])
    if con.execute("SELECT count(*) FROM kva").fetchall()[0][0] == 0:
        groups, codes = reference.kva_groups(), reference.kva_codes()
        rows = [(kod, titel, True, reference.source_for_group(kod), True) for kod, titel in groups.items()]
        rows += [(kod, titel or kod, False, None, True) for kod, titel in codes.items() if kod not in groups]
        insert_rows(con, "kva", rows)


def loaded_hashes(con) -> set[str]:
    return {h for (h,) in con.execute("SELECT sha256 FROM load_history WHERE outcome = 'loaded'").fetchall()}


def _info(con, key: str, default: str | None = None) -> str | None:
    rows = con.execute("SELECT value FROM snapshot_info WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else default


# ---- one file --------------------------------------------------------------------------

class FileLoader:
    """Validates and applies files on the building connection.

    Files come in batches of one kind (:meth:`load_batch`): several small files
    are checked together in one SQL pass (a ``file_no`` column keeps them apart)
    so that a folder of daily files does not pay a query plan per file. Each
    file is still judged on its own (5 % rule, all or nothing): only accepted
    files are applied, a rejected file leaves no data.
    """

    def __init__(self, con, snapshot_id: str, now: dt.datetime, today: dt.date | None = None):
        self.con = con
        self.snapshot_id = snapshot_id
        self.now = now
        self.today = today
        self.next_file_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM load_history").fetchall()[0][0]
        self.known_hashes = loaded_hashes(con)
        self.unsorted_rows = int(_info(con, "operations_unsorted_rows", "0"))
        self._stage_ready = False
        self._staged: set[str] = set()
        self._has_rows = {
            s: bool(n) for s, n in con.execute(
                "SELECT s, (SELECT count(*) FROM (SELECT 1 FROM operations o WHERE o.source = s LIMIT 1)) "
                "FROM (VALUES ('spor'), ('ncr')) v(s)").fetchall()
        }

    def _take_file_id(self) -> int:
        fid = self.next_file_id
        self.next_file_id += 1
        return fid

    # -- history and rejections -----------------------------------------------------
    def _history_rows(self, results: list[FileResult]) -> None:
        insert_rows(self.con, "load_history", [
            (r.file_id, r.name, str(r.path.resolve()), r.sha256 or "", r.kind, self.now, r.rows_total, r.accepted,
             r.rejected, r.outcome, r.message, self.snapshot_id) for r in results])

    def _store_bad_rows(self, res: FileResult, bad_rows: list[readers.BadRow]) -> None:
        if not bad_rows:
            return
        table = pa.table({
            "line": pa.array([b.line for b in bad_rows], pa.int32()),
            "column_name": pa.array([b.column for b in bad_rows], pa.string()),
            "value": pa.array([b.value for b in bad_rows], pa.string()),
            "reason": pa.array([b.reason for b in bad_rows], pa.string()),
        })
        self.con.register("reader_bad", table)
        try:
            self.con.execute(
                "INSERT INTO rejections SELECT ?, ?, line, column_name, value, reason FROM reader_bad",
                [res.file_id, res.name])
        finally:
            self.con.unregister("reader_bad")

    def _reject_file(self, res: FileResult, message: str) -> FileResult:
        res.outcome, res.message, res.accepted = "rejected", message, 0
        self._history_rows([res])
        self.con.execute("INSERT INTO rejections VALUES (?, ?, NULL, NULL, NULL, ?)",
                         [res.file_id, res.name, f"Hela filen avvisad: {message}"])
        return res

    def _first_details(self, res: FileResult, limit: int = 5) -> list[tuple]:
        if not res.rejected:
            return []
        return self.con.execute(
            "SELECT line, column_name, value, reason FROM rejections "
            "WHERE file_id = ? AND (line IS NOT NULL OR column_name IS NOT NULL) "
            "ORDER BY line NULLS FIRST LIMIT ?", [res.file_id, limit]).fetchall()

    # -- entry points ------------------------------------------------------------------
    def prepare(self, path: Path, kind: str) -> "Prepared":
        """Hash and read a file (safe on another thread: no DuckDB here)."""
        return prepare_file(path, kind, self.known_hashes, self.today)

    def load(self, path: Path, kind: str, prepared: "Prepared | None" = None) -> FileResult:
        return self.load_batch([(path, kind, prepared)])[0]

    def load_batch(self, items: list[tuple[Path, str, "Prepared | None"]]) -> list[FileResult]:
        """Load files of one kind, in order. Returns one result per file."""
        started = time.perf_counter()
        results: list[FileResult] = []
        ready: list[tuple[FileResult, readers.RawFile]] = []
        batch_hashes: set[str] = set()
        for path, kind, prepared in items:
            prepared = prepared or self.prepare(path, kind)
            res = FileResult(path, kind, "loaded", sha256=prepared.sha256, phases=dict(prepared.phases))
            results.append(res)
            if prepared.sha256 is not None and (prepared.sha256 in self.known_hashes
                                                or prepared.sha256 in batch_hashes):
                res.outcome, res.message = "unchanged", "redan inläst (oförändrad)"
                continue
            res.file_id = self._take_file_id()
            if prepared.error is not None:
                self._reject_file(res, prepared.error)
                continue
            raw = prepared.raw or readers.read_file(path, kind, today=self.today)
            res.warnings, res.rows_total = raw.warnings, raw.rows_total
            batch_hashes.add(prepared.sha256)
            ready.append((res, raw))
        if ready:
            try:
                self._validate_and_apply(ready)
            finally:
                for name in ("raw", "dups", "bad"):
                    try:
                        self.con.unregister(name)
                    except Exception:  # noqa: BLE001 - not registered on this path
                        pass
        for res, _ in ready:
            if res.outcome == "loaded":
                self.known_hashes.add(res.sha256)
            res.details = self._first_details(res)
        share = (time.perf_counter() - started) / max(len(results), 1)
        for res in results:
            res.seconds = share + res.phases.get("hash", 0.0) + res.phases.get("read", 0.0)
        return results

    # -- validation ----------------------------------------------------------------------
    def _trimmed_columns(self, spec: rules.KindSpec, table: pa.Table, padded: bool) -> set[str]:
        """Columns where some value has surrounding spaces (one cheap pass on big files)."""
        cols = list(spec.columns)
        if not padded:
            return set()
        if table.num_rows <= 50_000:
            return set(cols)
        exprs = ", ".join(f"bool_or({c} LIKE ' %' OR {c} LIKE '% ')" for c in cols)
        flags = self.con.execute(f"SELECT {exprs} FROM raw").fetchall()[0]
        return {c for c, flag in zip(cols, flags) if flag}

    def _find_duplicates(self, spec: rules.KindSpec, n_sql: str, rows: int) -> bool:
        """Register ``dups`` (file_no, key, first_line) when a key repeats in a file. Big
        inputs are first checked with distinct 64-bit hashes (as many as rows ⇒ none)."""
        con = self.con
        keys = ", ".join(("file_no", *spec.unique_key))
        if rows >= 50_000:
            distinct = con.execute(f"SELECT count(DISTINCT hash({keys})) FROM ({n_sql}) n").fetchall()[0][0]
            if distinct == rows:
                return False
        dups = con.sql(f"SELECT {keys}, min(line) AS first_line FROM ({n_sql}) n "
                       f"GROUP BY {keys} HAVING count(*) > 1").to_arrow_table()
        if dups.num_rows:
            con.register("dups", dups)
        return dups.num_rows > 0

    def _p_sql(self, spec: rules.KindSpec, n_sql: str, has_dups: bool) -> str:
        """The view ``p`` of etl/rules.py as a subquery aliased p."""
        joins = ["JOIN batch_files f ON f.file_no = n.file_no"]
        extra = list(rules.typed_columns(spec.kind)) + ["f.file_date", "f.file_id"]
        if has_dups:
            cond = " AND ".join(f"d.{k} IS NOT DISTINCT FROM n.{k}" for k in ("file_no", *spec.unique_key))
            joins.append(f"LEFT JOIN dups d ON {cond}")
            extra.append("d.first_line")
        else:
            extra.append("NULL::INTEGER AS first_line")
        if "vardenhet_hsaid" in spec.columns and spec.kind != "vardenheter":
            joins.append("LEFT JOIN units u ON u.vardenhet_hsaid = n.vardenhet_hsaid")
            extra.append("u.region_kod AS unit_region")
        if spec.is_register:
            extra.append("coalesce(n.status = 'makulerad', false) AS is_cancel")
        return f"(SELECT n.*, {', '.join(extra)} FROM ({n_sql}) n {' '.join(joins)}) p"

    def _direct(self, kind: str, rows: int, files: int) -> bool:
        """The first big register file of a source with nothing stored or staged goes
        straight into ``operations``, sorted, with the rules checked in the same pass."""
        return (files == 1 and kind in ("spor", "ncr") and rows >= rules.SORTED_INSERT_ROWS
                and not self._has_rows.get(kind) and kind not in self._staged)

    def _validate_and_apply(self, ready: list[tuple[FileResult, readers.RawFile]]) -> None:
        con = self.con
        kind = ready[0][1].kind
        spec = rules.KINDS[kind]
        checks = rules.checks_for(kind)
        t = time.perf_counter()
        tables = []
        for i, (res, raw) in enumerate(ready):
            numbers = readers.int32_array(np.full(raw.table.num_rows, i, dtype=np.int32))
            tables.append(raw.table.append_column("file_no", numbers))
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        con.register("raw", table)
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files "
                    "(file_no INTEGER, file_id INTEGER, file_name VARCHAR, file_date DATE)")
        insert_rows(con, "batch_files", [(i, res.file_id, res.name, raw.file_date)
                                         for i, (res, raw) in enumerate(ready)])
        padded = any(raw.padded for _, raw in ready)
        n_sql = rules.normalized_select(spec, "raw", self._trimmed_columns(spec, table, padded))
        has_dups = self._find_duplicates(spec, n_sql, table.num_rows)
        p_sql = self._p_sql(spec, n_sql, has_dups)
        t = _mark_all(ready, "duplicates", t)
        direct = self._direct(kind, table.num_rows, len(ready))

        bad = None
        if direct:
            con.execute("BEGIN TRANSACTION")
            try:
                inserted = self._insert_direct(kind, p_sql, checks)
                t = _mark_all(ready, "apply", t)
                cancels = con.execute("SELECT count(*) FROM raw WHERE lower(trim(status)) = 'makulerad'"
                                      ).fetchall()[0][0]
                if cancels == 0 and inserted == table.num_rows:
                    bad = con.sql("SELECT 0::INTEGER AS file_no, 0::INTEGER AS line, 0::INTEGER AS rule_no "
                                  "LIMIT 0").to_arrow_table()
            except BaseException:
                _rollback(con)
                raise
        if bad is None:
            bad = con.sql(rules.checked_select(spec, checks, p_sql)).to_arrow_table()
            t = _mark_all(ready, "rules", t)
        if bad.num_rows:
            con.register("bad", bad)
        per_file = dict(zip(*[c.to_pylist() for c in pc.value_counts(bad["file_no"]).flatten()])) \
            if bad.num_rows else {}
        accepted, rejected = [], []
        for i, (res, raw) in enumerate(ready):
            res.rejected = per_file.get(i, 0) + len(raw.bad_rows)
            res.accepted = res.rows_total - res.rejected
            share = res.rejected / res.rows_total if res.rows_total else 0.0
            (rejected if share > rules.MAX_REJECTED_SHARE else accepted).append(i)
        detail_sql = rules.detail_select(checks, "bad", p_sql, "raw") if bad.num_rows else None

        if direct and rejected:
            _rollback(con)
            if bad.num_rows:
                con.register("bad", bad)       # the registration went with the transaction
        elif accepted:
            if not direct:
                con.execute("BEGIN TRANSACTION")
            try:
                if not direct:
                    self._apply(spec, ready, accepted, p_sql, bool(bad.num_rows), len(rejected) > 0)
                    t = _mark_all(ready, "apply", t)
                    if kind in ("spor", "ncr"):
                        self._staged.add(kind)
                self._history_rows([ready[i][0] for i in accepted])
                for i in accepted:
                    self._store_bad_rows(ready[i][0], ready[i][1].bad_rows)
                if detail_sql:
                    con.execute(f"""
                        INSERT INTO rejections
                        SELECT f.file_id, f.file_name, d.line, d.column_name, d.value, d.reason
                        FROM ({detail_sql}) d JOIN batch_files f ON f.file_no = d.file_no
                        WHERE d.file_no IN ({', '.join(map(str, accepted))})""")
                con.execute("COMMIT")
                t = _mark_all(ready, "commit", t)
            except BaseException:
                _rollback(con)
                raise
            if direct:
                self._has_rows[kind] = True
        for i in rejected:
            res, raw = ready[i]
            share = res.rejected / res.rows_total
            self._reject_file(res, (
                f"för många felaktiga rader: {fmt_int(res.rejected)} av {fmt_int(res.rows_total)} "
                f"({fmt_pct(share)}) bryter mot reglerna; gränsen är 5 %. Ingenting från filen har lagrats."))
            self._store_bad_rows(res, raw.bad_rows[:MAX_DETAILS_REJECTED_FILE])
            if detail_sql:
                con.execute(f"""
                    INSERT INTO rejections
                    SELECT ?, ?, line, column_name, value, reason FROM ({detail_sql})
                    WHERE file_no = {i} ORDER BY line LIMIT {MAX_DETAILS_REJECTED_FILE}""", [res.file_id, res.name])

    # -- applying -----------------------------------------------------------------------
    def _apply(self, spec, ready, accepted: list[int], p_sql: str, any_bad: bool, any_rejected: bool) -> None:
        anti = " ANTI JOIN bad USING (file_no, line)" if any_bad else ""
        where = f" WHERE file_no IN ({', '.join(map(str, accepted))})" if any_rejected else ""
        valid = f"(SELECT * FROM {p_sql}{anti}{where}) p"
        if spec.is_register:
            self._apply_register(spec.kind, valid)
            return
        if spec.kind == "vtd":
            self._apply_vtd(ready, valid)
            return
        apply = {"vardenheter": self._apply_units, "kva": self._apply_kva}[spec.kind]
        for i in accepted:          # in file order: a later file replaces an earlier one
            apply(ready[i][0], f"(SELECT * FROM {valid} WHERE file_no = {i}) p" if len(accepted) > 1 else valid)

    @staticmethod
    def _register_select(source: str, source_sql: str) -> str:
        start = "anmalan_datum" if source == "spor" else "beslut_datum"
        if source == "spor":
            spor_cols = "asa_klass::TINYINT, bortre_tidsgrans, NULL, NULL"
            akut = "coalesce(akut = 'J', false)"
        else:
            spor_cols = "NULL, NULL, anestesi, oga"
            akut = "false"
        return f"""
            SELECT '{source}', post_id, vardenhet_hsaid, unit_region, kva_kod, kva_kod[1:3] AS kva_grupp,
                   {start}_d, operation_datum_d AS operation_datum,
                   (operation_datum_d - {start}_d)::INTEGER, {akut}, {spor_cols}, patient_lan, file_id
            FROM {source_sql} WHERE NOT is_cancel"""

    def _insert_direct(self, kind: str, p_sql: str, checks) -> int:
        spec = rules.KINDS[kind]
        checked = f"(SELECT *, {rules.rule_case(spec, checks)} AS rule_no FROM {p_sql}) q"
        select = self._register_select(kind, checked)
        return self.con.execute(
            f"INSERT INTO operations {select} AND rule_no IS NULL "
            f"ORDER BY {sort_key('kva_kod', 'operation_datum_d')}"
        ).fetchall()[0][0]

    def _apply_register(self, source: str, valid: str) -> None:
        """Register rows go to the run's stage, merged once at the end (merge_registers)."""
        con = self.con
        self._ensure_stage()
        con.execute(f"INSERT INTO touched SELECT '{source}', post_id, file_id, is_cancel FROM {valid}")
        con.execute(f"INSERT INTO stage {self._register_select(source, valid)}")

    def _ensure_stage(self) -> None:
        if self._stage_ready:
            return
        self.con.execute("CREATE TEMP TABLE stage AS SELECT * FROM operations LIMIT 0")
        self.con.execute("CREATE TEMP TABLE touched (source VARCHAR, post_id VARCHAR, file_id INTEGER, "
                         "is_cancel BOOLEAN)")
        self._stage_ready = True

    def _apply_vtd(self, ready, valid) -> None:
        """A later file for the same period and unit replaces the earlier rows of that
        period and unit — whether the earlier rows are stored or in an earlier file of
        this batch. ``replaced`` per file: the rows that stood for its keys before it."""
        con = self.con
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE vtd_new AS
            SELECT period, vardenhet_hsaid, unit_region, mvo, fas::TINYINT AS fas, kva_grupp,
                   vantande::INTEGER AS vantande, vantande_over_90::INTEGER AS vantande_over_90,
                   vantande_avvikelse::INTEGER AS vantande_avvikelse, nya::INTEGER AS nya,
                   genomforda::INTEGER AS genomforda, genomforda_inom_90::INTEGER AS genomforda_inom_90,
                   file_id, file_no
            FROM {valid}""")
        replaced = con.execute("""
            WITH keys AS (SELECT DISTINCT file_no, period, vardenhet_hsaid FROM vtd_new),
            seq AS (SELECT *, lag(file_no) OVER (PARTITION BY period, vardenhet_hsaid ORDER BY file_no) AS prev_no
                    FROM keys),
            stored AS (SELECT period, vardenhet_hsaid, count(*) AS n FROM vtd
                       SEMI JOIN keys USING (period, vardenhet_hsaid) GROUP BY ALL),
            batch AS (SELECT file_no, period, vardenhet_hsaid, count(*) AS n FROM vtd_new GROUP BY ALL)
            SELECT s.file_no, sum(CASE WHEN s.prev_no IS NULL THEN coalesce(o.n, 0) ELSE coalesce(b.n, 0) END)
            FROM seq s
            LEFT JOIN stored o ON o.period = s.period AND o.vardenhet_hsaid = s.vardenhet_hsaid
            LEFT JOIN batch b ON b.file_no = s.prev_no AND b.period = s.period
                             AND b.vardenhet_hsaid = s.vardenhet_hsaid
            GROUP BY s.file_no""").fetchall()
        for file_no, n in replaced:
            ready[file_no][0].replaced = int(n)
        con.execute("""
            DELETE FROM vtd USING (SELECT DISTINCT period, vardenhet_hsaid FROM vtd_new) k
            WHERE vtd.period = k.period AND vtd.vardenhet_hsaid = k.vardenhet_hsaid""")
        con.execute("""
            INSERT INTO vtd
            SELECT n.* EXCLUDE (file_no) FROM vtd_new n
            SEMI JOIN (SELECT period, vardenhet_hsaid, max(file_no) AS file_no FROM vtd_new GROUP BY ALL) l
                ON l.period = n.period AND l.vardenhet_hsaid = n.vardenhet_hsaid AND l.file_no = n.file_no""")
        con.execute("DROP TABLE vtd_new")

    def _apply_units(self, res, valid) -> None:
        con = self.con
        res.replaced = con.execute(
            f"SELECT count(*) FROM units WHERE vardenhet_hsaid IN (SELECT vardenhet_hsaid FROM {valid})"
        ).fetchall()[0][0]
        con.execute(f"""
            INSERT OR REPLACE INTO units
            SELECT vardenhet_hsaid, namn, sjukhus, region_kod, agarform, ort, lat_f, lon_f, file_id
            FROM {valid}""")

    def _apply_kva(self, res, valid) -> None:
        con = self.con
        res.replaced = con.execute(
            f"SELECT count(*) FROM kva WHERE kod IN (SELECT kod FROM {valid})").fetchall()[0][0]
        ncr = rules.in_list(sorted(reference.NCR_GROUPS))
        con.execute(f"""
            INSERT OR REPLACE INTO kva
            SELECT kod, titel, length(kod) = 3,
                   CASE WHEN length(kod) = 3 THEN (CASE WHEN kod IN {ncr} THEN 'ncr' ELSE 'spor' END) END,
                   false
            FROM {valid}""")

    def merge_registers(self) -> tuple[int, int]:
        """Apply the staged register rows of the run in one pass: for every (source,
        post_id) touched, the version of the latest file wins (or nothing, when that
        was ``makulerad``); earlier versions in the warehouse are deleted.
        Returns (records replaced by a correction, records deleted by makulerad)."""
        if not self._stage_ready:
            return 0, 0
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("""
                CREATE OR REPLACE TEMP TABLE latest AS
                SELECT source, post_id, max(file_id) AS file_id, arg_max(is_cancel, file_id) AS is_cancel,
                       count(*) FILTER (WHERE NOT is_cancel)
                         - CASE WHEN arg_max(is_cancel, file_id) THEN 0 ELSE 1 END AS earlier_staged
                FROM touched GROUP BY source, post_id""")
            deleted = con.sql("""
                DELETE FROM operations USING latest l
                WHERE operations.source = l.source AND operations.post_id = l.post_id
                RETURNING operations.source, operations.post_id""").to_arrow_table()
            con.register("deleted", deleted)
            replaced, cancelled = con.execute("""
                SELECT count(*) FILTER (WHERE NOT l.is_cancel), count(*) FILTER (WHERE l.is_cancel)
                FROM latest l LEFT JOIN deleted d USING (source, post_id)
                WHERE d.post_id IS NOT NULL OR l.earlier_staged > 0""").fetchall()[0]
            con.unregister("deleted")
            was_empty = con.execute("SELECT count(*) = 0 FROM (SELECT 1 FROM operations LIMIT 1)").fetchall()[0][0]
            inserted = con.execute(f"""
                INSERT INTO operations
                SELECT s.* FROM stage s SEMI JOIN latest l
                    ON s.source = l.source AND s.post_id = l.post_id AND s.file_id = l.file_id
                ORDER BY {sort_key("s.kva_grupp", "s.operation_datum")}""").fetchall()[0][0]
            # A sorted run into an empty table, or one of many row groups, keeps scans
            # by group and date selective; a small run appended after others does not.
            if not was_empty and inserted < rules.SORTED_INSERT_ROWS:
                self.unsorted_rows += inserted
            con.execute("DROP TABLE stage")
            con.execute("DROP TABLE touched")
            con.execute("DROP TABLE latest")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._stage_ready = False
        self._staged.clear()
        return int(replaced or 0), int(cancelled or 0)


def _mark_all(ready, phase: str, since: float) -> float:
    now = time.perf_counter()
    for res, _ in ready:
        res.phases[phase] = res.phases.get(phase, 0.0) + (now - since) / len(ready)
    return now


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


# ---- finishing a snapshot -------------------------------------------------------------------

def _operations_ddl(name: str) -> str:
    statement = next(s for s in DDL if "TABLE IF NOT EXISTS operations" in s)
    return statement.replace("TABLE IF NOT EXISTS operations", f"TABLE {name}")


def resort_operations(con, unsorted: int, force: bool = False) -> bool:
    """Rewrite ``operations`` sorted by (kva_grupp, operation_datum) when the rows
    appended unsorted are too many. Returns True when it re-sorted."""
    total = con.execute("SELECT count(*) FROM operations").fetchall()[0][0]
    if not force and unsorted <= max(RESORT_MIN_ROWS, RESORT_SHARE * total):
        return False
    con.execute("BEGIN TRANSACTION")
    con.execute(_operations_ddl("operations_sorted"))
    con.execute("INSERT INTO operations_sorted SELECT * FROM operations "
                f"ORDER BY {sort_key('kva_grupp', 'operation_datum')}")
    con.execute("DROP TABLE operations")
    con.execute("ALTER TABLE operations_sorted RENAME TO operations")
    con.execute("COMMIT")
    return True


def refresh_summaries(con, now: dt.datetime, unsorted_rows: int) -> None:
    """sources (data date, records, files) and snapshot_info, derived once per snapshot."""
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM sources")
    con.execute("""
        WITH files AS (
            SELECT kind AS source, count(*) AS files_loaded, max(loaded_at) AS last_loaded_at
            FROM load_history WHERE outcome = 'loaded' GROUP BY kind
        ), data AS (
            SELECT source, max(operation_datum) AS data_date, count(*) AS records
            FROM operations GROUP BY source
            UNION ALL
            SELECT 'vtd', last_day(max(period || '-01')::DATE), count(*) FROM vtd
            UNION ALL
            SELECT 'vardenheter', NULL, count(*) FROM units
            UNION ALL
            SELECT 'kva', NULL, count(*) FROM kva
        ), names AS (
            SELECT unnest(['spor', 'ncr', 'vtd', 'vardenheter', 'kva']) AS source
        )
        INSERT INTO sources
        SELECT names.source, data.data_date, coalesce(data.records, 0), coalesce(files.files_loaded, 0),
               files.last_loaded_at
        FROM names LEFT JOIN data USING (source) LEFT JOIN files USING (source)
    """)
    con.execute("DELETE FROM snapshot_info WHERE key IN ('demo', 'created_at', 'schema_version', "
                "'operations_unsorted_rows')")
    con.execute("""
        INSERT INTO snapshot_info
        SELECT 'demo', CASE WHEN count(*) > 0 THEN 'true' ELSE 'false' END
            FROM (SELECT 1 FROM units WHERE starts_with(vardenhet_hsaid, $prefix) LIMIT 1)
        UNION ALL SELECT 'created_at', $created
        UNION ALL SELECT 'schema_version', $version
        UNION ALL SELECT 'operations_unsorted_rows', $unsorted""",
                {"prefix": DEMO_HSA_PREFIX, "created": now.isoformat(timespec="seconds"),
                 "version": str(SCHEMA_VERSION), "unsorted": str(unsorted_rows)})
    con.execute("COMMIT")


# ---- a run ------------------------------------------------------------------------------------

def load_paths(
    paths: list[Path],
    warehouse_dir: Path,
    source: str | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    on_start: Callable[[Path, int], None] | None = None,
    today: dt.date | None = None,
) -> RunResult:
    """Load files/folders into one new snapshot and publish it (see module doc).

    ``on_start(path, size)`` is called before and ``on_file(result)`` after each file.
    """
    started = time.perf_counter()
    planned = plan([Path(p) for p in paths], source)
    results: list[FileResult] = []
    todo: list[tuple[Path, str]] = []
    for item in planned:
        if isinstance(item, FileResult):
            results.append(item)
            if on_file:
                on_file(item)
        else:
            todo.append(item)
    store = SnapshotStore(warehouse_dir)
    snapshot_id = None
    replaced = cancelled = 0
    phases: dict[str, float] = {}
    if todo:
        with store.lock(wait=False):
            for leftover in store.snapshots.glob("*.building.tmp"):      # spill directories of a killed run
                shutil.rmtree(leftover, ignore_errors=True)
            store.remove_stale_builds()
            sid, building = store.begin()
            spill = building.with_name(building.name + ".tmp")             # DuckDB's temp_directory
            now = dt.datetime.now().replace(microsecond=0)
            con = None
            try:
                con = connect_building(building, spill)
                seed_reference(con)
                file_loader = FileLoader(con, sid, now, today)
                changed = False
                # Read the next files on a helper thread while this one is checked and applied
                # (pyarrow and DuckDB both release the GIL).
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-read") as pool:
                    prepared = _read_ahead(pool, file_loader.prepare, todo)
                    for batch in batches(todo):
                        items = []
                        for path, kind in batch:
                            if on_start:
                                on_start(path, _size(path))
                            items.append((path, kind, next(prepared)))
                        for res in file_loader.load_batch(items):
                            results.append(res)
                            changed |= res.outcome in ("loaded", "rejected")
                            if on_file:
                                on_file(res)
                        del items
                t = time.perf_counter()
                phases["files"] = t - started
                if changed:
                    replaced, cancelled = file_loader.merge_registers()
                    t = _lap(phases, "merge", t)
                    unsorted = 0 if resort_operations(con, file_loader.unsorted_rows) else file_loader.unsorted_rows
                    t = _lap(phases, "sort", t)
                    refresh_summaries(con, now, unsorted)
                    t = _lap(phases, "summaries", t)
                    con.execute("CHECKPOINT")
                    t = _lap(phases, "checkpoint", t)
                con.close()
                con = None
                t = _lap(phases, "close", t)
                shutil.rmtree(spill, ignore_errors=True)
                if changed:
                    store.publish(sid, building)
                    snapshot_id = sid
                    _lap(phases, "publish", t)
                else:
                    store.abandon(building)
            except BaseException:
                if con is not None:
                    try:
                        con.close()
                    except Exception:  # noqa: BLE001
                        pass
                shutil.rmtree(spill, ignore_errors=True)
                store.abandon(building)
                raise
    return RunResult(results, snapshot_id, time.perf_counter() - started, replaced, cancelled, phases)


#: Files at most this big are checked together with their neighbours of the same kind.
BATCH_FILE_BYTES = 4_000_000
BATCH_MAX_BYTES = 64_000_000


def batches(todo: list[tuple[Path, str]]) -> list[list[tuple[Path, str]]]:
    """Consecutive small files of one kind form a batch; a big file is a batch of its own."""
    out: list[list[tuple[Path, str]]] = []
    size = 0
    for path, kind in todo:
        small = _size(path) <= BATCH_FILE_BYTES
        if out and small and out[-1][-1][1] == kind and _size(out[-1][-1][0]) <= BATCH_FILE_BYTES \
                and size + _size(path) <= BATCH_MAX_BYTES:
            out[-1].append((path, kind))
            size += _size(path)
        else:
            out.append([(path, kind)])
            size = _size(path)
    return out


#: How far the helper thread may read ahead of the files being applied.
READ_AHEAD_BYTES = 400_000_000
READ_AHEAD_FILES = 64


def _read_ahead(pool, prepare, todo):
    """Yield prepare(path, kind) for each file in order, reading ahead on the pool's
    thread (up to READ_AHEAD_FILES files / READ_AHEAD_BYTES bytes beyond the current)."""
    pending: collections.deque = collections.deque()
    nxt = 0

    def fill():
        nonlocal nxt
        while nxt < len(todo) and (not pending or (
                len(pending) < READ_AHEAD_FILES and sum(size for _, size in pending) < READ_AHEAD_BYTES)):
            path, kind = todo[nxt]
            pending.append((pool.submit(prepare, path, kind), _size(path)))
            nxt += 1

    fill()
    while pending:
        future, _ = pending.popleft()
        fill()
        yield future.result()


def _lap(phases: dict, name: str, since: float) -> float:
    now = time.perf_counter()
    phases[name] = now - since
    return now


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# ---- Swedish number formats for messages --------------------------------------------------------

def fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def fmt_pct(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",") + " %"
