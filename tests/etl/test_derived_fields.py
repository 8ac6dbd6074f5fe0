"""Derived fields stay true (issue 10, part 3): a unit moved to another region
by a corrected catalogue takes its stored operations and wait-time-database
rows along in the same snapshot, so the unit and region views agree."""
from __future__ import annotations

from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, UNIT_A, UNITS_HEADER, UNITS_ROWS, spor_row, write_csv


def _regions(wh, table):
    return dict(helpers.query(wh, f"SELECT region_kod, count(*) FROM {table} WHERE vardenhet_hsaid = ? GROUP BY 1",
                              [UNIT_A]))


def test_a_unit_moved_to_another_region_takes_its_rows_along(wh, files):
    ops_before, vtd_before = _regions(wh, "operations"), _regions(wh, "vtd")
    assert set(ops_before) == {"01"} and set(vtd_before) == {"01"}
    moved = [[UNIT_A, *row[1:3], "25", *row[4:]] if row[0] == UNIT_A else row for row in UNITS_ROWS]
    write_csv(files / "vardenheter.csv", UNITS_HEADER, moved)
    # a register file of the same run lands in the new region too
    write_csv(files / "spor_20261103.csv", SPOR_HEADER, [spor_row(600 + i, vardenhet_hsaid=UNIT_A) for i in range(5)])
    result = helpers.load(wh, files)
    assert not result.any_rejected, [(f.name, f.message) for f in result.files]
    ops_after, vtd_after = _regions(wh, "operations"), _regions(wh, "vtd")
    assert set(ops_after) == {"25"} and sum(ops_after.values()) == sum(ops_before.values()) + 5
    assert vtd_after == {"25": vtd_before["01"]}
    # the unit and region views agree
    from data import queries as Q
    from data.warehouse import Warehouse

    wh_ = Warehouse(helpers.warehouse_dir(wh))
    units = {r["id"]: r for r in Q.waits_table(wh_, "NGB", 365, suppress_below=0).records()}
    regions = {r["id"]: r for r in Q.waits_table(wh_, "NGB", 365, "region", suppress_below=0).records()}
    assert units[UNIT_A]["region_kod"] == "25" and regions["25"]["n"] == units[UNIT_A]["n"]
    assert "01" not in regions or regions["01"]["n"] == sum(
        r["n"] for r in units.values() if r["region_kod"] == "01")
    wh_.close()
