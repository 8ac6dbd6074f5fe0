"""Applying validated rows to the building snapshot, per kind of file.

``valid`` is always a SQL FROM item (aliased p) over view p of etl/rules.py
holding only accepted rows of accepted files, with ``file_id`` and ``file_no``.

- Register files (spor, ncr): rows are staged for the whole run and merged
  once (:class:`RegisterStage`): for each (source, post_id) the version of the
  latest file wins, ``makulerad`` deletes, earlier versions are removed from
  ``operations`` with one DELETE. The first big file of a source with nothing
  stored goes straight in, sorted (:func:`insert_direct`).
- VTD: a later file for the same period and unit replaces the earlier rows.
- Catalogues: a row with a known key replaces the earlier one.
"""
from __future__ import annotations

from data import reference
from etl import rules
from etl.build import sort_key


def register_select(source: str, source_sql: str) -> str:
    """SELECT of operations rows (the table's column order) from view p."""
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


def insert_direct(con, kind: str, p_sql: str, checks: list[rules.Check]) -> int:
    """Insert every row that breaks no rule, sorted, in one pass. Returns the rows inserted."""
    spec = rules.KINDS[kind]
    checked = f"(SELECT *, {rules.rule_case(spec, checks)} AS rule_no FROM {p_sql}) q"
    return con.execute(
        f"INSERT INTO operations {register_select(kind, checked)} AND rule_no IS NULL "
        f"ORDER BY {sort_key('kva_kod', 'operation_datum_d')}"
    ).fetchall()[0][0]


class RegisterStage:
    """Register rows of one run, merged into ``operations`` at the end of the run."""

    def __init__(self, con):
        self.con = con
        self.ready = False
        self.sources: set[str] = set()

    def add(self, source: str, valid: str) -> None:
        con = self.con
        if not self.ready:
            con.execute("CREATE TEMP TABLE stage AS SELECT * FROM operations LIMIT 0")
            con.execute("CREATE TEMP TABLE touched (source VARCHAR, post_id VARCHAR, file_id INTEGER, "
                        "is_cancel BOOLEAN)")
            self.ready = True
        con.execute(f"INSERT INTO touched SELECT '{source}', post_id, file_id, is_cancel FROM {valid}")
        con.execute(f"INSERT INTO stage {register_select(source, valid)}")
        self.sources.add(source)

    def merge(self) -> tuple[int, int, int]:
        """For every (source, post_id) touched, the version of the latest file wins (or
        nothing, when that was ``makulerad``); earlier versions in the warehouse are
        deleted. Returns (records replaced by a correction, records deleted by
        makulerad, rows appended after earlier rows in a run too small to stay sorted)."""
        if not self.ready:
            return 0, 0, 0
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
            unsorted = inserted if not was_empty and inserted < rules.SORTED_INSERT_ROWS else 0
            for table in ("stage", "touched", "latest"):
                con.execute(f"DROP TABLE {table}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.ready = False
        self.sources.clear()
        return int(replaced or 0), int(cancelled or 0), unsorted


def apply_vtd(con, ready, valid: str) -> None:
    """A later file for the same period and unit replaces the earlier rows of that
    period and unit, whether they are stored or in an earlier file of this batch.
    Sets ``replaced`` per file: the rows that stood for its keys before it."""
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


def apply_units(con, res, valid: str) -> None:
    res.replaced = con.execute(
        f"SELECT count(*) FROM units WHERE vardenhet_hsaid IN (SELECT vardenhet_hsaid FROM {valid})"
    ).fetchall()[0][0]
    con.execute("""
        CREATE TEMP TABLE IF NOT EXISTS units_moved (vardenhet_hsaid VARCHAR PRIMARY KEY, region_kod VARCHAR)""")
    con.execute(f"""
        INSERT OR REPLACE INTO units_moved
        SELECT p.vardenhet_hsaid, p.region_kod FROM {valid}
        JOIN units u ON u.vardenhet_hsaid = p.vardenhet_hsaid AND u.region_kod IS DISTINCT FROM p.region_kod""")
    con.execute(f"""
        INSERT OR REPLACE INTO units
        SELECT vardenhet_hsaid, namn, sjukhus, region_kod, agarform, ort, lat_f, lon_f, file_id
        FROM {valid}""")


def refresh_derived_regions(con) -> int:
    """Derived fields stay true: a unit whose region a catalogue file changed
    has every stored operation and wait-time-database row moved to the new
    region in the same snapshot (run after the registers are merged, so rows
    staged from an earlier file of the run are moved too). Returns the rows moved."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'units_moved' AND temporary")
    if not exists.fetchall()[0][0]:
        return 0
    moved = 0
    for table in ("operations", "vtd"):
        moved += con.execute(f"""
            UPDATE {table} SET region_kod = m.region_kod FROM units_moved m
            WHERE {table}.vardenhet_hsaid = m.vardenhet_hsaid
              AND {table}.region_kod IS DISTINCT FROM m.region_kod""").fetchall()[0][0]
    con.execute("DROP TABLE units_moved")
    return moved


def apply_kva(con, res, valid: str) -> None:
    res.replaced = con.execute(
        f"SELECT count(*) FROM kva WHERE kod IN (SELECT kod FROM {valid})").fetchall()[0][0]
    ncr = rules.in_list(sorted(reference.NCR_GROUPS))
    con.execute(f"""
        INSERT OR REPLACE INTO kva
        SELECT kod, titel, length(kod) = 3,
               CASE WHEN length(kod) = 3 THEN (CASE WHEN kod IN {ncr} THEN 'ncr' ELSE 'spor' END) END,
               false
        FROM {valid}""")
