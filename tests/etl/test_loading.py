"""Loading semantics: the 5 % rule, idempotency, corrections and cancellations,
wait-time-database resubmissions, catalogue replacements, one snapshot per
run, derived columns and summaries, and the demo delivery end to end."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from data.schema import DEMO_HSA_PREFIX
from data.warehouse import Warehouse
from etl.snapshot import SnapshotStore
from tests.etl.helpers import (
    NCR_HEADER, SPOR_HEADER, UNIT_A, UNIT_B, UNIT_P, UNITS_HEADER, UNITS_ROWS, VTD_HEADER, digest, history, load,
    ncr_row, query, rejections, spor_row, vtd_row, warehouse_dir, write_base_delivery, write_csv,
)


# ---- the 5 % rule ----------------------------------------------------------------------

@pytest.mark.parametrize("rows, bad, outcome", [
    (20, 1, "loaded"),      # 5,0 %: not more than 5 %
    (100, 5, "loaded"),     # 5,0 %
    (39, 2, "rejected"),    # 5,1 %
    (100, 6, "rejected"),   # 6,0 %
])
def test_five_percent_rule(wh, files, rows, bad, outcome):
    before = digest(wh)
    data = [spor_row(1000 + i) for i in range(rows)]
    for k in range(bad):
        data[3 + 2 * k] = spor_row(1003 + 2 * k, asa_klass="9")
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, data)
    res = load(wh, path).files[0]
    assert res.outcome == outcome, res.message
    assert res.rows_total == rows and res.rejected == bad
    stored = [r for r in rejections(wh, path.name) if r[0] is not None]
    assert [r[0] for r in stored] == [5 + 2 * k for k in range(bad)]   # data row 3 + 2k is line 5 + 2k
    assert all(r[1:] == ("asa_klass", "9", "asa_klass ska vara ett heltal 1–6 eller tom") for r in stored)
    stored_ids = {r[0] for r in query(wh, "SELECT post_id FROM operations WHERE post_id LIKE 'S01%'")}
    if outcome == "loaded":
        assert res.accepted == rows - bad
        assert len(stored_ids) == rows - bad
        assert history(wh, path.name)[:4] == ("loaded", rows, rows - bad, bad)
    else:
        assert res.accepted == 0 and not stored_ids
        assert "gränsen är 5 %" in res.message
        assert digest(wh) == before


# ---- idempotency -----------------------------------------------------------------------

def test_same_file_twice_changes_nothing(wh, files):
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(1100 + i) for i in range(5)])
    first = load(wh, path)
    assert first.files[0].outcome == "loaded" and first.snapshot_id
    before, snapshots = digest(wh), SnapshotStore(warehouse_dir(wh)).published_ids()
    history_before = query(wh, "SELECT * FROM load_history ORDER BY file_id")

    second = load(wh, path)

    assert second.files[0].outcome == "unchanged"
    assert second.files[0].message == "redan inläst (oförändrad)"
    assert second.snapshot_id is None
    assert SnapshotStore(warehouse_dir(wh)).published_ids() == snapshots
    assert digest(wh) == before
    assert query(wh, "SELECT * FROM load_history ORDER BY file_id") == history_before


def test_same_content_under_another_name_is_recognised(wh, files):
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(1110)])
    load(wh, path)
    copy = files / "spor_20261102_kopia.csv"
    copy.write_bytes(path.read_bytes())
    assert load(wh, copy).files[0].outcome == "unchanged"


def test_rejected_file_can_be_loaded_after_fixing_the_catalogue(wh, files):
    new_unit = "SE2321000016-N777"
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(1120, vardenhet_hsaid=new_unit)])
    assert load(wh, path).files[0].outcome == "rejected"
    units = write_csv(files / "vardenheter.csv", UNITS_HEADER,
                      [[new_unit, "Ny klinik", "", "03", "privat", "Uppsala", "", ""]])
    result = load(wh, units, path)
    assert [f.outcome for f in result.files] == ["loaded", "loaded"]
    assert query(wh, "SELECT region_kod FROM operations WHERE post_id = 'S01120'") == [("03",)]


# ---- corrections and cancellations -------------------------------------------------------

def test_correction_replaces_and_makulerad_deletes(wh, files):
    before = dict(query(wh, "SELECT post_id, kva_kod FROM operations WHERE source = 'spor'"))
    assert before["S00004"] != "LAF10" and "S00005" in before
    cancel = [""] * len(SPOR_HEADER)
    cancel[0], cancel[-1] = "S00005", "MAKULERAD"
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [
        spor_row(4, kva_kod="LAF10", asa_klass="4"),   # correction of S00004
        cancel,                                        # cancels S00005
        spor_row(1200),                                # a new record
        [("S09999" if c == "post_id" else "") for c in SPOR_HEADER[:-1]] + ["makulerad"],  # unknown: no-op
    ])
    result = load(wh, path)
    res = result.files[0]
    assert res.outcome == "loaded" and res.accepted == 4 and res.rejected == 0, res.details
    assert (result.replaced, result.cancelled) == (1, 1)
    after = {r[0]: r[1:] for r in query(wh, "SELECT post_id, kva_kod, kva_grupp, asa_klass, file_id "
                                            "FROM operations WHERE source = 'spor'")}
    assert after["S00004"][:3] == ("LAF10", "LAF", 4)
    assert after["S00004"][3] == res.file_id
    assert "S00005" not in after and "S01200" in after and "S09999" not in after
    assert len(after) == len(before) - 1 + 1
    assert query(wh, "SELECT records FROM sources WHERE source = 'spor'") == [(len(after),)]


def test_corrections_within_one_run_apply_in_file_order(wh, files):
    a = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(1300), spor_row(1301)])
    b = write_csv(files / "spor_20261103.csv", SPOR_HEADER, [spor_row(1300, kva_kod="NHB49")])
    cancel = [""] * len(SPOR_HEADER)
    cancel[0], cancel[-1] = "S01301", "makulerad"
    c = write_csv(files / "spor_20261104.csv", SPOR_HEADER, [cancel, spor_row(2, kva_kod="QDG10")])
    result = load(wh, c, a, b)            # given out of order: loaded in name order
    assert [f.name for f in result.files] == [a.name, b.name, c.name]
    ops = dict(query(wh, "SELECT post_id, kva_kod FROM operations WHERE post_id IN ('S01300','S01301','S00002')"))
    assert ops == {"S01300": "NHB49", "S00002": "QDG10"}
    assert (result.replaced, result.cancelled) == (2, 1)


def test_same_post_id_in_spor_and_ncr_are_different_records(wh, files):
    path = write_csv(files / "ncr_20261102.csv", NCR_HEADER, [ncr_row(5000, post_id="S00001")])
    assert load(wh, path).files[0].outcome == "loaded"
    assert query(wh, "SELECT source FROM operations WHERE post_id = 'S00001' ORDER BY source") == [("ncr",), ("spor",)]


# ---- wait-time database ---------------------------------------------------------------------

def test_vtd_resubmission_replaces_period_and_unit(wh, files):
    path = write_csv(files / "vtd_202610_omleverans.csv", VTD_HEADER, [
        vtd_row(UNIT_A, "2", "NGB", vantande="200", vantande_over_90="90"),
        vtd_row(UNIT_A, "2", "NHB", vantande="7", vantande_over_90="1"),
    ])
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.replaced == 2     # unit A had fas 1 + fas 2 NGB rows
    rows = query(wh, "SELECT vardenhet_hsaid, fas, kva_grupp, vantande FROM vtd WHERE period = '2026-10' "
                     "ORDER BY ALL")
    assert rows == [(UNIT_A, 2, "NGB", 200), (UNIT_A, 2, "NHB", 7), (UNIT_B, 2, "CJE", 120), (UNIT_P, 2, "NGB", 120)]


def test_vtd_new_period_adds_and_sets_data_date(wh, files):
    path = write_csv(files / "vtd_202611.csv", VTD_HEADER, [vtd_row(UNIT_P, "2", "NGB", period="2026-11")])
    load(wh, path)
    assert query(wh, "SELECT count(*) FROM vtd") == [(5,)]
    assert query(wh, "SELECT data_date FROM sources WHERE source = 'vtd'") == [(dt.date(2026, 11, 30),)]
    assert query(wh, "SELECT region_kod FROM vtd WHERE period = '2026-11'") == [("14",)]


# ---- catalogues --------------------------------------------------------------------------------

def test_unit_seen_again_replaces_earlier(wh, files):
    row = list(UNITS_ROWS[0])
    row[1], row[4] = "Ortopedkliniken Solna (ny)", "privat"
    res = load(wh, write_csv(files / "vardenheter_20261102.csv", UNITS_HEADER, [row])).files[0]
    assert res.outcome == "loaded" and res.replaced == 1
    assert query(wh, "SELECT namn, agarform FROM units WHERE vardenhet_hsaid = ?", [UNIT_A]) == [
        ("Ortopedkliniken Solna (ny)", "privat")]
    assert query(wh, "SELECT count(*) FROM units") == [(3,)]


def test_kva_file_replaces_titles_and_builtin_catalogue_is_seeded(wh, files):
    assert query(wh, "SELECT count(*) FROM regions") == [(21,)]
    assert query(wh, "SELECT titel, inbyggd FROM kva WHERE kod = 'NGB49'") == [("Primär totalprotes i knäled", False)]
    from data import reference
    assert query(wh, "SELECT count(*) FROM kva WHERE ar_grupp") == [(len(reference.kva_groups()),)]
    assert query(wh, "SELECT kalla FROM kva WHERE kod = 'CJE'") == [("ncr",)]


# ---- derived columns and summaries ----------------------------------------------------------------

def test_derived_columns(wh):
    rows = query(wh, "SELECT post_id, start_datum, operation_datum, vantedagar, kva_grupp, region_kod FROM operations "
                     "WHERE post_id IN ('S00000', 'S00001', 'N00001') ORDER BY post_id")
    for post_id, start, op, days, group, region in rows:
        assert days == (op - start).days
    assert [(r[0], r[4], r[5]) for r in rows] == [("N00001", "CJC", "12"), ("S00000", "NGB", "01"),
                                                  ("S00001", "NFB", "14")]


def test_sources_and_snapshot_info(wh):
    sources = {r[0]: r[1:] for r in query(wh, "SELECT source, data_date, records, files_loaded FROM sources")}
    max_spor = query(wh, "SELECT max(operation_datum) FROM operations WHERE source = 'spor'")[0][0]
    assert sources["spor"] == (max_spor, 20, 1)
    assert sources["ncr"][1:] == (10, 1)
    assert sources["vtd"] == (dt.date(2026, 10, 31), 4, 1)
    assert sources["vardenheter"] == (None, 3, 1)
    info = dict(query(wh, "SELECT key, value FROM snapshot_info"))
    assert info["demo"] == "false" and info["schema_version"] == "1"
    assert dt.datetime.fromisoformat(info["created_at"])


def test_operations_sorted_by_group_and_date(wh):
    rows = query(wh, "SELECT kva_grupp, operation_datum FROM operations")
    assert rows == sorted(rows)


# ---- one snapshot per run; readers never see half a load ----------------------------------------

def test_folder_load_publishes_one_snapshot(tmp_path):
    delivery = write_base_delivery(tmp_path / "leverans")
    (delivery / "LASMIG.txt").write_text("Läs mig", encoding="utf-8")
    write_csv(delivery / "spor_20261102.csv", SPOR_HEADER, [spor_row(1400)])
    data_dir = tmp_path / "var"
    result = load(data_dir, delivery)
    names = [f.name for f in result.files]
    assert names == ["LASMIG.txt", "kva.csv", "vardenheter.csv", "ncr_20261101.csv", "spor_20261101.csv",
                     "spor_20261102.csv", "vtd_202610.csv"]
    assert result.files[0].outcome == "ignored"
    store = SnapshotStore(warehouse_dir(data_dir))
    assert store.published_ids() == [result.snapshot_id] == [store.current_id()]
    assert query(data_dir, "SELECT DISTINCT snapshot_id FROM load_history") == [(result.snapshot_id,)]
    assert not list(store.snapshots.glob("*.building*"))


def test_rejected_file_in_folder_does_not_stop_the_others(tmp_path):
    delivery = write_base_delivery(tmp_path / "leverans")
    write_csv(delivery / "spor_20261102.csv", SPOR_HEADER, [spor_row(1500, kva_kod="??")])
    data_dir = tmp_path / "var"
    result = load(data_dir, delivery)
    outcomes = {f.name: f.outcome for f in result.files}
    assert outcomes.pop("spor_20261102.csv") == "rejected"
    assert set(outcomes.values()) == {"loaded"}
    assert result.any_rejected and result.snapshot_id


def test_reader_never_sees_half_a_load(wh, files):
    """While a multi-file load runs, a reader on the published snapshot sees either
    the old totals or the new ones, never a state in between."""
    paths = [write_csv(files / f"spor_202611{d:02d}.csv", SPOR_HEADER, [spor_row(2000 + 100 * d + i)
                                                                        for i in range(50)])
             for d in range(2, 7)]
    reader = Warehouse(warehouse_dir(wh), threads=1)
    old = reader.rows("SELECT count(*), (SELECT count(*) FROM load_history) FROM operations")[0]
    seen: set[tuple] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.add(reader.rows("SELECT count(*), (SELECT count(*) FROM load_history) FROM operations")[0])
            time.sleep(0.002)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        result = load(wh, *paths)
    finally:
        time.sleep(0.05)
        stop.set()
        thread.join()
    new = reader.rows("SELECT count(*), (SELECT count(*) FROM load_history) FROM operations")[0]
    reader.close()
    assert [f.outcome for f in result.files] == ["loaded"] * 5
    assert new == (old[0] + 250, old[1] + 5)
    assert seen <= {old, new}, seen


# ---- the demo delivery end to end ------------------------------------------------------------------

def test_demo_delivery_loads_completely(tmp_path):
    from etl.demo import generate_demo

    summary = generate_demo(tmp_path / "demo", scale="small", seed=3, end_date=dt.date(2026, 11, 20))
    data_dir = tmp_path / "var"
    result = load(data_dir, tmp_path / "demo")
    bad = [(f.name, f.outcome, f.message, f.rejected) for f in result.files
           if f.outcome not in ("loaded", "ignored") or f.rejected]
    assert not bad
    assert [f.name for f in result.files if f.outcome == "ignored"] == ["LASMIG.txt"]
    counts = dict(query(data_dir, "SELECT source, count(*) FROM operations GROUP BY source"))
    assert counts["spor"] + counts["ncr"] == summary.spor_operations + summary.ncr_operations - summary.cancellations
    assert result.cancelled == summary.cancellations
    assert result.replaced == summary.corrections
    assert query(data_dir, "SELECT count(*) FROM units") == [(summary.units,)]
    assert query(data_dir, "SELECT value FROM snapshot_info WHERE key = 'demo'") == [("true",)]
    assert query(data_dir, "SELECT count(*) FROM units WHERE NOT starts_with(vardenhet_hsaid, ?)",
                 [DEMO_HSA_PREFIX]) == [(0,)]
    sources = dict(query(data_dir, "SELECT source, data_date FROM sources"))
    assert sources["spor"] == sources["ncr"] == dt.date(2026, 11, 20)
    assert sources["vtd"] == dt.date(2026, 10, 31)
    assert query(data_dir, "SELECT count(*) FROM vtd") == [(summary.vtd_rows - _resubmission_replaced(tmp_path / "demo"),)]


def _resubmission_replaced(folder) -> int:
    """Rows of the original month file that the resubmission replaces (same period and unit)."""
    import csv

    (resub,) = folder.glob("vtd_*_omleverans.csv")
    original = folder / resub.name.replace("_omleverans", "")

    def rows(p):
        with open(p, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))

    keys = {(r["period"], r["vardenhet_hsaid"]) for r in rows(resub)}
    return sum((r["period"], r["vardenhet_hsaid"]) in keys for r in rows(original))


# ---- small files are checked together, each judged on its own --------------------------------

def test_vtd_original_and_resubmission_in_one_run(wh, files):
    original = write_csv(files / "vtd_202611.csv", VTD_HEADER, [
        vtd_row(UNIT_A, "1", period="2026-11"), vtd_row(UNIT_A, "2", "NGB", period="2026-11"),
        vtd_row(UNIT_P, "2", "NGB", period="2026-11", vantande="50", vantande_over_90="5"),
    ])
    resub = write_csv(files / "vtd_202611_omleverans.csv", VTD_HEADER, [
        vtd_row(UNIT_A, "2", "NGB", period="2026-11", vantande="99", vantande_over_90="9"),
    ])
    result = load(wh, resub, original)
    assert [(f.name, f.outcome, f.replaced) for f in result.files] == [
        ("vtd_202611.csv", "loaded", 0), ("vtd_202611_omleverans.csv", "loaded", 2)]
    assert query(wh, "SELECT vardenhet_hsaid, fas, vantande FROM vtd WHERE period = '2026-11' ORDER BY ALL") == [
        (UNIT_A, 2, 99), (UNIT_P, 2, 50)]


def test_each_file_of_a_batch_is_judged_on_its_own(wh, files):
    good = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(6000 + i) for i in range(10)])
    some = [spor_row(6100 + i) for i in range(30)]
    some[7] = spor_row(6107, akut="Ja")                       # 1 of 30: loads, line 9 rejected
    some_path = write_csv(files / "spor_20261103.csv", SPOR_HEADER, some)
    broken = write_csv(files / "spor_20261104.csv", SPOR_HEADER,
                       [spor_row(6200), spor_row(6201, operation_datum="2026-13-01")])   # 1 of 2: rejected
    later = write_csv(files / "spor_20261105.csv", SPOR_HEADER, [spor_row(6300, post_id="S06300")] * 2)
    result = load(wh, good, some_path, broken, later)
    got = {f.name: (f.outcome, f.rows_total, f.accepted, f.rejected) for f in result.files}
    assert got == {
        "spor_20261102.csv": ("loaded", 10, 10, 0),
        "spor_20261103.csv": ("loaded", 30, 29, 1),
        "spor_20261104.csv": ("rejected", 2, 0, 1),
        "spor_20261105.csv": ("rejected", 2, 0, 1),
    }
    assert [r for r in rejections(wh, "spor_20261103.csv")] == [
        (9, "akut", "Ja", "akut ska vara J, N eller tom")]
    assert (3, "operation_datum", "2026-13-01", "ogiltigt datum: ska vara ÅÅÅÅ-MM-DD") in rejections(wh, "spor_20261104.csv")
    assert (3, "post_id", "S06300", "post_id förekommer redan på rad 2 i samma fil") in rejections(wh, "spor_20261105.csv")
    ids = {r[0] for r in query(wh, "SELECT post_id FROM operations WHERE post_id >= 'S06000'")}
    assert len(ids) == 10 + 29 and "S06107" not in ids and "S06200" not in ids


# ---- sort order ---------------------------------------------------------------------------------------

def test_small_appends_are_counted_and_a_long_tail_is_resorted(wh, files, monkeypatch):
    from etl import build

    first = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(7000 + i, kva_kod="AAA10")
                                                                for i in range(10)])
    load(wh, first)
    assert query(wh, "SELECT value FROM snapshot_info WHERE key = 'operations_unsorted_rows'") == [("10",)]
    rows = query(wh, "SELECT kva_grupp, operation_datum FROM operations")
    assert rows != sorted(rows)            # the appended AAA rows sit after the sorted run

    monkeypatch.setattr(build, "RESORT_MIN_ROWS", 15)
    second = write_csv(files / "spor_20261103.csv", SPOR_HEADER, [spor_row(7100 + i) for i in range(6)])
    load(wh, second)
    assert query(wh, "SELECT value FROM snapshot_info WHERE key = 'operations_unsorted_rows'") == [("0",)]
    rows = query(wh, "SELECT kva_grupp, operation_datum FROM operations")
    assert rows == sorted(rows) and len(rows) == 30 + 16
    not_null = {c for (c,) in query(wh, "SELECT column_name FROM duckdb_columns() "
                                        "WHERE table_name = 'operations' AND NOT is_nullable")}
    assert {"source", "post_id", "kva_grupp", "vantedagar", "file_id"} <= not_null
