"""The CSV downloads open as a table in LibreOffice Calc (issue 11, part 6):
the title block in column A, a blank row, the header row, then the rows with
numbers as numbers (decimal comma, Swedish locale) and shares in percent as
on screen. LibreOffice (Debian's libreoffice-calc-nogui, installed by `make
test`) converts the file exactly as its CSV import dialog would with the
file's own settings; the workbook it writes is read back with openpyxl."""
from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest

from data import queries as Q
from tests.factories import build_random_warehouse

# Separator ; (59), text delimiter " (34), UTF-8 (76), from line 1, Swedish (1053).
CSV_IMPORT = "CSV:59,34,76,1,,1053"


@pytest.fixture
def reader(app, data_dir):
    from tests.auth.support import READER, logged_in_client

    build_random_warehouse(data_dir, seed=5, demo=True)
    return logged_in_client(app, *READER)


def _calc(csv_bytes: bytes, tmp_path) -> openpyxl.Workbook:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) saknas: make test installerar libreoffice-calc-nogui"
    src = tmp_path / "vantetider.csv"
    src.write_bytes(csv_bytes)
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profil", "--headless", "--norestore",
         f"--infilter={CSV_IMPORT}", "--convert-to", "xlsx", "--outdir", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=120)
    out = tmp_path / "vantetider.xlsx"
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    return openpyxl.load_workbook(out)


def test_the_waits_csv_opens_as_a_table_in_libreoffice(reader, app, data_dir, tmp_path):
    resp = reader.get("/api/v1/waits?kva=NGB&period=365&level=unit&asa=2,3&format=csv")
    assert resp.status_code == 200
    ws = _calc(resp.data, tmp_path).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0].startswith("Nationell lägesbild – väntetider till operation: NGB")
    assert any(r[0] == "Filter: ASA 2, 3" for r in rows[:10])
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Enhet")
    assert all(v is None for v in rows[header_at - 1]), "a blank row between the title block and the table"
    assert all(len([v for v in r[1:] if v is not None]) == 0 for r in rows[:header_at]), "title in column A only"
    header = rows[header_at]
    col = {h: i for i, h in enumerate(header) if h}
    assert "Andel inom 90 dagar (%)" in col and "Median (dagar)" in col
    from data.params import Filters

    with app.app_context():
        wh = app.extensions["warehouse"]
        expected = {r["id"]: r for r in Q.waits_table(wh, "NGB", 365, "unit", Filters(asa=(2, 3))).records()}
    body = rows[header_at + 1:]
    assert len(body) == len(expected)
    numbers = 0
    for r in body:
        exp = expected[r[col["HSA-id"]]]
        if exp["suppressed"]:
            assert r[col["Antal operationer"]] == "<5" and r[col["Median (dagar)"]] is None
            continue
        assert isinstance(r[col["Median (dagar)"]], (int, float)), r
        assert r[col["Median (dagar)"]] == pytest.approx(exp["median"], rel=1e-9)
        assert r[col["90:e percentil (dagar)"]] == pytest.approx(exp["p90"], rel=1e-9)
        if not exp["n_suppressed"]:
            assert r[col["Antal operationer"]] == exp["n"]
            assert r[col["Andel inom 90 dagar (%)"]] == pytest.approx(100 * exp["andel_inom_90"], rel=1e-9)
        numbers += 1
    assert numbers > 3
