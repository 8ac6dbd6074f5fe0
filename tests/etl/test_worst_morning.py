"""Issue 10's findings as regression tests: a data steward's worst morning,
run through the real CLI (`python -m etl load FOLDER`) the way it arrives.

Every folder holds one good SPOR file (`GOOD`) beside the bad entry. Each case
states the exit code, what the steward reads, which files load and which are
refused — and where a file is refused, that the warehouse holds exactly what
the good file alone gives (`reference`). Cases whose bad file loads in part
check the rows that must not have been stored.

The snapshot findings (a truncated snapshot passing `etl status`, /healthz and
/api/v1/meta saying 200 while waits gave 500, no rollback command, reject-only
runs evicting rollback points) are tested through `etl status`, `etl
snapshots`, `etl rollback` and the app in test_snapshot_damage.py; a full disk
through the CLI is the last case here.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import resource
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from etl.snapshot import SnapshotStore
from tests.etl import helpers
from tests.etl.helpers import (SPOR_HEADER, UNIT_A, UNITS_HEADER, UNITS_ROWS, VTD_HEADER, csv_text, spor_row,
                               vtd_row, write_csv)

GOOD = "spor_20261105.csv"
GOOD_ROWS = 10


def _write_good(folder: Path) -> None:
    write_csv(folder / GOOD, SPOR_HEADER, [spor_row(500 + i) for i in range(GOOD_ROWS)])


@pytest.fixture(scope="module")
def reference(base_warehouse, tmp_path_factory) -> str:
    """The warehouse's content after the good file alone."""
    data_dir = tmp_path_factory.mktemp("reference") / "var"
    shutil.copytree(base_warehouse, data_dir)
    folder = data_dir.parent / "filer"
    folder.mkdir()
    _write_good(folder)
    assert not helpers.load(data_dir, folder).any_rejected
    return helpers.content_digest(data_dir)


# ---- the bad entries ----------------------------------------------------------------------

def _cr_only(folder: Path) -> None:
    text = csv_text(SPOR_HEADER, [spor_row(700 + i) for i in range(8)]).replace("\n", "\r")
    (folder / "spor_20261110.csv").write_bytes(text.encode("utf-8"))


def _real_big_workbook(folder: Path) -> None:
    """A genuine workbook (not a crafted archive) that unpacks far beyond its size."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(SPOR_HEADER)
    for _ in range(12_000):
        ws.append(spor_row(910))
    buf = io.BytesIO()
    wb.save(buf)
    (folder / "spor_20261108.xlsx").write_bytes(buf.getvalue())


def _future_file(folder: Path) -> None:
    write_csv(folder / "spor_20301231.csv", SPOR_HEADER,
              [spor_row(900 + i, operation_datum="2030-12-01") for i in range(30)])


def _vtd_period_not_begun(folder: Path) -> None:
    rows = [vtd_row(UNIT_A, "2", g, period="2026-11") for g in ("NGB", "NFB", "JAB", "NHB", "JKA", "EMB", "ACC",
                                                                "JEA", "NFJ", "PHB", "NDJ", "JDC", "JBC", "JCC",
                                                                "JDD", "JDF", "JEB", "JFB", "JFH", "KCD")]
    rows.append(vtd_row(UNIT_A, "2", "PJE", period="2030-01"))
    write_csv(folder / "vtd_202611.csv", VTD_HEADER, rows)


def _vtd_stray_month(folder: Path) -> None:
    _vtd_period_not_begun(folder)
    path = folder / "vtd_202611.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2030-01", "2025-01"), encoding="utf-8")


def _unit_moves_region(folder: Path) -> None:
    rows = [list(r) for r in UNITS_ROWS]
    rows[0][UNITS_HEADER.index("region_kod")] = "25"   # Solna's unit corrected to Norrbotten
    write_csv(folder / "vardenheter.csv", UNITS_HEADER, rows)


def _ancient_referral(folder: Path) -> None:
    rows = [spor_row(1000 + i, anmalan_datum="2026-06-01", operation_datum="2026-10-01") for i in range(40)]
    rows.append(spor_row(1100, anmalan_datum="0001-01-01", operation_datum="2026-10-01"))
    write_csv(folder / "spor_20261120.csv", SPOR_HEADER, rows)


def _byte_0x90(folder: Path) -> None:
    (folder / "spor_20261119.csv").write_bytes(
        (";".join(SPOR_HEADER) + "\n").encode() + ";".join(spor_row(800)).encode() + b"\x90\n")


def _fifty_mb_line(folder: Path) -> None:
    """One line longer than the CSV reader's blocks (it said: "straddling object
    straddles two block boundaries", no line)."""
    rows = [";".join(spor_row(500 + i)) for i in range(5)]
    long_row = spor_row(502)
    long_row[SPOR_HEADER.index("status")] = "y" * 50_000_000
    rows[2] = ";".join(long_row)                                     # line 4
    (folder / "spor_20261118.csv").write_text(";".join(SPOR_HEADER) + "\n" + "\n".join(rows) + "\n",
                                              encoding="utf-8")


def _unclosed_quote(folder: Path) -> None:
    rows = [";".join(spor_row(6000 + i)) for i in range(40)]
    rows[1] = rows[1].replace("S06001", '"S06001')                  # opened on line 3, never closed
    (folder / "spor_20261122.csv").write_text(";".join(SPOR_HEADER) + "\n" + "\n".join(rows) + "\n",
                                              encoding="utf-8")


def _share_just_over_the_limit(folder: Path) -> None:
    rows = [spor_row(3000 + i) for i in range(219)]
    for i in range(11):                                              # 11 of 219 = 5,02 %
        rows[i * 19][SPOR_HEADER.index("kva_kod")] = "XX"
    write_csv(folder / "spor_20261121.csv", SPOR_HEADER, rows)


def _mixed_encodings(folder: Path) -> None:
    header = ";".join(SPOR_HEADER + ["kommentar"])
    utf8_rows = [";".join(spor_row(600 + i) + ["Västerås"]) for i in range(3)]
    cp1252_row = ";".join(spor_row(603) + ["Västerås"])
    (folder / "spor_20261112.csv").write_bytes(
        (header + "\n" + "\n".join(utf8_rows) + "\n").encode("utf-8") + (cp1252_row + "\n").encode("cp1252"))


def _quoted_line_break(folder: Path) -> None:
    header = ";".join(SPOR_HEADER + ["kommentar"])
    rows = [";".join(spor_row(4000 + i) + ["ok"]) for i in range(30)]
    rows[1] = ";".join(spor_row(4001) + ['"två\nrader"'])            # lines 3-4 of the file
    bad = spor_row(4040)
    bad[SPOR_HEADER.index("kva_kod")] = "XX"
    rows.append(";".join(bad + ["fel"]))                             # line 33 (record 32)
    (folder / "spor_20261114.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def _folder_entries(folder: Path) -> None:
    (folder / "arkiv").mkdir()
    write_csv(folder / "arkiv" / "spor_20261001.csv", SPOR_HEADER, [spor_row(5000)])
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "spor_20261102.csv").symlink_to(folder / "finns-inte.csv")


def _impossible_name_date(folder: Path) -> None:
    write_csv(folder / "spor_20261340.csv", SPOR_HEADER, [spor_row(1200)])


def _vtd_month_not_begun(folder: Path) -> None:
    write_csv(folder / "vtd_203001.csv", VTD_HEADER, [vtd_row(UNIT_A, "2", "NGB", period="2030-01")])


# ---- checks where the bad file loads in part -------------------------------------------------

def _count(wh: Path, sql: str, params=None) -> int:
    return helpers.query(wh, sql, params)[0][0]


def _cr_rows_stored(wh: Path) -> None:
    assert _count(wh, "SELECT count(*) FROM operations WHERE post_id BETWEEN 'S00700' AND 'S00707'") == 8


def _no_vtd_beyond_the_file_month(wh: Path) -> None:
    assert _count(wh, "SELECT count(*) FROM vtd WHERE period = '2026-11'") == 20
    assert _count(wh, "SELECT count(*) FROM vtd WHERE period NOT IN ('2026-10', '2026-11')") == 0


def _stray_month_never_applied(wh: Path) -> None:
    _no_vtd_beyond_the_file_month(wh)
    assert _count(wh, "SELECT count(*) FROM vtd WHERE period = '2025-01'") == 0
    assert _count(wh, "SELECT count(*) FROM vtd WHERE period = '2026-10'") == 4       # untouched


def _unit_rows_moved(wh: Path) -> None:
    assert _count(wh, "SELECT count(*) FROM operations WHERE vardenhet_hsaid = ? AND region_kod <> '25'",
                  [UNIT_A]) == 0
    assert _count(wh, "SELECT count(*) FROM vtd WHERE vardenhet_hsaid = ? AND region_kod <> '25'", [UNIT_A]) == 0
    assert _count(wh, "SELECT count(*) FROM operations WHERE vardenhet_hsaid = ?", [UNIT_A]) > 0


def _ancient_row_not_stored(wh: Path) -> None:
    assert _count(wh, "SELECT count(*) FROM operations WHERE post_id = 'S01100'") == 0
    assert _count(wh, "SELECT count(*) FROM operations WHERE post_id BETWEEN 'S01000' AND 'S01039'") == 40
    assert _count(wh, "SELECT max(vantedagar) FROM operations") <= 3653


def _quoted_file_stored(wh: Path) -> None:
    assert _count(wh, "SELECT count(*) FROM operations WHERE post_id BETWEEN 'S04000' AND 'S04029'") == 30
    assert _count(wh, "SELECT count(*) FROM operations WHERE post_id = 'S04040'") == 0


@dataclass(frozen=True)
class Case:
    id: str
    write: Callable[[Path], None]
    exit: int
    says: tuple[str, ...]
    loaded: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    never_says: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)
    check: Callable[[Path], None] | None = None   # None: the warehouse equals the good file alone


CASES = [
    # one unreadable file never stops the run
    Case("cr-only-csv", _cr_only, 0, ("spor_20261110.csv: 8 godkända",), loaded=("spor_20261110.csv",),
         check=_cr_rows_stored),
    Case("xlsx-half-sheet-xml", lambda f: (f / "spor_20261106.xlsx").write_bytes(helpers.half_xlsx()), 2,
         ("spor_20261106.xlsx: AVVISAD", "Excel-arbetsbok"), refused=("spor_20261106.xlsx",),
         never_says=("ParseError",)),
    Case("xlsx-bomb", lambda f: (f / "spor_20261107.xlsx").write_bytes(helpers.xlsx_bomb(30)), 2,
         ("LAGESBILD_ETL_MAX_XLSX_MB=20", "CSV UTF-8"), refused=("spor_20261107.xlsx",),
         never_says=("MemoryError",), env={"LAGESBILD_ETL_MAX_XLSX_MB": "20"}),
    Case("xlsx-no-size-limit", _real_big_workbook, 2, ("LAGESBILD_ETL_MAX_XLSX_MB=1",),
         refused=("spor_20261108.xlsx",), env={"LAGESBILD_ETL_MAX_XLSX_MB": "1"}),
    # dates that cannot lie
    Case("file-dated-2030", _future_file, 2, ("spor_20301231.csv: AVVISAD", "efter dagens datum"),
         refused=("spor_20301231.csv",)),
    Case("vtd-row-period-2030-01", _vtd_period_not_begun, 0, ("rad 22, kolumn period", "efter innevarande månad"),
         loaded=("vtd_202611.csv",), check=_no_vtd_beyond_the_file_month),
    Case("vtd-stray-2025-01-row", _vtd_stray_month, 0, ("inte filens månad 2026-11",),
         loaded=("vtd_202611.csv",), never_says=("tidigare rader ersatta",), check=_stray_month_never_applied),
    Case("vtd-file-month-not-begun", _vtd_month_not_begun, 2, ("vtd_203001.csv: AVVISAD", "inte har börjat"),
         refused=("vtd_203001.csv",)),
    Case("impossible-date-in-name", _impossible_name_date, 2, ("ogiltigt datum (20261340)",),
         refused=("spor_20261340.csv",)),
    # derived fields stay true
    Case("unit-region-corrected", _unit_moves_region, 0, ("vardenheter.csv",), loaded=("vardenheter.csv",),
         check=_unit_rows_moved),
    # implausible values
    Case("referral-0001-01-01", _ancient_referral, 0, ("rad 42, kolumn anmalan_datum", "före 1990-01-01"),
         loaded=("spor_20261120.csv",), check=_ancient_row_not_stored),
    # messages with advice, never library text
    Case("byte-0x90", _byte_0x90, 2, ("varken giltig UTF-8 eller Windows-1252",), refused=("spor_20261119.csv",),
         never_says=("charmap", "codec")),
    Case("fifty-mb-line", _fifty_mb_line, 2, ("spor_20261118.csv: AVVISAD", "rad 4 är 50 MB lång", "Exportera"),
         refused=("spor_20261118.csv",), never_says=("straddl", "block boundaries")),
    Case("unclosed-quote", _unclosed_quote, 2, ("spor_20261122.csv: AVVISAD", "rad 3: fel antal fält",
                                                  "citattecken (\") på raden stängs aldrig"),
         refused=("spor_20261122.csv",)),
    Case("parquet-magic-bytes", lambda f: (f / "spor_20261109.parquet").write_bytes(b"PAR1 trasig"), 2,
         ("spor_20261109.parquet: AVVISAD", "inte en läsbar Parquet-fil", "CSV UTF-8"), refused=("spor_20261109.parquet",),
         never_says=("magic bytes",)),
    Case("not-a-zip-file", lambda f: (f / "spor_20261111.xlsx").write_bytes(b"inte en arbetsbok"), 2,
         ("spor_20261111.xlsx: AVVISAD", "Excel-arbetsbok"), refused=("spor_20261111.xlsx",),
         never_says=("not a zip file",)),
    Case("share-5-01-percent", _share_just_over_the_limit, 2, ("11 av 219 (5,02 %)", "gränsen är 5 %"),
         refused=("spor_20261121.csv",), never_says=("5,0 %",)),
    Case("mixed-utf8-and-windows-1252", _mixed_encodings, 2, ("blandar teckenkodningar: rad 5",),
         refused=("spor_20261112.csv",), never_says=("VÃ¤sterÃ¥s",)),
    Case("line-after-quoted-newline", _quoted_line_break, 0, ("spor_20261114.csv, rad 33, kolumn kva_kod",),
         loaded=("spor_20261114.csv",), check=_quoted_file_stored),
    Case("subfolder-hidden-file-broken-link", _folder_entries, 0,
         ("arkiv: ", "underkatalog", ".DS_Store: ", "dold fil", "spor_20261102.csv: ", "länken pekar inte")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_worst_morning_folder(case: Case, wh: Path, files: Path, reference: str):
    _write_good(files)
    case.write(files)
    proc = helpers.run_cli(wh, "load", str(files), env=case.env)
    out = proc.stdout + proc.stderr
    said = re.sub(r"\(Teknisk detalj: [^\n]*\)", "", out)       # the library's text only after the Swedish
    assert proc.returncode == case.exit, out
    assert "Traceback" not in out and "Internt fel" not in out
    for words in case.says:
        assert words in out, (words, out)
    for words in case.never_says:
        assert words not in said, (words, out)
    assert helpers.history(wh, GOOD)[:3] == ("loaded", GOOD_ROWS, GOOD_ROWS)
    for name in case.loaded:
        assert helpers.history(wh, name)[0] == "loaded", name
    for name in case.refused:
        outcome, *_, message = helpers.history(wh, name)
        assert outcome == "rejected" and message, name
    if case.check is None:
        assert helpers.content_digest(wh) == reference
    else:
        case.check(wh)


def test_a_full_disk_mid_run_changes_nothing_and_says_what_to_do(wh: Path, files: Path):
    """The process may write no file bigger than half a snapshot: the copy that
    starts a run fails like a full disk does, part-way through a write."""
    store = SnapshotStore(helpers.warehouse_dir(wh))
    before_id, before = store.current_id(), helpers.digest(wh)
    limit = store.current_path().stat().st_size // 2
    _write_good(files)

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)    # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = helpers.run_cli(wh, "load", str(files), preexec_fn=small_files)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Filen blev större än systemet tillåter" in proc.stderr and "Lagret är oförändrat" in proc.stderr
    assert "File too large" not in proc.stderr
    assert store.current_id() == before_id and helpers.digest(wh) == before
    assert not list(store.snapshots.glob("*.building*")), "a half-written copy was left behind"
    assert helpers.run_cli(wh, "load", str(files)).returncode == 0   # space again: the run goes through
    assert helpers.history(wh, GOOD)[0] == "loaded"


def test_the_future_dates_of_these_cases_are_still_in_the_future():
    assert dt.date.today() < dt.date(2030, 1, 1), "move the 'future' dates of these cases further ahead"
