"""Checking and applying a batch of files of one kind on the building snapshot.

Per file: hash and read (etl/readers.py, on a helper thread: :func:`prepare_file`)
→ every rule in one vectorised SQL pass (etl/rules.py) → a file with more than
5 % of its rows breaking a rule is rejected (its load-history row and its first
rejected rows are kept, no data) → otherwise it is applied (etl/apply.py) with
its row-level rejections stored, in one transaction.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import readers, rules
from etl.apply import RegisterStage, apply_kva, apply_units, apply_vtd, insert_direct
from etl.build import insert_rows, loaded_hashes, read_info
from etl.readers import FileRejected
from etl.results import FileResult, fmt_int, fmt_pct

#: Details of rejected rows kept for a file rejected as a whole (a loaded file keeps all).
MAX_DETAILS_REJECTED_FILE = 1000


@dataclass
class Prepared:
    """A file hashed and read, ready to validate (made on a helper thread)."""

    sha256: str | None
    raw: readers.RawFile | None = None
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)


def unreadable_message(path: Path, exc: BaseException) -> str:
    """A Swedish reason and what to do, for a file a reader could not parse
    (the traceback goes to the log, never to the user)."""
    import logging
    import xml.etree.ElementTree as ET

    # the traceback is for the log at debug level (etl --verbose), never for the user
    logging.getLogger("lagesbild.etl").debug("Filen %s kunde inte läsas", path, exc_info=exc)
    if isinstance(exc, MemoryError):
        return ("Filen är för stor för att läsas i minnet. Dela upp den i mindre filer (t.ex. per månad) "
                "och läs in dem var för sig.")
    if isinstance(exc, ET.ParseError) or type(exc).__name__ in ("ParseError", "XMLSyntaxError"):
        return readers.XLSX_DAMAGED
    if isinstance(exc, UnicodeError):
        return "Filens teckenkodning kunde inte läsas. Spara den som CSV UTF-8 och försök igen."
    return (f"Filen kunde inte läsas ({type(exc).__name__}). Kontrollera att den är en oskadad CSV-, "
            "XLSX- eller Parquet-fil; spara om den som CSV UTF-8 och försök igen.")


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
    except Exception as exc:  # noqa: BLE001 - any reader failure rejects this file alone
        return Prepared(sha, error=unreadable_message(path, exc), phases=phases)
    phases["read"] = time.perf_counter() - hashed
    return Prepared(sha, raw=raw, phases=phases)


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
        self.unsorted_rows = int(read_info(con, "operations_unsorted_rows", "0"))
        self.stage = RegisterStage(con)
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
        extra = list(rules.typed_columns(spec.kind)) + ["f.file_date", "f.file_id", "f.file_period", "f.load_day"]
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
                and not self._has_rows.get(kind) and kind not in self.stage.sources)

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
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files (file_no INTEGER, file_id INTEGER, "
                    "file_name VARCHAR, file_date DATE, file_period VARCHAR, load_day DATE)")
        insert_rows(con, "batch_files", [(i, res.file_id, res.name, raw.file_date, raw.file_period,
                                          raw.today or dt.date.today())
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
                inserted = insert_direct(con, kind, p_sql, checks)
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
                f"({fmt_pct(share, 0.05)}) bryter mot reglerna; gränsen är 5 %. Ingenting från filen har lagrats."))
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
            self.stage.add(spec.kind, valid)
        elif spec.kind == "vtd":
            apply_vtd(self.con, ready, valid)
        else:
            apply = {"vardenheter": apply_units, "kva": apply_kva}[spec.kind]
            for i in accepted:          # in file order: a later file replaces an earlier one
                one = f"(SELECT * FROM {valid} WHERE file_no = {i}) p" if len(accepted) > 1 else valid
                apply(self.con, ready[i][0], one)

    def merge_registers(self) -> tuple[int, int]:
        """Merge the run's staged register rows (see RegisterStage.merge).
        Returns (records replaced by a correction, records deleted by makulerad)."""
        replaced, cancelled, unsorted = self.stage.merge()
        self.unsorted_rows += unsorted
        return replaced, cancelled


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
