"""Formats and structure of a file: encodings, delimiters, XLSX, Parquet, headers,
and the structural problems that reject a whole file."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl import readers
from tests.etl.helpers import (
    NCR_HEADER, SPOR_HEADER, UNITS_HEADER, csv_text, digest, history, load, query, rejections, spor_row,
    write_csv,
)

NEW_UNITS = [
    ["SE2321000016-V001", "Kirurgkliniken Västerås", "Västmanlands sjukhus", "19", "offentlig", "Västerås",
     "59.61", "16.55"],
    ["SE2321000016-V002", "Ögonmottagningen Östersund", "Östersunds sjukhus", "23", "ideburen", "Östersund",
     "63,18", "14,64"],
]


def _names(wh):
    return dict(query(wh, "SELECT vardenhet_hsaid, namn FROM units WHERE vardenhet_hsaid LIKE '%-V00_'"))


@pytest.mark.parametrize("encoding, bom, delimiter", [
    ("utf-8", False, ";"), ("utf-8", True, ";"), ("cp1252", False, ";"),
    ("utf-8", False, ","), ("utf-8", True, ","), ("cp1252", False, ","),
])
def test_encodings_and_delimiters(wh, files, encoding, bom, delimiter):
    rows = NEW_UNITS
    if delimiter == ",":   # a decimal comma must be quoted in a comma-separated file
        rows = [[f'"{v}"' if "," in v else v for v in r] for r in NEW_UNITS]
    path = write_csv(files / "vardenheter.csv", UNITS_HEADER, rows, delimiter=delimiter, encoding=encoding, bom=bom)
    result = load(wh, path)
    res = result.files[0]
    assert res.outcome == "loaded" and res.accepted == 2 and res.rejected == 0, (res.message, res.details)
    assert _names(wh) == {"SE2321000016-V001": "Kirurgkliniken Västerås",
                          "SE2321000016-V002": "Ögonmottagningen Östersund"}
    assert query(wh, "SELECT lat, lon FROM units WHERE vardenhet_hsaid = 'SE2321000016-V002'") == [(63.18, 14.64)]
    if encoding == "cp1252":
        assert "läst som Windows-1252" in " ".join(res.warnings)


def test_excel_windows_1252_with_crlf_and_quotes(wh, files):
    text = csv_text(UNITS_HEADER, [[f'"{v}"' if v else v for v in r] for r in NEW_UNITS]).replace("\n", "\r\n")
    text = text.replace('"Kirurgkliniken Västerås"', '"Kirurgkliniken; Västerås ""Centrum"""')
    path = files / "vardenheter.csv"
    path.write_bytes(text.encode("cp1252"))
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 2, (res.message, res.details)
    assert _names(wh)["SE2321000016-V001"] == 'Kirurgkliniken; Västerås "Centrum"'


def test_neither_utf8_nor_windows_1252_rejects_file(wh, files):
    before = digest(wh)
    data = csv_text(UNITS_HEADER, NEW_UNITS).encode("cp1252").replace(b"\xe4", b"\x81")  # 0x81: undefined
    path = files / "vardenheter.csv"
    path.write_bytes(data)
    res = load(wh, path).files[0]
    assert res.outcome == "rejected"
    assert "varken giltig UTF-8 eller Windows-1252" in res.message
    assert rejections(wh, path.name)[0][3].startswith("Hela filen avvisad: Filen är varken giltig UTF-8")
    assert digest(wh) == before


def test_headers_case_insensitive_with_whitespace_and_extra_column_warning(wh, files):
    header = [f"  {c.upper()} " if i % 2 else c.title() for i, c in enumerate(SPOR_HEADER)] + ["Kommentar"]
    rows = [spor_row(300 + i) + ["fritext"] for i in range(3)]
    path = write_csv(files / "spor_20261102.csv", header, rows)
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 3
    assert res.warnings == ["okända kolumner ignoreras: kommentar"]
    assert query(wh, "SELECT count(*) FROM operations WHERE post_id IN ('S00300','S00301','S00302')") == [(3,)]


def test_columns_in_any_order_and_optional_columns_absent(wh, files):
    header = ["operation_datum", "kva_kod", "post_id", "anmalan_datum", "vardenhet_hsaid"]
    full = dict(zip(SPOR_HEADER, spor_row(310)))
    path = write_csv(files / "spor_20261102.csv", header, [[full[c] for c in header]])
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 1
    assert query(wh, "SELECT asa_klass, bortre_tidsgrans, akut, patient_lan FROM operations "
                     "WHERE post_id = 'S00310'") == [(None, None, False, None)]


def test_values_with_surrounding_spaces_are_trimmed(wh, files):
    row = spor_row(320)
    row = [f" {v} " if v else v for v in row]
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [row])
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.rejected == 0, res.details
    assert query(wh, "SELECT count(*) FROM operations WHERE post_id = 'S00320'") == [(1,)]


@pytest.mark.parametrize("missing", ["operation_datum", "post_id", "vardenhet_hsaid"])
def test_missing_required_column_rejects_whole_file(wh, files, missing):
    before = digest(wh)
    header = [c for c in SPOR_HEADER if c != missing]
    rows = [[v for c, v in zip(SPOR_HEADER, spor_row(330 + i)) if c != missing] for i in range(30)]
    path = write_csv(files / "spor_20261102.csv", header, rows)
    res = load(wh, path).files[0]
    assert res.outcome == "rejected"
    assert res.message.startswith(f"Obligatorisk kolumn saknas: {missing}.")
    assert history(wh, path.name)[0] == "rejected"
    assert digest(wh) == before


@pytest.mark.parametrize("content, message", [
    (b"", "Filen är tom"),
    (b"\n\n", "Filen är tom"),
    ("post_id;post_id;vardenhet_hsaid;kva_kod;anmalan_datum;operation_datum\n".encode(), "förekommer mer än en gång"),
    ("id;enhet;kod\n1;2;3\n".encode(), "Obligatorisk kolumn saknas: post_id, vardenhet_hsaid, kva_kod"),
    ("\ufeffpost_id;vardenhet_hsaid\n".encode("utf-16"), "sparad som UTF-16"),
])
def test_structural_problems_reject_whole_file(wh, files, content, message):
    before = digest(wh)
    path = files / "spor_20261102.csv"
    path.write_bytes(content)
    res = load(wh, path).files[0]
    assert res.outcome == "rejected" and message in res.message, res.message
    assert digest(wh) == before


@pytest.mark.parametrize("name, header_extra, kind_file", [
    ("personnummer", "Personnummer", "spor_20261102.csv"),
    ("namn i registerfil", "namn", "spor_20261102.csv"),
    ("kön", "kön", "ncr_20261102.csv"),
    ("ålder i vtd", "alder", "vtd_202610.csv"),
])
def test_personal_data_column_rejects_whole_file(wh, files, name, header_extra, kind_file):
    from tests.etl.helpers import NCR_HEADER, VTD_HEADER, ncr_row, vtd_row
    before = digest(wh)
    header, row = {"spor": (SPOR_HEADER, spor_row(900)), "ncr": (NCR_HEADER, ncr_row(900)),
                   "vtd": (VTD_HEADER, vtd_row(period="2026-11"))}[kind_file.split("_")[0]]
    path = write_csv(files / kind_file, header + [header_extra], [row + ["x"]])
    res = load(wh, path).files[0]
    assert res.outcome == "rejected"
    assert res.message.startswith(f"Filen innehåller personuppgifter (kolumn {header_extra.lower()})")
    assert digest(wh) == before


def test_header_only_file_loads_nothing(wh, files):
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [])
    res = load(wh, path).files[0]
    assert (res.outcome, res.rows_total, res.accepted) == ("loaded", 0, 0)
    assert query(wh, "SELECT count(*) FROM operations") == [(30,)]
    assert query(wh, "SELECT records, files_loaded FROM sources WHERE source = 'spor'") == [(20, 2)]


def test_wrong_number_of_fields_is_a_row_rejection_with_line(wh, files):
    rows = [spor_row(400 + i) for i in range(30)]
    text = csv_text(SPOR_HEADER, rows).splitlines()
    text[5] = text[5] + ";extra"                # line 6: one field too many
    text.insert(10, "")                         # a blank line (line 11) is not a row
    text[20] = ";".join(text[20].split(";")[:4])  # line 21: too few fields
    path = files / "spor_20261102.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    res = load(wh, path).files[0]
    # 2 of 30 rows rejected = 6,7 % > 5 %: the whole file is rejected, the lines are named
    assert res.outcome == "rejected"
    assert "2 av 30 (6,7 %)" in res.message
    details = {d[0]: d[3] for d in res.details}
    assert details[6] == "fel antal fält: 11 i stället för 10"
    assert details[21] == "fel antal fält: 4 i stället för 10"


def test_line_numbers_after_blank_lines_and_bad_rows(wh, files):
    rows = [spor_row(500 + i) for i in range(40)]
    text = csv_text(SPOR_HEADER, rows).splitlines()
    text[3] = text[3] + ";extra"                               # line 4: wrong field count
    text.insert(8, "")                                         # line 9: blank
    text[30] = text[30].replace("NFB49", "XX").replace("NGB49", "XX").replace("JKA20", "XX")  # line 31
    path = files / "spor_20261102.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    res = load(wh, path).files[0]
    # 2 of 40 rows is exactly 5 %, not more: the file loads and the two rows are kept as rejections
    assert (res.outcome, res.rows_total, res.accepted, res.rejected) == ("loaded", 40, 38, 2)
    lines = {r[0]: (r[1], r[3]) for r in rejections(wh, path.name) if r[0]}
    assert lines[4][1].startswith("fel antal fält")
    assert lines[31] == ("kva_kod", "ogiltig KVÅ-kod: ska vara tre bokstäver och två siffror, t.ex. NGB49")


def _xlsx(path, header, rows, sheets_before=()):
    wb = openpyxl.Workbook()
    first = wb.active
    for i, (title, lines) in enumerate(sheets_before):
        ws = first if i == 0 else wb.create_sheet(title)
        ws.title = title
        for line in lines:
            ws.append(line)
    ws = wb.create_sheet("Data") if sheets_before else first
    for line in [header, *rows]:
        ws.append(line)
    wb.save(path)
    return path


def test_xlsx_first_sheet_with_excel_types(wh, files):
    rows = []
    for i in range(5):
        r = dict(zip(SPOR_HEADER, spor_row(600 + i)))
        rows.append([r["post_id"], r["vardenhet_hsaid"], r["kva_kod"],
                     dt.date.fromisoformat(r["anmalan_datum"]),                        # a date cell
                     dt.datetime.fromisoformat(r["operation_datum"]),                  # a datetime cell
                     int(r["asa_klass"]), r["bortre_tidsgrans"] or None, r["akut"] or None,
                     int(r["patient_lan"]) if r["patient_lan"] else None,              # 01 typed as 1
                     None])
    path = _xlsx(files / "spor_20261102.xlsx", SPOR_HEADER, rows)
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 5 and res.rejected == 0, res.details
    got = query(wh, "SELECT post_id, start_datum, operation_datum, asa_klass, patient_lan FROM operations "
                    "WHERE post_id LIKE 'S006%' ORDER BY post_id")
    first = dict(zip(SPOR_HEADER, spor_row(600)))
    assert got[0] == ("S00600", dt.date.fromisoformat(first["anmalan_datum"]),
                      dt.date.fromisoformat(first["operation_datum"]), int(first["asa_klass"]), "01")


def test_xlsx_rejection_names_the_excel_row(wh, files):
    rows = [spor_row(610, kva_kod="NG")]
    path = _xlsx(files / "spor_20261102.xlsx", SPOR_HEADER, rows)
    res = load(wh, path).files[0]
    assert res.outcome == "rejected"
    assert res.details[0][:2] == (2, "kva_kod")


def test_parquet_with_typed_columns(wh, files):
    recs = [dict(zip(SPOR_HEADER, spor_row(700 + i))) for i in range(6)]
    table = pa.table({
        "post_id": [r["post_id"] for r in recs],
        "Vardenhet_HSAID": [r["vardenhet_hsaid"] for r in recs],
        "kva_kod": [r["kva_kod"] for r in recs],
        "anmalan_datum": pa.array([dt.date.fromisoformat(r["anmalan_datum"]) for r in recs], pa.date32()),
        "operation_datum": pa.array([dt.datetime.fromisoformat(r["operation_datum"]) for r in recs],
                                    pa.timestamp("us")),
        "asa_klass": pa.array([float(r["asa_klass"]) if i % 2 else None for i, r in enumerate(recs)], pa.float64()),
        "akut": pa.array([False, True, False, False, None, False]),
        "patient_lan": [r["patient_lan"] or None for r in recs],
    })
    path = files / "spor_20261102.parquet"
    pq.write_table(table, path)
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 6 and res.rejected == 0, res.details
    got = query(wh, "SELECT post_id, asa_klass, akut FROM operations WHERE post_id LIKE 'S007%' ORDER BY post_id")
    assert [g[1] for g in got] == [None, int(recs[1]["asa_klass"]), None, int(recs[3]["asa_klass"]), None,
                                   int(recs[5]["asa_klass"])]
    assert [g[2] for g in got] == [False, True, False, False, False, False]


@pytest.mark.parametrize("name", ["spor_20261102.xlsx", "spor_20261102.parquet"])
def test_unreadable_binary_files_are_rejected(wh, files, name):
    before = digest(wh)
    path = files / name
    path.write_bytes(b"PK\x03\x04 not really a workbook" if name.endswith("xlsx") else b"PAR1 broken")
    res = load(wh, path).files[0]
    assert res.outcome == "rejected"
    assert "inte en läsbar Excel-arbetsbok" in res.message or "inte en läsbar Parquet-fil" in res.message
    assert digest(wh) == before


def test_official_kva_workbook(wh, files):
    readme = [["KVÅ – Klassifikation av vårdåtgärder 2026"], ["Läs mig: koder och titlar på nästa blad."], []]
    code_rows = [["NGB49", "Primär totalprotes i knäled, annan", "Beskrivning …"],
                 ["ZZA99", "Påhittad kod för test", None],
                 ["NGB", "Primär protes i knäled", None]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Läs mig"
    for line in readme:
        ws.append(line)
    codes = wb.create_sheet("KVÅ 2026")
    codes.append(["Klassifikation av vårdåtgärder (KVÅ) 2026"])
    codes.append([])
    codes.append(["Kod", "Titel", "Beskrivning"])
    for line in code_rows:
        codes.append(line)
    path = files / "kva-inkl-beskrivningstexter-2026.xlsx"
    wb.save(path)
    res = load(wh, path).files[0]
    assert res.outcome == "loaded" and res.accepted == 3 and res.rejected == 0, (res.message, res.details)
    assert 'läser bladet "KVÅ 2026"' in res.warnings
    assert query(wh, "SELECT kod, titel, ar_grupp, kalla, inbyggd FROM kva WHERE kod IN ('ZZA99', 'NGB') "
                     "ORDER BY kod") == [("NGB", "Primär protes i knäled", True, "spor", False),
                                         ("ZZA99", "Påhittad kod för test", False, None, False)]


def test_official_kva_workbook_rejection_names_sheet_row(wh, files):
    wb = openpyxl.Workbook()
    wb.active.title = "Läs mig"
    codes = wb.create_sheet("Koder")
    codes.append(["Kod", "Titel"])
    codes.append(["N", "Felaktig kod"])   # Excel row 2
    path = files / "kva-inkl-beskrivningstexter-2026.xlsx"
    wb.save(path)
    res = load(wh, path).files[0]
    assert res.outcome == "rejected" and res.details[0][:2] == (2, "kod")


def test_kind_and_date_from_name():
    assert readers.kind_from_name("SPOR_20261120.csv") == "spor"
    assert readers.kind_from_name("vtd_202611_omleverans.csv") == "vtd"
    assert readers.kind_from_name("kva-inkl-beskrivningstexter-2026.xlsx") == "kva"
    assert readers.kind_from_name("LASMIG.txt") is None
    assert readers.date_from_name("spor_20261120.csv") == dt.date(2026, 11, 20)
    assert readers.date_from_name("export.csv", today=dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)
    with pytest.raises(readers.FileRejected, match="ogiltigt datum"):  # never replaced by today
        readers.date_from_name("spor_20261340.csv", today=dt.date(2026, 1, 2))
    assert readers.period_from_name("vtd_202611_omleverans.csv") == "2026-11"
    assert readers.period_from_name("vtd.csv") is None
    with pytest.raises(readers.FileRejected, match="ogiltig månad"):
        readers.period_from_name("vtd_202613.csv")


def test_file_without_date_in_name_uses_today(wh, files):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    row = spor_row(800, anmalan_datum="2026-01-01", operation_datum=future)
    path = write_csv(files / "export.csv", SPOR_HEADER, [row])
    res = load(wh, path, source="spor").files[0]
    assert res.outcome == "rejected"
    assert f"operation_datum är efter filens datum {dt.date.today().isoformat()}" in res.details[0][3]


def test_source_option_overrides_name(wh, files):
    path = write_csv(files / "leverans_ncr.csv", NCR_HEADER,
                     [["N09000", "SE2321000016-B002", "CJE20", "2026-03-01", "2026-04-01", "lokal", "H", "12", ""]])
    res = load(wh, path, source="ncr").files[0]
    assert res.outcome == "loaded" and res.kind == "ncr"
