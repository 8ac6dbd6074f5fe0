"""Datakvalitet lists exactly what was loaded and rejected (issue 12, part 3):
a crafted, partly bad file's rejected rows; stale units; missing wait-time
database months (METRICS.md "Missing month")."""
from __future__ import annotations

import pytest

from data.questions import quality
from data.warehouse import Warehouse
from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, UNIT_A, UNIT_B, VTD_HEADER, spor_row, vtd_row, write_csv


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    data_dir = root / "var"
    helpers.load(data_dir, helpers.write_base_delivery(root / "leverans"))
    rows = [spor_row(500 + i) for i in range(60)]
    rows[3][SPOR_HEADER.index("kva_kod")] = "XX"                 # line 5
    rows[7][SPOR_HEADER.index("anmalan_datum")] = "2026-13-01"   # line 9
    rows[8][SPOR_HEADER.index("kva_kod")] = "Q"                  # line 10
    write_csv(root / "spor_20261120.csv", SPOR_HEADER, rows)
    # vtd: region 01 (UNIT_A) delivers 2026-07 and 2026-10, so 2026-08 and 2026-09 are missing
    write_csv(root / "vtd_202607.csv", VTD_HEADER, [vtd_row(UNIT_A, "2", "NGB", period="2026-07")])
    helpers.load(data_dir, root / "vtd_202607.csv", root / "spor_20261120.csv")
    return data_dir, Warehouse(helpers.warehouse_dir(data_dir))


def test_the_rejected_rows_of_a_partly_bad_file_exactly(world):
    data_dir, wh = world
    result = quality.quality(wh, file="spor_20261120.csv")
    expected = [(line, col) for line, col, _, _ in helpers.rejections(data_dir, "spor_20261120.csv")]
    assert [(r["rad"], r["kolumn"]) for r in result.avvisade] == expected
    assert [r["rad"] for r in result.avvisade] == [5, 9, 10] and result.avvisade_totalt == 3
    assert all(r["fil"] == "spor_20261120.csv" for r in result.avvisade)
    assert sum(r["antal"] for r in result.reasons) == 3
    first = result.reasons[0]
    assert first["antal"] == 2 and [e["rad"] for e in first["exempel"]] == [5, 10]   # the same reason twice
    spor = next(s for s in result.sources if s["source"] == "spor")
    history = helpers.history(data_dir, "spor_20261120.csv")
    assert spor["avvisade_rader"] == 3 and spor["godkanda_rader"] >= history[2]
    assert result.loads[0]["fil"] in {"spor_20261120.csv", "vtd_202607.csv"}
    paged = quality.quality(wh, file="spor_20261120.csv", limit=1, offset=1)
    assert [r["rad"] for r in paged.avvisade] == [9] and paged.avvisade_totalt == 3


def test_missing_wait_time_database_months_per_region(world):
    _, wh = world
    missing = quality.quality(wh).vtd_saknas
    assert {"region_kod": "01", "month": "2026-08"} in missing and {"region_kod": "01", "month": "2026-09"} in missing
    assert not any(m["region_kod"] == "12" for m in missing)     # region 12 first delivered 2026-10


def test_stale_units_per_source(world):
    _, wh = world
    stale = quality.quality(wh, stale_days=1).inaktuella_enheter
    assert {u["id"] for u in stale if u["source"] == "ncr"} <= {UNIT_B}
    assert all(u["senaste_operation"] for u in stale)
    assert quality.quality(wh, stale_days=10_000).inaktuella_enheter == ()
