"""The real command line in a subprocess: exit codes, Swedish output, status,
bootstrap, and a load killed mid-file."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from data.warehouse import Warehouse
from etl.snapshot import SnapshotStore
from tests.etl.helpers import (
    ROOT, SPOR_HEADER, UNIT_A, UNIT_P, digest, query, run_cli, spor_row, warehouse_dir, write_csv,
)


def test_exit_0_with_summary_line_per_file(wh, files):
    rows = [spor_row(3000 + i) for i in range(2345)]
    rows[10] = spor_row(3010, asa_klass="0")
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, rows)
    (files / "LASMIG.txt").write_text("hej", encoding="utf-8")
    proc = run_cli(wh, "load", str(files))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert "spor_20261102.csv: 2 344 godkända, 1 avvisad rad" in out
    assert "    spor_20261102.csv, rad 12, kolumn asa_klass: asa_klass ska vara ett heltal 1–6 eller tom (värde: '0')" in out
    assert any(line.startswith("LASMIG.txt: ignoreras") for line in out)
    assert out[-1].startswith("Klart på ") and "ny ögonblicksbild" in out[-1]

    again = run_cli(wh, "load", str(path))
    assert again.returncode == 0
    assert "spor_20261102.csv: redan inläst (oförändrad)" in again.stdout
    assert "inget nytt att publicera" in again.stdout


def test_exit_2_when_a_file_is_rejected(wh, files):
    before = digest(wh)
    rows = [spor_row(3100 + i, kva_kod="X") for i in range(8)]
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, rows)
    proc = run_cli(wh, "load", str(path))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    out = proc.stdout
    assert "spor_20261102.csv: AVVISAD: för många felaktiga rader: 8 av 8 (100,0 %) bryter mot reglerna" in out
    assert "spor_20261102.csv, rad 2, kolumn kva_kod: ogiltig KVÅ-kod" in out
    assert "… och 3 avvisade rader till: python -m etl status --rejections spor_20261102.csv" in out
    assert digest(wh) == before

    status = run_cli(wh, "status", "--rejections", "spor_20261102.csv")
    assert status.returncode == 0
    assert "spor_20261102.csv: rad 9, kolumn kva_kod: ogiltig KVÅ-kod" in status.stdout
    assert "spor_20261102.csv: hela filen: Hela filen avvisad" in status.stdout


def test_exit_2_for_missing_file_and_unknown_kind(wh, files):
    unknown = files / "export.csv"
    unknown.write_text("a;b\n1;2\n", encoding="utf-8")
    proc = run_cli(wh, "load", str(files / "saknas.csv"), str(unknown))
    assert proc.returncode == 2
    assert "saknas.csv: AVVISAD: filen eller katalogen finns inte" in proc.stdout
    assert "export.csv: AVVISAD: okänd filtyp" in proc.stdout and "ange --source" in proc.stdout


def test_exit_1_on_internal_error_leaves_warehouse(wh, files):
    store = SnapshotStore(warehouse_dir(wh))
    current = store.current_path()
    current.write_bytes(b"this is not a DuckDB file" * 100)   # a damaged published snapshot
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(3200)])
    proc = run_cli(wh, "load", str(path))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("Internt fel:")
    assert "Lagret är oförändrat" in proc.stderr
    assert store.current_path() == current
    assert not list(store.snapshots.glob("*.building*"))


def test_bad_command_line_is_explained_in_swedish(wh):
    proc = run_cli(wh, "load", "x.csv", "--source", "okänd")
    assert proc.returncode == 2
    assert "Fel i kommandoraden" in proc.stderr


def test_status_text_and_json(wh):
    text = run_cli(wh, "status")
    assert text.returncode == 0
    assert "Svenskt Perioperativt Register (SPOR)" in text.stdout and "Senaste inläsningar" in text.stdout
    data = json.loads(run_cli(wh, "status", "--json").stdout)
    sources = {s["source"]: s for s in data["sources"]}
    assert sources["spor"]["records"] == 20 and sources["spor"]["files_loaded"] == 1
    assert sources["vtd"]["data_date"] == "2026-10-31"
    assert {l["file"] for l in data["loads"]} >= {"spor_20261101.csv", "vardenheter.csv"}
    assert all(l["outcome"] == "loaded" for l in data["loads"])
    assert data["demo"] is False
    # Times: JSON in UTC with an explicit offset; the text in Swedish local time (as on the Admin page).
    from common.format import fmt_local_time

    loaded = dt.datetime.fromisoformat(data["loads"][0]["loaded_at"])
    assert loaded.utcoffset() == dt.timedelta(0)
    assert dt.datetime.fromisoformat(data["created_at"]).utcoffset() == dt.timedelta(0)
    assert f"  {fmt_local_time(data['loads'][0]['loaded_at'])}  " in text.stdout


def test_local_time_follows_swedish_summer_and_winter_time():
    from common.format import fmt_local_time

    assert fmt_local_time("2026-12-03T08:00:22+00:00") == "2026-12-03 09:00:22"
    assert fmt_local_time("2026-07-01T08:00:00") == "2026-07-01 10:00:00"  # no offset: UTC
    assert fmt_local_time(dt.datetime(2026, 7, 1, 8, 0), seconds=False) == "2026-07-01 10:00"
    assert fmt_local_time(None) == "–" and fmt_local_time("inte en tid") == "inte en tid"


def test_status_without_data(tmp_path):
    proc = run_cli(tmp_path / "tom", "status")
    assert proc.returncode == 0 and "Inga data är inlästa ännu" in proc.stdout
    assert json.loads(run_cli(tmp_path / "tom", "status", "--json").stdout)["snapshot_id"] is None


def test_bootstrap_loads_demo_once(tmp_path):
    data_dir = tmp_path / "var"
    first = run_cli(data_dir, "bootstrap", timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (data_dir / "demo-leverans" / "vardenheter.csv").exists()
    assert "ny ögonblicksbild" in first.stdout
    assert query(data_dir, "SELECT value FROM snapshot_info WHERE key = 'demo'") == [("true",)]
    snapshots = SnapshotStore(warehouse_dir(data_dir)).published_ids()

    started = time.perf_counter()
    second = run_cli(data_dir, "bootstrap")
    assert second.returncode == 0
    assert time.perf_counter() - started < 20
    assert "DEMODATA" in second.stdout and "Svenskt Perioperativt Register (SPOR)" in second.stdout
    assert SnapshotStore(warehouse_dir(data_dir)).published_ids() == snapshots


def _big_spor_file(path: Path, rows: int) -> Path:
    """A large valid SPOR file written by DuckDB (fast)."""
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT 'B' || lpad(i::VARCHAR, 8, '0') AS post_id,
                   CASE WHEN i % 2 = 0 THEN '{UNIT_A}' ELSE '{UNIT_P}' END AS vardenhet_hsaid,
                   (['NGB49', 'NFB49', 'JKA20', 'LAF10'])[1 + (i % 4)::INTEGER] AS kva_kod,
                   (DATE '2025-01-01' + (i % 300)::INTEGER)::VARCHAR AS anmalan_datum,
                   (DATE '2025-01-01' + (i % 300)::INTEGER + (i % 200)::INTEGER)::VARCHAR AS operation_datum,
                   (1 + i % 4)::VARCHAR AS asa_klass, '3m' AS bortre_tidsgrans, 'N' AS akut,
                   '01' AS patient_lan, '' AS status
            FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ';')""")
    con.close()
    return path


def test_killed_load_leaves_previous_snapshot_serving_and_rerun_completes(wh, files):
    store = SnapshotStore(warehouse_dir(wh))
    old_id = store.current_id()
    old_count = query(wh, "SELECT count(*) FROM operations")[0][0]
    path = _big_spor_file(files / "spor_20261102.csv", 1_000_000)

    # The loader stops itself (SIGSTOP) right after it has applied the file to
    # the snapshot it is building, before merging and publishing: killed there,
    # whatever the speed of the load.
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(wh), "LAGESBILD_ENV": "test", "PYTHONPATH": str(ROOT),
           "LAGESBILD_ETL_STOP_AFTER": "files"}
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status = os.waitpid(proc.pid, os.WUNTRACED)  # returns when the loader has stopped itself (or ended)
    assert os.WIFSTOPPED(status), f"the loader ended instead of stopping (status {status})"
    building = [p for p in store.snapshots.glob("*.building") if p.stat().st_size > 0]
    assert building, "the loader had not built anything when it stopped"
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The previous snapshot still answers, unchanged.
    assert store.current_id() == old_id
    reader = Warehouse(warehouse_dir(wh), threads=1)
    assert reader.rows("SELECT count(*) FROM operations")[0][0] == old_count
    reader.close()

    # A re-run cleans up and completes the work.
    proc2 = run_cli(wh, "load", str(path), timeout=300)
    assert proc2.returncode == 0, proc2.stdout + proc2.stderr
    assert "spor_20261102.csv: 1 000 000 godkända, 0 avvisade rader" in proc2.stdout
    assert store.current_id() != old_id
    assert query(wh, "SELECT count(*) FROM operations")[0][0] == old_count + 1_000_000
    assert not list(store.snapshots.glob("*.building*"))
    assert query(wh, "SELECT count(*), count(DISTINCT post_id) FROM operations WHERE post_id LIKE 'B%'") == [
        (1_000_000, 1_000_000)]


def test_second_loader_is_refused_while_one_runs(wh, files):
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(3300)])
    store = SnapshotStore(warehouse_dir(wh))
    with store.lock():
        proc = run_cli(wh, "load", str(path))
    assert proc.returncode == 1
    assert "En annan inläsning pågår redan" in proc.stderr
    assert run_cli(wh, "load", str(path)).returncode == 0


def test_leftovers_of_a_killed_run_are_removed(wh, files):
    store = SnapshotStore(warehouse_dir(wh))
    (store.snapshots / "20260101T000000000000Z-dead00.duckdb.building").write_bytes(b"half")
    spill = store.snapshots / "20260101T000000000000Z-dead00.duckdb.building.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_block").write_bytes(b"x")
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(3400)])
    assert run_cli(wh, "load", str(path)).returncode == 0
    assert not list(store.snapshots.glob("*.building*"))


def test_dangling_pointer_is_an_internal_error_not_a_fresh_start(wh, files):
    store = SnapshotStore(warehouse_dir(wh))
    store.current_path().unlink()
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(3500)])
    proc = run_cli(wh, "load", str(path))
    assert proc.returncode == 1
    assert "CURRENT pekar på" in proc.stderr and "som saknas" in proc.stderr
