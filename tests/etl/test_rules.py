"""One failing file per rule of EXTRACTS.md.

Each case writes a file whose only data row (or second row, for duplicate
rules) breaks one rule. One bad row of one is more than 5 %, so the whole
file is rejected: the test checks the precise rejection (file, line, column,
reason) that is stored and reported, and that no data table changed.
"""
from __future__ import annotations

import pytest

from tests.etl.helpers import (
    KVA_HEADER, NCR_HEADER, SPOR_HEADER, UNIT_A, UNIT_B, UNIT_P, UNITS_HEADER, UNKNOWN_UNIT, VTD_HEADER,
    digest, history, load, ncr_row, rejections, spor_row, vtd_row, write_csv,
)

SPOR = ("spor_20261102.csv", SPOR_HEADER)
NCR = ("ncr_20261102.csv", NCR_HEADER)
VTD = ("vtd_202610.csv", VTD_HEADER)
UNITS = ("vardenheter.csv", UNITS_HEADER)
KVA = ("kva.csv", KVA_HEADER)


def unit(**changes):
    row = dict(zip(UNITS_HEADER, ["SE2321000016-N001", "Ny enhet", "", "03", "offentlig", "Uppsala",
                                  "59.86", "17.64"]))
    row.update(changes)
    return [row[c] for c in UNITS_HEADER]


# (id, file, rows, line, column, reason fragment)
CASES = [
    # --- SPOR ---------------------------------------------------------------------------
    ("post_id saknas", SPOR, [spor_row(100, post_id="")], 2, "post_id", "post_id saknas"),
    ("post_id personnummer", SPOR, [spor_row(100, post_id="19121212-1212")], 2, "post_id",
     "post_id ser ut som ett personnummer; filerna får inte innehålla personuppgifter"),
    ("post_id personnummer 12 siffror", NCR, [ncr_row(100, post_id="201212121212")], 2, "post_id",
     "ser ut som ett personnummer"),
    ("post_id dubblett", SPOR, [spor_row(100), spor_row(101, post_id="S00100")], 3, "post_id",
     "post_id förekommer redan på rad 2 i samma fil"),
    ("status okänd", SPOR, [spor_row(100, status="borttagen")], 2, "status", "status ska vara tom eller 'makulerad'"),
    ("hsa saknas", SPOR, [spor_row(100, vardenhet_hsaid="")], 2, "vardenhet_hsaid", "vardenhet_hsaid saknas"),
    ("hsa format", SPOR, [spor_row(100, vardenhet_hsaid="SE123-A")], 2, "vardenhet_hsaid", "ogiltigt HSA-id"),
    ("hsa format lång", SPOR, [spor_row(100, vardenhet_hsaid="SE2321000016-" + "A" * 21)], 2, "vardenhet_hsaid",
     "ogiltigt HSA-id"),
    ("okänd vårdenhet", SPOR, [spor_row(100, vardenhet_hsaid=UNKNOWN_UNIT)], 2, "vardenhet_hsaid",
     "okänd vårdenhet"),
    ("kva saknas", SPOR, [spor_row(100, kva_kod="")], 2, "kva_kod", "kva_kod saknas"),
    ("kva format", SPOR, [spor_row(100, kva_kod="NGB4")], 2, "kva_kod", "ogiltig KVÅ-kod"),
    ("kva format siffror först", SPOR, [spor_row(100, kva_kod="12B49")], 2, "kva_kod", "ogiltig KVÅ-kod"),
    ("spor katarakt", SPOR, [spor_row(100, kva_kod="CJC10")], 2, "kva_kod", "levereras av NCR"),
    ("anmalan saknas", SPOR, [spor_row(100, anmalan_datum="")], 2, "anmalan_datum", "anmalan_datum saknas"),
    ("anmalan ogiltig", SPOR, [spor_row(100, anmalan_datum="2026-02-30")], 2, "anmalan_datum",
     "ogiltigt datum: ska vara ÅÅÅÅ-MM-DD"),
    ("anmalan inte ISO", SPOR, [spor_row(100, anmalan_datum="2026/02/03")], 2, "anmalan_datum", "ogiltigt datum"),
    ("anmalan utan bindestreck", SPOR, [spor_row(100, anmalan_datum="20260203")], 2, "anmalan_datum",
     "ogiltigt datum"),
    ("operation saknas", SPOR, [spor_row(100, operation_datum="")], 2, "operation_datum", "operation_datum saknas"),
    ("operation ogiltig", SPOR, [spor_row(100, operation_datum="3.5.2026")], 2, "operation_datum",
     "ogiltigt datum"),
    ("operation före anmälan", SPOR, [spor_row(100, anmalan_datum="2026-05-02", operation_datum="2026-05-01")], 2,
     "operation_datum", "operation_datum är före anmalan_datum"),
    ("operation efter fildatum", SPOR, [spor_row(100, anmalan_datum="2026-10-01", operation_datum="2026-11-03")], 2,
     "operation_datum", "operation_datum är efter filens datum 2026-11-02"),
    ("asa 7", SPOR, [spor_row(100, asa_klass="7")], 2, "asa_klass", "asa_klass ska vara ett heltal 1–6 eller tom"),
    ("asa decimal", SPOR, [spor_row(100, asa_klass="3.0")], 2, "asa_klass", "asa_klass ska vara"),
    ("bortre tidsgräns", SPOR, [spor_row(100, bortre_tidsgrans="5v")], 2, "bortre_tidsgrans",
     "bortre_tidsgrans ska vara 1v, 2v, 4v, 3m, 6m, 12m eller tom"),
    ("akut", SPOR, [spor_row(100, akut="X")], 2, "akut", "akut ska vara J, N eller tom"),
    ("patient_lan 02", SPOR, [spor_row(100, patient_lan="02")], 2, "patient_lan",
     "patient_lan ska vara en av de 21 länskoderna"),
    ("patient_lan 99", SPOR, [spor_row(100, patient_lan="99")], 2, "patient_lan", "länskoderna"),
    # --- NCR ------------------------------------------------------------------------------
    ("ncr fel grupp", NCR, [ncr_row(100, kva_kod="NGB49")], 2, "kva_kod",
     "endast grupperna CJC, CJD och CJE"),
    ("ncr beslut saknas", NCR, [ncr_row(100, beslut_datum="")], 2, "beslut_datum", "beslut_datum saknas"),
    ("ncr operation före beslut", NCR, [ncr_row(100, beslut_datum="2026-06-10", operation_datum="2026-06-01")], 2,
     "operation_datum", "operation_datum är före beslut_datum"),
    ("ncr operation efter fildatum", NCR, [ncr_row(100, beslut_datum="2026-10-10", operation_datum="2026-12-01")],
     2, "operation_datum", "efter filens datum 2026-11-02"),
    ("ncr anestesi", NCR, [ncr_row(100, anestesi="full")], 2, "anestesi", "anestesi ska vara topikal, lokal, narkos"),
    ("ncr öga", NCR, [ncr_row(100, oga="B")], 2, "oga", "oga ska vara H, V eller tom"),
    ("ncr okänd enhet", NCR, [ncr_row(100, vardenhet_hsaid=UNKNOWN_UNIT)], 2, "vardenhet_hsaid", "okänd vårdenhet"),
    ("ncr dubblett", NCR, [ncr_row(100), ncr_row(100)], 3, "post_id", "förekommer redan på rad 2"),
    # --- VTD ------------------------------------------------------------------------------
    ("vtd period", VTD, [vtd_row(period="2026-13")], 2, "period", "ogiltig period: ska vara ÅÅÅÅ-MM"),
    ("vtd period utan bindestreck", VTD, [vtd_row(period="202611")], 2, "period", "ogiltig period"),
    ("vtd okänd enhet", VTD, [vtd_row(unit=UNKNOWN_UNIT)], 2, "vardenhet_hsaid", "okänd vårdenhet"),
    ("vtd mvo", VTD, [vtd_row(mvo="31")], 2, "mvo", "mvo ska vara en tresiffrig verksamhetskod"),
    ("vtd fas", VTD, [vtd_row(fas="3")], 2, "fas", "fas ska vara 1 (första besök) eller 2"),
    ("vtd grupp format", VTD, [vtd_row(grupp="NG1")], 2, "kva_grupp", "kva_grupp ska vara tre bokstäver"),
    ("vtd grupp fas 1", VTD, [vtd_row(fas="1", kva_grupp="NGB")], 2, "kva_grupp", "kva_grupp ska vara tom för fas 1"),
    ("vtd vantande negativt", VTD, [vtd_row(vantande="-1")], 2, "vantande",
     "vantande saknas eller är inte ett heltal ≥ 0"),
    ("vtd vantande text", VTD, [vtd_row(vantande="många")], 2, "vantande", "heltal"),
    ("vtd över 90 > väntande", VTD, [vtd_row(vantande="10", vantande_over_90="11")], 2, "vantande_over_90",
     "vantande_over_90 får inte vara större än vantande"),
    ("vtd inom 90 > genomförda", VTD, [vtd_row(genomforda="10", genomforda_inom_90="12")], 2,
     "genomforda_inom_90", "genomforda_inom_90 får inte vara större än genomforda"),
    ("vtd nya decimal", VTD, [vtd_row(nya="2.5")], 2, "nya", "nya ska vara ett heltal ≥ 0 eller tom"),
    ("vtd genomforda saknas", VTD, [vtd_row(genomforda="")], 2, "genomforda", "genomforda saknas"),
    ("vtd dubblett", VTD, [vtd_row(), vtd_row()], 3, "period",
     "kombinationen period + vardenhet_hsaid + fas + kva_grupp förekommer redan på rad 2"),
    # --- vardenheter ------------------------------------------------------------------------
    ("enhet hsa format", UNITS, [unit(vardenhet_hsaid="SE23-1")], 2, "vardenhet_hsaid", "ogiltigt HSA-id"),
    ("enhet dubblett", UNITS, [unit(), unit(namn="Samma id igen")], 3, "vardenhet_hsaid",
     "vardenhet_hsaid förekommer redan på rad 2"),
    ("enhet namn saknas", UNITS, [unit(namn="")], 2, "namn", "namn saknas"),
    ("enhet region", UNITS, [unit(region_kod="02")], 2, "region_kod", "region_kod ska vara en av de 21 länskoderna"),
    ("enhet region saknas", UNITS, [unit(region_kod="")], 2, "region_kod", "region_kod saknas"),
    ("enhet ägarform", UNITS, [unit(agarform="kommunal")], 2, "agarform",
     "agarform ska vara offentlig, privat eller ideburen"),
    ("enhet lat text", UNITS, [unit(lat="norr")], 2, "lat", "lat ska vara ett decimaltal"),
    ("enhet lat utanför", UNITS, [unit(lat="70.2")], 2, "lat", "lat ligger utanför Sverige (55,0–69,1)"),
    ("enhet lon utanför", UNITS, [unit(lon="24.5")], 2, "lon", "lon ligger utanför Sverige (10,9–24,2)"),
    ("enhet lat utan lon", UNITS, [unit(lon="")], 2, "lat", "lat och lon anges båda eller ingen av dem"),
    # --- kva -----------------------------------------------------------------------------------
    ("kva kod format", KVA, [["NG", "Kort kod"]], 2, "kod", "kod ska vara en KVÅ-grupp"),
    ("kva kod sex tecken", KVA, [["NGB491", "För lång"]], 2, "kod", "kod ska vara en KVÅ-grupp"),
    ("kva titel saknas", KVA, [["NGB99", ""]], 2, "titel", "titel saknas"),
    ("kva dubblett", KVA, [["NGB99", "A"], ["ngb99", "B"]], 3, "kod", "kod förekommer redan på rad 2"),
]


@pytest.mark.parametrize("name, target, rows, line, column, reason", CASES, ids=[c[0] for c in CASES])
def test_rule_rejects_file_and_changes_nothing(wh, files, name, target, rows, line, column, reason):
    file_name, header = target
    before = digest(wh)
    path = write_csv(files / file_name, header, rows)

    result = load(wh, path)

    (res,) = result.files
    assert res.outcome == "rejected", (res.outcome, res.message, res.details)
    assert res.message.startswith("för många felaktiga rader")
    assert (line, column) in [(d[0], d[1]) for d in res.details], res.details
    detail = next(d for d in res.details if (d[0], d[1]) == (line, column))
    assert reason in detail[3], detail
    stored = rejections(wh, file_name)
    assert any(r[0] == line and r[1] == column and reason in r[3] for r in stored), stored
    assert any(r[0] is None and r[3].startswith("Hela filen avvisad") for r in stored)
    outcome, total, accepted, rejected, message = history(wh, file_name)
    assert (outcome, total, accepted, rejected) == ("rejected", len(rows), 0, 1)
    assert digest(wh) == before


def test_rejection_value_is_the_text_in_the_file(wh, files):
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [spor_row(100, kva_kod="ngb4x")])
    load(wh, path)
    (row,) = [r for r in rejections(wh, path.name) if r[0] is not None]
    assert row == (2, "kva_kod", "ngb4x", "ogiltig KVÅ-kod: ska vara tre bokstäver och två siffror, t.ex. NGB49")


def test_makulerad_row_needs_only_post_id(wh, files):
    empty = {c: "" for c in SPOR_HEADER}
    cancel = [empty[c] for c in SPOR_HEADER]
    cancel[SPOR_HEADER.index("post_id")] = "S00003"
    cancel[SPOR_HEADER.index("status")] = "makulerad"
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [cancel])
    result = load(wh, path)
    assert result.files[0].outcome == "loaded", result.files[0].message
    assert result.cancelled == 1
    from tests.etl.helpers import query
    assert query(wh, "SELECT count(*) FROM operations WHERE post_id = 'S00003'") == [(0,)]


def test_accepted_normalisations(wh, files):
    """Lower-case KVÅ code and akut, one-digit county code (Excel drops the zero),
    empty akut = N, decimal comma in coordinates."""
    path = write_csv(files / "spor_20261102.csv", SPOR_HEADER, [
        spor_row(200, kva_kod="ngb49", akut="j", patient_lan="1"),
        spor_row(201, akut=""),
    ])
    result = load(wh, path)
    assert result.files[0].outcome == "loaded" and result.files[0].rejected == 0
    from tests.etl.helpers import query
    rows = query(wh, "SELECT post_id, kva_kod, kva_grupp, akut, patient_lan FROM operations "
                     "WHERE post_id IN ('S00200', 'S00201') ORDER BY post_id")
    assert rows[0] == ("S00200", "NGB49", "NGB", True, "01")
    assert rows[1][3] is False
    assert query(wh, "SELECT lat, lon FROM units WHERE vardenhet_hsaid = ?", [UNIT_B]) == [(55.71, 13.19)]


def test_units_of_every_kind_exist_in_base(wh):
    from tests.etl.helpers import query
    assert {r[0] for r in query(wh, "SELECT vardenhet_hsaid FROM units")} == {UNIT_A, UNIT_B, UNIT_P}
