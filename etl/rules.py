"""The rules of EXTRACTS.md per kind of file, as SQL over a table of strings.

Every rule is a :class:`Check`: the column it concerns, a SQL condition that
is TRUE when a row breaks it, and the Swedish reason shown to data stewards.
A row is rejected for the first check it breaks (checks are in column order).
The checks run in DuckDB over the whole file at once (vectorised), never row
by row in Python.

Columns are referred to by name in two views the loader builds per file:

``n`` — the normalised text of each column (trimmed if the file has padded
values, upper/lower-cased where the rule says, empty → NULL), plus ``line``
and ``file_no`` (several small files of one kind are checked together);
``p`` — ``n`` plus what the checks look up: ``unit_region`` (the unit's region
in the catalogue, NULL when unknown), ``first_line`` (the earlier line of a
duplicated key in the same file), ``file_date`` and ``file_id`` of the row's
file, and typed values (``*_d`` dates, ``*_f`` decimals).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from data.reference import NCR_GROUPS, regions
from etl import limits

#: The 21 county codes (data/reference/regioner.csv).
REGION_CODES = tuple(regions())
PRIORITIES = ("1v", "2v", "4v", "3m", "6m", "12m")
ANESTHESIA = ("topikal", "lokal", "narkos")
OWNERSHIP = ("offentlig", "privat", "ideburen")
LAT_RANGE = (55.0, 69.1)
LON_RANGE = (10.9, 24.2)
HSA_PATTERN = "SE[0-9]{10}-[A-Za-z0-9]{1,20}"
KVA_CODE_PATTERN = "[A-Z]{3}[0-9]{2}"
#: Column names that would carry personal data, which no extract may hold (EXTRACTS.md).
#: ``namn`` is a person's name in a register file but the unit's name in vardenheter.
PERSONAL_COLUMNS = frozenset({
    "personnummer", "personnr", "pnr", "samordningsnummer", "patient_id", "patientid",
    "fornamn", "förnamn", "efternamn", "patientnamn", "alder", "ålder", "kon", "kön",
    "fodelsedatum", "födelsedatum", "fodelsear", "födelseår",
})
PERSONAL_COLUMNS_REGISTER = PERSONAL_COLUMNS | {"namn"}
#: A post_id that looks like a Swedish personal identity number (YYMMDD-NNNN, YYYYMMDDNNNN …).
PERSONNUMMER_PATTERN = "(19|20)?[0-9]{6}[-+]?[0-9]{4}"
#: A share of rejected rows above this rejects the whole file.
MAX_REJECTED_SHARE = 0.05
#: Files with at least this many rows are inserted sorted by (kva_grupp, operation_datum).
SORTED_INSERT_ROWS = 100_000


#: Dates before this are not plausible in a register of today's surgery; waits longer
#: than MAX_WAIT_DAYS are data errors (etl/limits.py; read when the rules are built).
DATE_FLOOR = limits.date_floor()
MAX_WAIT_DAYS = limits.max_wait_days()


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def in_list(values) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


@dataclass(frozen=True)
class Check:
    column: str
    bad: str                 # SQL over view p: TRUE when the row breaks the rule
    reason: str              # Swedish text, or SQL when reason_is_sql
    reason_is_sql: bool = False
    on_cancelled: bool = False   # also applies to rows with status = 'makulerad'

    def reason_sql(self) -> str:
        return self.reason if self.reason_is_sql else lit(self.reason)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    #: SQL per column turning the (possibly trimmed) text ``{x}`` into its normal form.
    normalize: dict[str, str] = field(default_factory=dict)
    #: Column(s) that must be unique within one file (duplicates name the earlier line).
    unique_key: tuple[str, ...] = ()
    is_register: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def _date_ok(col: str) -> str:
    # ``{col}_d`` is TRY_CAST({col} AS DATE) in view p (see typed_columns)
    return f"({col} LIKE '____-__-__' AND {col}_d IS NOT NULL)"


def _nonneg_int_bad(col: str, required: bool) -> str:
    fmt = f"(NOT regexp_full_match({col}, '[0-9]{{1,9}}'))"
    if required:
        return f"({col} IS NULL OR {fmt})"
    return f"({col} IS NOT NULL AND {fmt})"


def _pad_region(x: str) -> str:
    # Excel turns "01" into 1: a single digit is the same county code.
    return f"CASE WHEN length({x}) = 1 THEN '0' || {x} ELSE {x} END"


# ---- the five kinds ------------------------------------------------------------------

REGISTER_COMMON_NORMALIZE = {
    "kva_kod": "upper({x})",
    "patient_lan": _pad_region("{x}"),
    "status": "lower({x})",
}

SPOR = KindSpec(
    kind="spor",
    required=("post_id", "vardenhet_hsaid", "kva_kod", "anmalan_datum", "operation_datum"),
    optional=("asa_klass", "bortre_tidsgrans", "akut", "patient_lan", "status"),
    normalize={**REGISTER_COMMON_NORMALIZE, "bortre_tidsgrans": "lower({x})", "akut": "upper({x})"},
    unique_key=("post_id",),
    is_register=True,
)

NCR = KindSpec(
    kind="ncr",
    required=("post_id", "vardenhet_hsaid", "kva_kod", "beslut_datum", "operation_datum"),
    optional=("anestesi", "oga", "patient_lan", "status"),
    normalize={**REGISTER_COMMON_NORMALIZE, "anestesi": "lower({x})", "oga": "upper({x})"},
    unique_key=("post_id",),
    is_register=True,
)

VTD = KindSpec(
    kind="vtd",
    required=("period", "vardenhet_hsaid", "fas", "vantande", "vantande_over_90", "genomforda",
              "genomforda_inom_90"),
    optional=("mvo", "kva_grupp", "vantande_avvikelse", "nya"),
    normalize={"kva_grupp": "upper({x})"},
    unique_key=("period", "vardenhet_hsaid", "fas", "kva_grupp"),
)

VARDENHETER = KindSpec(
    kind="vardenheter",
    required=("vardenhet_hsaid", "namn", "region_kod", "agarform"),
    optional=("sjukhus", "ort", "lat", "lon"),
    normalize={"region_kod": _pad_region("{x}"), "agarform": "lower({x})",
               "lat": "replace({x}, ',', '.')", "lon": "replace({x}, ',', '.')"},
    unique_key=("vardenhet_hsaid",),
)

KVA = KindSpec(
    kind="kva",
    required=("kod", "titel"),
    optional=(),
    normalize={"kod": "upper({x})"},
    unique_key=("kod",),
)

KINDS: dict[str, KindSpec] = {s.kind: s for s in (SPOR, NCR, VTD, VARDENHETER, KVA)}
#: Catalogues load before the files that refer to them.
KIND_ORDER = {"kva": 0, "vardenheter": 1, "ncr": 2, "spor": 2, "vtd": 2}


def _duplicate_check(spec: KindSpec, on_cancelled: bool) -> Check:
    key = spec.unique_key
    what = key[0] if len(key) == 1 else "kombinationen " + " + ".join(key)
    return Check(
        key[0],
        "first_line IS NOT NULL AND line > first_line",
        f"{lit(what + ' förekommer redan på rad ')} || first_line || ' i samma fil'",
        reason_is_sql=True,
        on_cancelled=on_cancelled,
    )


def _hsa_checks() -> list[Check]:
    return [
        Check("vardenhet_hsaid", "vardenhet_hsaid IS NULL", "vardenhet_hsaid saknas"),
        # A unit found in the catalogue passed the format check when the catalogue was loaded.
        Check("vardenhet_hsaid",
              f"CASE WHEN unit_region IS NULL THEN NOT regexp_full_match(vardenhet_hsaid, '{HSA_PATTERN}') END",
              "ogiltigt HSA-id: ska vara SE + 10 siffror + '-' + 1–20 bokstäver eller siffror"),
        Check("vardenhet_hsaid", "unit_region IS NULL",
              "okänd vårdenhet: HSA-id:t finns inte i enhetskatalogen (vardenheter)"),
    ]


def _register_checks(spec: KindSpec) -> list[Check]:
    start = "anmalan_datum" if spec.kind == "spor" else "beslut_datum"
    checks = [
        Check("post_id", "post_id IS NULL", "post_id saknas", on_cancelled=True),
        # The pattern starts with a digit: testing the first character first skips the
        # regular expression for ordinary ids (measured: 0,11 → 0,05 s CPU on 1,75 M rows).
        Check("post_id", f"ascii(post_id) BETWEEN 48 AND 57 AND regexp_full_match(post_id, '{PERSONNUMMER_PATTERN}')",
              "post_id ser ut som ett personnummer; filerna får inte innehålla personuppgifter", on_cancelled=True),
        _duplicate_check(spec, on_cancelled=True),
        Check("status", "status IS NOT NULL AND status <> 'makulerad'",
              "status ska vara tom eller 'makulerad'", on_cancelled=True),
        *_hsa_checks(),
        Check("kva_kod", "kva_kod IS NULL", "kva_kod saknas"),
        Check("kva_kod", f"NOT regexp_full_match(kva_kod, '{KVA_CODE_PATTERN}')",
              "ogiltig KVÅ-kod: ska vara tre bokstäver och två siffror, t.ex. NGB49"),
    ]
    # The groups' common prefix first: most codes fail it at once (0,19 → 0,09 s CPU on 1,75 M rows).
    common = os.path.commonprefix(sorted(NCR_GROUPS))
    cataract = (f"(starts_with(kva_kod, '{common}') AND ("
                + " OR ".join(f"starts_with(kva_kod, '{g}')" for g in sorted(NCR_GROUPS)) + "))")
    if spec.kind == "ncr":
        checks.append(Check("kva_kod", f"NOT {cataract}",
                            "KVÅ-koden hör inte till kataraktregistret: endast grupperna CJC, CJD och CJE"))
    else:
        checks.append(Check("kva_kod", cataract,
                            "kataraktkoder (CJC, CJD, CJE) levereras av NCR, inte av SPOR"))
    checks += [
        Check(start, f"{start} IS NULL", f"{start} saknas"),
        Check(start, f"NOT {_date_ok(start)}", "ogiltigt datum: ska vara ÅÅÅÅ-MM-DD"),
        Check("operation_datum", "operation_datum IS NULL", "operation_datum saknas"),
        Check("operation_datum", f"NOT {_date_ok('operation_datum')}", "ogiltigt datum: ska vara ÅÅÅÅ-MM-DD"),
        Check("operation_datum", f"operation_datum_d < {start}_d",
              f"operation_datum är före {start}"),
        # file_date: the date in the file's name (else the day of loading), per file
        Check("operation_datum", "operation_datum_d > file_date",
              "'operation_datum är efter filens datum ' || strftime(file_date, '%Y-%m-%d')", reason_is_sql=True),
        Check("operation_datum", "operation_datum_d > load_day",
              "'operation_datum ligger efter dagens datum ' || strftime(load_day, '%Y-%m-%d')", reason_is_sql=True),
        Check("operation_datum", f"operation_datum_d < DATE '{DATE_FLOOR.isoformat()}'",
              f"operation_datum före {DATE_FLOOR.isoformat()} är inte rimligt (LAGESBILD_ETL_DATE_FLOOR)"),
        Check(start, f"{start}_d < DATE '{DATE_FLOOR.isoformat()}'",
              f"{start} före {DATE_FLOOR.isoformat()} är inte rimligt (LAGESBILD_ETL_DATE_FLOOR)"),
        Check(start, f"operation_datum_d - {start}_d > {MAX_WAIT_DAYS}",
              f"väntetiden är längre än {MAX_WAIT_DAYS} dagar, vilket inte är rimligt (LAGESBILD_ETL_MAX_WAIT_DAYS)"),
        Check("patient_lan", f"patient_lan IS NOT NULL AND patient_lan NOT IN {in_list(REGION_CODES)}",
              "patient_lan ska vara en av de 21 länskoderna (01–25) eller tom"),
    ]
    if spec.kind == "spor":
        checks += [
            Check("asa_klass", "asa_klass IS NOT NULL AND asa_klass NOT IN ('1','2','3','4','5','6')",
                  "asa_klass ska vara ett heltal 1–6 eller tom"),
            Check("bortre_tidsgrans",
                  f"bortre_tidsgrans IS NOT NULL AND bortre_tidsgrans NOT IN {in_list(PRIORITIES)}",
                  "bortre_tidsgrans ska vara 1v, 2v, 4v, 3m, 6m, 12m eller tom"),
            Check("akut", "akut IS NOT NULL AND akut NOT IN ('J','N')", "akut ska vara J, N eller tom"),
        ]
    else:
        checks += [
            Check("anestesi", f"anestesi IS NOT NULL AND anestesi NOT IN {in_list(ANESTHESIA)}",
                  "anestesi ska vara topikal, lokal, narkos eller tom"),
            Check("oga", "oga IS NOT NULL AND oga NOT IN ('H','V')", "oga ska vara H, V eller tom"),
        ]
    return checks


def _vtd_checks(spec: KindSpec) -> list[Check]:
    checks = [
        Check("period", "period IS NULL", "period saknas"),
        Check("period", "NOT (period LIKE '____-__' AND TRY_CAST(period || '-01' AS DATE) IS NOT NULL)",
              "ogiltig period: ska vara ÅÅÅÅ-MM"),
        Check("period", "period > strftime(load_day, '%Y-%m')",
              "'perioden ligger efter innevarande månad ' || strftime(load_day, '%Y-%m')", reason_is_sql=True),
        Check("period", "file_period IS NOT NULL AND period <> file_period",
              "'perioden är inte filens månad ' || file_period || ' (enligt filnamnet vtd_ÅÅÅÅMM)'",
              reason_is_sql=True),
        Check("period", f"period < '{DATE_FLOOR.strftime('%Y-%m')}'",
              f"perioden före {DATE_FLOOR.strftime('%Y-%m')} är inte rimlig (LAGESBILD_ETL_DATE_FLOOR)"),
        *_hsa_checks(),
        Check("mvo", "mvo IS NOT NULL AND NOT regexp_full_match(mvo, '[0-9]{3}')",
              "mvo ska vara en tresiffrig verksamhetskod eller tom"),
        Check("fas", "fas IS NULL", "fas saknas"),
        Check("fas", "fas NOT IN ('1','2')", "fas ska vara 1 (första besök) eller 2 (operation/åtgärd)"),
        Check("kva_grupp", "kva_grupp IS NOT NULL AND NOT regexp_full_match(kva_grupp, '[A-Z]{3}')",
              "kva_grupp ska vara tre bokstäver (KVÅ-grupp) eller tom"),
        Check("kva_grupp", "kva_grupp IS NOT NULL AND fas = '1'", "kva_grupp ska vara tom för fas 1"),
        _duplicate_check(spec, on_cancelled=False),
    ]
    for col, required in (("vantande", True), ("vantande_over_90", True), ("vantande_avvikelse", False),
                          ("nya", False), ("genomforda", True), ("genomforda_inom_90", True)):
        reason = (f"{col} saknas eller är inte ett heltal ≥ 0" if required
                  else f"{col} ska vara ett heltal ≥ 0 eller tom")
        checks.append(Check(col, _nonneg_int_bad(col, required), reason))
        if col == "vantande_over_90":
            checks.append(Check(col, "TRY_CAST(vantande_over_90 AS BIGINT) > TRY_CAST(vantande AS BIGINT)",
                                "vantande_over_90 får inte vara större än vantande"))
        if col == "genomforda_inom_90":
            checks.append(Check(col, "TRY_CAST(genomforda_inom_90 AS BIGINT) > TRY_CAST(genomforda AS BIGINT)",
                                "genomforda_inom_90 får inte vara större än genomforda"))
    return checks


def _unit_checks(spec: KindSpec) -> list[Check]:
    lat_lo, lat_hi = LAT_RANGE
    lon_lo, lon_hi = LON_RANGE
    return [
        Check("vardenhet_hsaid", "vardenhet_hsaid IS NULL", "vardenhet_hsaid saknas"),
        Check("vardenhet_hsaid", f"NOT regexp_full_match(vardenhet_hsaid, '{HSA_PATTERN}')",
              "ogiltigt HSA-id: ska vara SE + 10 siffror + '-' + 1–20 bokstäver eller siffror"),
        _duplicate_check(spec, on_cancelled=False),
        Check("namn", "namn IS NULL", "namn saknas"),
        Check("region_kod", "region_kod IS NULL", "region_kod saknas"),
        Check("region_kod", f"region_kod NOT IN {in_list(REGION_CODES)}",
              "region_kod ska vara en av de 21 länskoderna (01–25)"),
        Check("agarform", "agarform IS NULL", "agarform saknas"),
        Check("agarform", f"agarform NOT IN {in_list(OWNERSHIP)}",
              "agarform ska vara offentlig, privat eller ideburen"),
        Check("lat", "lat IS NOT NULL AND lat_f IS NULL", "lat ska vara ett decimaltal (WGS84)"),
        Check("lon", "lon IS NOT NULL AND lon_f IS NULL", "lon ska vara ett decimaltal (WGS84)"),
        Check("lat", "(lat IS NULL) <> (lon IS NULL)", "lat och lon anges båda eller ingen av dem"),
        Check("lat", f"lat_f NOT BETWEEN {lat_lo} AND {lat_hi}",
              f"lat ligger utanför Sverige ({lat_lo}–{lat_hi})".replace(".", ",")),
        Check("lon", f"lon_f NOT BETWEEN {lon_lo} AND {lon_hi}",
              f"lon ligger utanför Sverige ({lon_lo}–{lon_hi})".replace(".", ",")),
    ]


def _kva_checks(spec: KindSpec) -> list[Check]:
    return [
        Check("kod", "kod IS NULL", "kod saknas"),
        Check("kod", "NOT (regexp_full_match(kod, '[A-Z]{3}') OR regexp_full_match(kod, '[A-Z][A-Z0-9]{4}'))",
              "kod ska vara en KVÅ-grupp (tre bokstäver) eller en kod med fem tecken"),
        _duplicate_check(spec, on_cancelled=False),
        Check("titel", "titel IS NULL", "titel saknas"),
    ]


def checks_for(kind: str) -> list[Check]:
    spec = KINDS[kind]
    if spec.is_register:
        return _register_checks(spec)
    return {"vtd": _vtd_checks, "vardenheter": _unit_checks, "kva": _kva_checks}[kind](spec)


# ---- SQL builders ------------------------------------------------------------------------

def normalized_select(spec: KindSpec, raw: str, trimmed: set[str]) -> str:
    """SELECT for view ``n``: each column normalised, empty text → NULL."""
    parts = ["file_no", "line"]
    for col in spec.columns:
        x = f"NULLIF(trim({col}), '')" if col in trimmed else col
        expr = spec.normalize.get(col, "{x}").format(x=x)
        parts.append(f"{expr} AS {col}")
    return f"SELECT {', '.join(parts)} FROM {raw}"


def typed_columns(kind: str) -> list[str]:
    if kind == "spor":
        return ["TRY_CAST(anmalan_datum AS DATE) AS anmalan_datum_d",
                "TRY_CAST(operation_datum AS DATE) AS operation_datum_d"]
    if kind == "ncr":
        return ["TRY_CAST(beslut_datum AS DATE) AS beslut_datum_d",
                "TRY_CAST(operation_datum AS DATE) AS operation_datum_d"]
    if kind == "vardenheter":
        return ["TRY_CAST(lat AS DOUBLE) AS lat_f", "TRY_CAST(lon AS DOUBLE) AS lon_f"]
    return []


def rule_case(spec: KindSpec, checks: list[Check]) -> str:
    """CASE expression over view p: the index of the first check a row breaks, else NULL."""
    whens = []
    for i, check in enumerate(checks):
        cond = check.bad
        if spec.is_register and not check.on_cancelled:
            cond = f"NOT is_cancel AND ({cond})"
        whens.append(f"WHEN {cond} THEN {i}")
    return "CASE " + " ".join(whens) + " END"


def checked_select(spec: KindSpec, checks: list[Check], view: str = "p") -> str:
    """SELECT of (file_no, line, rule_no) for every row that breaks a rule; rule_no indexes ``checks``."""
    case = rule_case(spec, checks)
    return (f"SELECT file_no, line, rule_no FROM (SELECT file_no, line, {case} AS rule_no FROM {view}) "
            "WHERE rule_no IS NOT NULL")


def detail_select(checks: list[Check], bad: str, view: str, raw: str) -> str:
    """SELECT (file_no, line, column_name, value, reason) for the rows in ``bad``
    (file_no, line, rule_no); ``view`` is view p (aliased p), ``raw`` the file's text."""
    columns = " ".join(f"WHEN {i} THEN {lit(c.column)}" for i, c in enumerate(checks))
    values = " ".join(f"WHEN {i} THEN r.{c.column}" for i, c in enumerate(checks))
    reasons = " ".join(f"WHEN {i} THEN {c.reason_sql()}" for i, c in enumerate(checks))
    return f"""
        SELECT b.file_no, b.line,
               CASE b.rule_no {columns} END AS column_name,
               left(CASE b.rule_no {values} END, 200) AS value,
               CASE b.rule_no {reasons} END AS reason
        FROM {bad} b
        JOIN {view} ON p.file_no = b.file_no AND p.line = b.line
        JOIN {raw} r ON r.file_no = b.file_no AND r.line = b.line
    """
