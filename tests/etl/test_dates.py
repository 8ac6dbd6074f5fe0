"""Dates and periods that cannot lie (issue 10, part 2; EXTRACTS.md "Rules for
every file"): a file dated after today is refused; rows dated after today,
before the floor (1990) or with a wait beyond 10 years are rejected with the
rule named; a vtd_YYYYMM file holds rows of its own month only; an impossible
date in a file name refuses the file."""
from __future__ import annotations

import datetime as dt

from tests.etl import helpers
from tests.etl.helpers import SPOR_HEADER, UNIT_A, VTD_HEADER, spor_row, vtd_row, write_csv

TODAY = dt.date(2026, 11, 20)


def test_a_file_dated_after_today_is_refused_and_the_data_date_stays(wh, files):
    before = helpers.digest(wh)
    path = write_csv(files / "spor_20301231.csv", SPOR_HEADER,
                     [spor_row(900 + i, operation_datum="2030-12-01") for i in range(30)])
    res = helpers.load(wh, path, today=TODAY).files[0]
    assert res.outcome == "rejected" and "ligger efter dagens datum 2026-11-20" in res.message
    assert helpers.digest(wh) == before
    # one day's grace (time zones, a run just after midnight)
    ok = write_csv(files / "spor_20261121.csv", SPOR_HEADER, [spor_row(950, operation_datum="2026-11-19")])
    assert helpers.load(wh, ok, today=TODAY).files[0].outcome == "loaded"


def test_rows_after_today_before_the_floor_or_waiting_over_ten_years_are_rejected(wh, files):
    rows = [spor_row(1000 + i, anmalan_datum="2026-06-01", operation_datum="2026-10-01") for i in range(80)]
    rows += [spor_row(1100, anmalan_datum="0001-01-01", operation_datum="2026-10-01"),
             spor_row(1101, anmalan_datum="1985-01-01", operation_datum="1989-12-31"),
             spor_row(1102, anmalan_datum="2010-01-01", operation_datum="2026-10-01")]
    path = write_csv(files / "spor_20261120.csv", SPOR_HEADER, rows)
    res = helpers.load(wh, path, today=TODAY).files[0]
    assert res.outcome == "loaded" and res.rejected == 3
    reasons = {line: (col, reason) for line, col, _, reason in helpers.rejections(wh, "spor_20261120.csv")}
    assert reasons[82][0] == "anmalan_datum" and "före 1990-01-01" in reasons[82][1]
    assert reasons[83][0] == "operation_datum" and "före 1990-01-01" in reasons[83][1]
    assert reasons[84][0] == "anmalan_datum" and "längre än 3653 dagar" in reasons[84][1]


def test_a_vtd_file_holds_its_own_month_only(wh, files):
    rows = [vtd_row(UNIT_A, "2", g, period="2026-10") for g in ("NGB", "NFB", "JAB", "NHB", "JKA", "EMB", "ACC",
                                                                    "JEA", "NFJ", "PHB", "NDJ", "JDC", "JBC", "JCC",
                                                                    "JDD", "JDF", "JEB", "JFB", "JFH", "KCD")]
    rows.append(vtd_row(UNIT_A, "2", "PJE", period="2025-01"))      # a stray month: rejected, never applied
    before = helpers.query(wh, "SELECT count(*) FROM vtd WHERE period = '2025-01'")
    path = write_csv(files / "vtd_202610.csv", VTD_HEADER, rows)
    res = helpers.load(wh, path, today=TODAY).files[0]
    assert res.outcome == "loaded" and res.rejected == 1
    (line, col, value, reason), = helpers.rejections(wh, "vtd_202610.csv")
    assert (col, value) == ("period", "2025-01") and "inte filens månad 2026-10" in reason
    assert helpers.query(wh, "SELECT count(*) FROM vtd WHERE period = '2025-01'") == before


def test_a_vtd_month_that_has_not_begun_is_refused(wh, files):
    path = write_csv(files / "vtd_203001.csv", VTD_HEADER, [vtd_row(UNIT_A, "2", "NGB", period="2030-01")])
    res = helpers.load(wh, path, today=TODAY).files[0]
    assert res.outcome == "rejected" and "2030-01" in res.message and "inte har börjat" in res.message


def test_an_impossible_date_in_the_name_refuses_the_file(wh, files):
    path = write_csv(files / "spor_20261340.csv", SPOR_HEADER, [spor_row(1200)])
    res = helpers.load(wh, path, today=TODAY).files[0]
    assert res.outcome == "rejected" and "ogiltigt datum (20261340)" in res.message
