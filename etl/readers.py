"""Read one extract file (CSV, XLSX or Parquet) into an Arrow table of strings.

What this module decides (EXTRACTS.md, "Rules for every file"):

- the kind of file, from its name prefix or given explicitly;
- the file date, from the digits in its name (``spor_20261120.csv``);
- CSV: delimiter ``;`` or ``,`` detected from the header line; UTF-8 with or
  without BOM, otherwise Windows-1252; a row with the wrong number of fields is
  a row-level rejection with its line number;
- XLSX: the first sheet (for the KVÅ catalogue, the first sheet with a
  ``kod``/``titel`` header row, so the official workbook with its "Läs mig"
  sheet loads); Parquet: every column converted to text;
- column names are case-insensitive, surrounding whitespace ignored; unknown
  columns are dropped with a warning; a missing required column, an empty
  header, a duplicate column or an unreadable file is a :class:`FileRejected`.

The result has one string column per known column (absent optional columns
are all-null) plus ``line``: the 1-based line of the row in the file (the
header is line 1, so data row *i* is line *i + 1*; XLSX: the sheet's row
number). Nothing here loops over data rows in Python except the XLSX reader
(openpyxl yields cells one row at a time).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import mmap
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl import rules
from etl.limits import max_cell_chars, max_file_bytes, max_rows, max_xlsx_unpacked
from etl.rules import KINDS, KindSpec

EXTENSIONS = (".csv", ".xlsx", ".parquet")
#: At most this many rows with a wrong field count are collected one by one;
#: a file with more is rejected as a whole (it is not a file of this layout).
MAX_BAD_FIELD_ROWS = 10_000
MAX_TEXT_IN_REJECTION = 200


class FileRejected(Exception):
    """A structural problem: the whole file is rejected (message in Swedish)."""


@dataclass
class BadRow:
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class RawFile:
    """One file read into memory, before the rules of its kind are applied."""

    path: Path
    kind: str
    file_date: dt.date               # from the name (spor_YYYYMMDD), else the day of loading
    table: pa.Table                  # string columns (all of the kind's columns) + int32 ``line``
    rows_total: int                  # data rows in the file (blank lines not counted)
    bad_rows: list[BadRow] = field(default_factory=list)   # rows the reader could not split
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str | None = None
    padded: bool = True              # some values may have surrounding spaces (trim them)
    file_period: str | None = None   # a vtd file's own month from vtd_YYYYMM ("2026-11"), else None
    today: dt.date | None = None     # the day of loading (rows from after it are refused)


# ---- kind and date from the name ---------------------------------------------

_PREFIXES = (("spor_", "spor"), ("ncr_", "ncr"), ("vtd_", "vtd"), ("vardenheter", "vardenheter"), ("kva", "kva"))


def kind_from_name(name: str) -> str | None:
    """'spor' | 'ncr' | 'vtd' | 'vardenheter' | 'kva', or None when the name says nothing."""
    lower = name.lower()
    for prefix, kind in _PREFIXES:
        if lower.startswith(prefix):
            return kind
    return None


def is_extract_name(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS)


#: A file dated in its name after today is refused; one day's grace for time zones and late-night runs.
FUTURE_GRACE_DAYS = 1


def date_from_name(name: str, today: dt.date | None = None) -> dt.date:
    """The file date: the YYYYMMDD in the name (else today). An impossible
    date in the name (20261341) refuses the file — never replaced by today."""
    match = re.search(r"(?<!\d)(\d{8})(?!\d)", name)
    if match is None:
        return today or dt.date.today()
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        raise FileRejected(f"Filnamnet har ett ogiltigt datum ({match.group(1)}): ange ÅÅÅÅMMDD, "
                           "t.ex. spor_20261120.csv.") from None


def period_from_name(name: str) -> str | None:
    """A vtd file's own month from vtd_YYYYMM in its name ("2026-11"), or None."""
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", name)
    if match is None:
        return None
    year, month = int(match.group(1)[:4]), int(match.group(1)[4:])
    if not (1 <= month <= 12 and 1900 <= year <= 2999):
        raise FileRejected(f"Filnamnet har en ogiltig månad ({match.group(1)}): ange ÅÅÅÅMM, t.ex. vtd_202611.csv.")
    return f"{year:04d}-{month:02d}"


def check_not_future(name: str, kind: str, file_date: dt.date, period: str | None, today: dt.date) -> None:
    """A file dated after today (plus the grace day) cannot be a real extract."""
    if kind == "vtd" and period is not None:
        if period > today.strftime("%Y-%m"):
            raise FileRejected(f"Filen gäller månaden {period} enligt namnet, som inte har börjat ännu "
                               f"(i dag är det {today.isoformat()}). Kontrollera filnamnet.")
        return
    if file_date > today + dt.timedelta(days=FUTURE_GRACE_DAYS):
        raise FileRejected(f"Filens datum {file_date.isoformat()} (i namnet) ligger efter dagens datum "
                           f"{today.isoformat()}. Kontrollera filnamnet och operationsdatumen.")


def int32_array(values: np.ndarray) -> pa.Array:
    """A pyarrow int32 array over a numpy array without a copy (``pa.array`` on numpy
    input imports pandas, which costs more than half a second at start-up)."""
    values = np.ascontiguousarray(values, dtype=np.int32)
    return pa.Array.from_buffers(pa.int32(), len(values), [None, pa.py_buffer(values)])


def sha256_bytes(data) -> str:
    return hashlib.sha256(memoryview(data)).hexdigest()


# ---- column handling -----------------------------------------------------------

def normalize_name(name) -> str:
    return str(name if name is not None else "").strip().lower()


def _conform(table: pa.Table, spec: KindSpec, lines: pa.Array, warnings: list[str]) -> pa.Table:
    """Rename to normalized names, check required columns, drop unknown ones,
    add absent optional columns as nulls, append ``line``."""
    names = [normalize_name(n) for n in table.column_names]
    if not any(names):
        raise FileRejected("Rubrikraden saknas eller är tom.")
    seen: dict[str, int] = {}
    for n in names:
        if n:
            seen[n] = seen.get(n, 0) + 1
    duplicated = sorted(n for n, c in seen.items() if c > 1)
    if duplicated:
        raise FileRejected(f"Kolumnen {', '.join(duplicated)} förekommer mer än en gång i rubrikraden.")
    personal = rules.PERSONAL_COLUMNS_REGISTER if spec.kind in ("spor", "ncr", "vtd") else rules.PERSONAL_COLUMNS
    found = [n for n in names if n in personal]
    if found:
        raise FileRejected(
            f"Filen innehåller personuppgifter (kolumn {', '.join(found)}); extrakten får inte innehålla "
            "personnummer, namn, ålder eller kön. Ta bort kolumnen och leverera filen igen."
        )
    missing = [c for c in spec.required if c not in seen]
    if missing:
        raise FileRejected(
            f"Obligatorisk kolumn saknas: {', '.join(missing)}. "
            f"Rubrikraden ska innehålla {', '.join(spec.required)}."
        )
    known = set(spec.columns)
    unknown = [n for n in names if n and n not in known]
    if unknown:
        warnings.append(f"okända kolumner ignoreras: {', '.join(unknown)}")
    if names.count("") and table.num_rows:
        warnings.append("kolumn utan rubrik ignoreras")
    arrays, out_names = [], []
    index = {n: i for i, n in enumerate(names) if n}
    for col in spec.columns:
        if col in index:
            arr = table.column(index[col])
            if arr.type != pa.string():
                arr = arr.cast(pa.string())
        else:
            arr = pa.nulls(table.num_rows, pa.string())
        arrays.append(arr)
        out_names.append(col)
    arrays.append(lines)
    out_names.append("line")
    return pa.Table.from_arrays(arrays, names=out_names)


def _drop_blank_rows(table: pa.Table, lines: pa.Array) -> tuple[pa.Table, pa.Array]:
    """Rows where every field is empty (blank lines, ``;;;;``) are not data."""
    if table.num_rows == 0 or table.num_columns == 0:
        return table, lines
    any_value = None
    for col in table.columns:
        valid = pc.is_valid(col)
        any_value = valid if any_value is None else pc.or_(any_value, valid)
    if pc.all(any_value).as_py():
        return table, lines
    return table.filter(any_value), pc.filter(lines, any_value)


# ---- CSV -----------------------------------------------------------------------

def _header_line(data: bytes) -> bytes:
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = data.find(b"\n", start)
    return data[start: end if end >= 0 else len(data)].rstrip(b"\r")


def detect_delimiter(header: str) -> str:
    """``;`` (Swedish Excel) unless the header only has commas."""
    semicolons, commas = header.count(";"), header.count(",")
    if commas > semicolons:
        return ","
    return ";"


def _decode_header(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "Filen är varken giltig UTF-8 eller Windows-1252; spara den som CSV (UTF-8) och försök igen."
        ) from exc


def _parse_csv(data: bytes, delimiter: str, encoding: str, header: list[str], threads: bool):
    invalid: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row):
        if len(invalid) >= MAX_BAD_FIELD_ROWS:
            return "error"
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    # Positional names and an explicit string type for each: nothing is type-inferred
    # ("01" stays "01"); the header line itself is skipped and renamed afterwards.
    positional = [f"c{i}" for i in range(len(header))]
    read_options = pacsv.ReadOptions(use_threads=threads, encoding=encoding, block_size=CSV_BLOCK_BYTES,
                                     column_names=positional, skip_rows=1)
    parse_options = pacsv.ParseOptions(
        delimiter=delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
    )
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in positional},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    table = pacsv.read_csv(pa.BufferReader(pa.py_buffer(data)), read_options=read_options,
                           parse_options=parse_options, convert_options=convert_options)
    return table.rename_columns(header), invalid


def _is_utf8_error(exc: Exception) -> bool:
    return isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc) or "utf-8" in str(exc).lower()


def _head(data, size: int = 1 << 16) -> bytes:
    return bytes(data[:size])


def _cr_only_to_lf(data):
    """Old Mac line ends (CR only, Excel for Mac's "CSV"): read like LF. A file
    with any LF is left alone (CRLF and quoted CRs keep their meaning)."""
    head = _head(data)
    if b"\r" in head and b"\n" not in head:
        raw = bytes(data)
        if b"\n" not in raw:
            return raw.replace(b"\r", b"\n")
    return data


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_mixed_encodings(data) -> None:
    """A file with both valid UTF-8 letters (å, ä, ö) and bytes that are not
    UTF-8 mixes encodings (rows pasted from another file): read as
    Windows-1252 it would store "VÃ¤sterÃ¥s". Refused, naming the first line
    that is not UTF-8."""
    raw = bytes(data)
    if not _UTF8_MULTIBYTE.search(raw):
        return
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                f"Filen blandar teckenkodningar: rad {number} (tecken {exc.start + 1}) är inte UTF-8, men andra "
                "rader är det. Spara om hela filen som CSV UTF-8 och försök igen.") from None


def read_csv_bytes(data) -> tuple[pa.Table, pa.Array, list[BadRow], str, str]:
    """Parse CSV (bytes or a pyarrow Buffer). Returns (table of strings, line numbers,
    bad rows, encoding, delimiter)."""
    data = _cr_only_to_lf(data)
    head = _head(data)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected("Filen är sparad som UTF-16 (Excel: \"Unicode-text\"), som inte stöds; spara den som "
                           "\"CSV UTF-8\" eller \"CSV (semikolonavgränsad)\" och försök igen.")
    if not head.strip():
        raise FileRejected("Filen är tom; en rubrikrad krävs.")
    header, encoding = _decode_header(_header_line(head))
    if not header.strip():
        raise FileRejected("Rubrikraden saknas: filens första rad är tom.")
    delimiter = detect_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    try:
        table, invalid = _parse_csv(data, delimiter, "utf8" if encoding == "utf-8" else encoding, names, True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if encoding == "utf-8" and _is_utf8_error(exc):
            _refuse_mixed_encodings(data)
            encoding = "cp1252"
            try:
                table, invalid = _parse_csv(data, delimiter, encoding, names, True)
            except UnicodeDecodeError as exc2:
                raise FileRejected(
                    "Filen är varken giltig UTF-8 eller Windows-1252; spara den som CSV (UTF-8) och försök igen."
                ) from exc2
            except pa.ArrowInvalid as exc2:
                raise _structural(exc2, data) from exc2
        else:
            raise _structural(exc, data) from exc
    if len(invalid) >= MAX_BAD_FIELD_ROWS:
        raise FileRejected(
            f"Minst {MAX_BAD_FIELD_ROWS:,} rader har fel antal fält; kontrollera avgränsaren och rubrikraden.".replace(",", " ")
        )
    if invalid and any(number is None for number, *_ in invalid):
        # Multi-threaded parsing does not know line numbers; re-read in one thread.
        table, invalid = _parse_csv(data, delimiter, "utf8" if encoding == "utf-8" else encoding, names, False)
    n = table.num_rows
    if invalid:
        skipped = np.array(sorted(number for number, *_ in invalid), dtype=np.int64)
        all_lines = np.arange(2, n + len(skipped) + 2, dtype=np.int64)
        lines = int32_array(np.setdiff1d(all_lines, skipped, assume_unique=True))
    else:
        lines = int32_array(np.arange(2, n + 2))
    lines = _physical_lines(data, lines)
    bad = [
        BadRow(number, None, text[:MAX_TEXT_IN_REJECTION], _field_count_reason(expected, actual, text))
        for number, expected, actual, text in invalid
        if text.strip()
    ]
    return table, lines, bad, encoding, delimiter


def _physical_lines(data, lines: pa.Array) -> pa.Array:
    """Record numbers -> the file's line numbers, which differ after a quoted
    field holding a line break (a data steward opens the file at that line).
    A line break is inside quotes when an odd number of quote characters
    precede it (doubled quotes "" keep the parity). Only files with such a
    line break pay for this (one vectorised pass)."""
    # bytes and mmap can be searched without a copy (the common case: no quote at all)
    if hasattr(data, "find") and data.find(b'"') < 0:
        return lines
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    if not len(newlines):
        return lines
    quotes = np.flatnonzero(arr == 34)
    quotes_before = np.searchsorted(quotes, newlines)  # quote characters before each line break
    inside = (quotes_before % 2) == 1
    if not inside.any():
        return lines
    ends = np.flatnonzero(~inside)  # index (among all line breaks) of each record's end; [0] is the header's
    records = np.asarray(lines.to_numpy(zero_copy_only=False), dtype=np.int64) - 2
    ok = records < len(ends)
    physical = np.where(ok, ends[np.minimum(records, len(ends) - 1)] + 2, records + 2)
    return int32_array(physical.astype(np.int64))


CSV_BLOCK_BYTES = 1 << 22  # the reader's block: no line may be longer


def _field_count_reason(expected: int, actual: int, text: str) -> str:
    reason = f"fel antal fält: {actual} i stället för {expected}"
    swallowed = text.count("\n")
    if swallowed and text.count('"') % 2:
        reason += (f"; ett citattecken (\") på raden stängs aldrig, så {swallowed} följande rader lästes som "
                   "ett enda värde. Ta bort citattecknet eller stäng det")
    return reason


def _first_long_line(data) -> tuple[int, int] | None:
    """(number, length in bytes) of the first line longer than the reader's block, or None."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([-1], newlines))
    ends = np.concatenate((newlines, [len(arr)]))
    lengths = ends - starts - 1
    long = np.flatnonzero(lengths > CSV_BLOCK_BYTES)
    return (int(long[0]) + 1, int(lengths[long[0]])) if len(long) else None


def _structural(exc: Exception, data=None) -> FileRejected:
    """The CSV reader's structural failure, explained in Swedish (the library's
    own text only in parentheses, for the engineer)."""
    text = str(exc)
    if "straddl" in text or "block" in text:
        found = _first_long_line(data) if data is not None else None
        if found:
            line, length = found
            advice = (f"rad {line} är {round(length / 1e6)} MB lång, mer än de "
                      f"{CSV_BLOCK_BYTES // 1_000_000} MB en rad får vara; en registerpost är aldrig så lång, "
                      "så filen är troligen skadad eller fel exporterad. Exportera den igen som CSV UTF-8")
        else:
            advice = ("ett citattecken (\") som aldrig stängs gör att resten av filen läses som ett enda värde. "
                      "Kontrollera citattecknen eller spara om filen som CSV UTF-8 från Excel")
    elif "columns" in text.lower():
        advice = "raderna har olika antal kolumner än rubrikraden. Kontrollera avgränsaren (; eller ,)"
    else:
        advice = "filen följer inte CSV-formatet. Spara om den som CSV UTF-8 och försök igen"
    return FileRejected(f"Filen kunde inte läsas som CSV: {advice}. (Teknisk detalj: {text[:200]})")


# ---- XLSX ----------------------------------------------------------------------

def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "J" if value else "N"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _find_header(rows: list[tuple], required: tuple[str, ...], search: int) -> int | None:
    for i, row in enumerate(rows[:search]):
        names = {normalize_name(v) for v in row if v is not None}
        if all(r in names for r in required):
            return i
    return None


XLSX_DAMAGED = ("Filen är inte en läsbar Excel-arbetsbok (.xlsx): arkivet är skadat eller ofullständigt. "
                "Öppna den i Excel och spara om den som .xlsx eller som CSV UTF-8, och försök igen.")


def read_xlsx_bytes(data, spec: KindSpec) -> tuple[pa.Table, pa.Array, list[str]]:
    """First sheet; for the KVÅ catalogue the first sheet holding a Kod/Titel header
    row (the official workbook starts with a "Läs mig" sheet)."""
    import io
    import zipfile

    import openpyxl

    raw = bytes(data)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FileRejected(XLSX_DAMAGED) from exc
    limit = max_xlsx_unpacked()
    if unpacked > limit:
        raise FileRejected(
            f"Arbetsboken packas upp till {round(unpacked / 1e6)} MB, mer än gränsen "
            f"LAGESBILD_ETL_MAX_XLSX_MB={limit // 1_000_000}. Spara bladet som CSV UTF-8 och läs in det i stället.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FileRejected(XLSX_DAMAGED) from exc
    notes: list[str] = []
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise FileRejected("Arbetsboken har inga blad.")
        candidates = sheets if spec.kind == "kva" else sheets[:1]
        chosen = None
        for sheet in candidates:
            sheet.reset_dimensions()
            rows = [tuple(_cell_text(v) for v in row) for row in sheet.iter_rows(values_only=True)]
            search = 50 if spec.kind == "kva" else 1
            header_at = _find_header(rows, spec.required, search)
            if header_at is not None:
                chosen = (sheet.title, rows, header_at)
                break
            if spec.kind != "kva":
                chosen = (sheet.title, rows, 0)
        if chosen is None:
            raise FileRejected(
                f"Inget blad i arbetsboken har en rubrikrad med {', '.join(spec.required)}."
            )
    finally:
        workbook.close()
    title, rows, header_at = chosen
    if sheets[0].title != title:
        notes.append(f"läser bladet \"{title}\"")
    if not rows:
        raise FileRejected("Första bladet är tomt; en rubrikrad krävs.")
    header = list(rows[header_at])
    while header and header[-1] is None:
        header.pop()
    width = len(header)
    body = rows[header_at + 1:]
    columns = [[(r[i] if i < len(r) else None) for r in body] for i in range(width)]
    table = pa.Table.from_arrays(
        [pa.array(col, type=pa.string()) for col in columns],
        names=[h if h is not None else "" for h in header],
    )
    lines = int32_array(np.arange(header_at + 2, header_at + 2 + len(body)))
    return table, lines, notes


# ---- Parquet ---------------------------------------------------------------------

def _to_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return arr.cast(pa.string())
    if pa.types.is_timestamp(t):
        return arr.cast(pa.date32()).cast(pa.string())
    if pa.types.is_floating(t):
        integral = pc.equal(arr, pc.floor(arr))
        as_int = pc.if_else(integral, arr, None).cast(pa.int64(), safe=False).cast(pa.string())
        return pc.if_else(integral, as_int, arr.cast(pa.string()))
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "J", "N")
    return arr.cast(pa.string())


def read_parquet_bytes(data) -> tuple[pa.Table, pa.Array]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(pa.py_buffer(data)))
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected("Filen är inte en läsbar Parquet-fil (skadad, ofullständig eller en annan filtyp med "
                           "ändelsen .parquet). Exportera den igen, eller leverera den som CSV UTF-8. "
                           f"(Teknisk detalj: {str(exc)[:200]})") from exc
    try:
        table = pa.Table.from_arrays([_to_text(c) for c in table.columns], names=table.column_names)
    except (pa.ArrowException, ValueError) as exc:
        raise FileRejected(f"En kolumn i Parquet-filen kan inte tolkas som text: {exc}") from exc
    lines = int32_array(np.arange(2, table.num_rows + 2))
    return table, lines


# ---- entry point -------------------------------------------------------------------

def open_bytes(path: Path):
    """The file's content, memory-mapped (no copy): bytes-like, with find()."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_file_bytes():
                raise FileRejected(
                    f"Filen är {round(size / 1e6)} MB, mer än gränsen LAGESBILD_ETL_MAX_FILE_MB="
                    f"{max_file_bytes() // 1_000_000}. Dela upp den (t.ex. per månad) och läs in delarna.")
            if size == 0:
                return b""
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise FileRejected(f"Filen kunde inte läsas: {exc.strerror or exc}") from exc


def has_padded_values(data, delimiter: str) -> bool:
    """True when some field may start or end with a space (a fast byte search,
    so that the common file of clean values is never trimmed value by value)."""
    if data.find(b" ") < 0:       # the common case: no space anywhere (one memchr pass)
        return False
    d = delimiter.encode()
    patterns = (b" " + d, d + b" ", b" \n", b" \r\n", b"\n ", b' "' + d, d + b'" ')
    return any(data.find(p) >= 0 for p in patterns) or data[:1] == b" "


def _check_size_limits(table: pa.Table, lines: pa.Array) -> None:
    """Rows a file and characters a value, bounded (named limits, settings)."""
    import pyarrow.compute as pc

    if table.num_rows > max_rows():
        raise FileRejected(f"Filen har {table.num_rows:,} rader, mer än gränsen LAGESBILD_ETL_MAX_ROWS="
                           f"{max_rows():,}. Dela upp den och läs in delarna.".replace(",", " "))
    limit = max_cell_chars()
    for position, name in enumerate(table.column_names):
        column = table.column(position)  # by position: a duplicated name is _conform's to refuse
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            index = pc.index(lengths, longest).as_py()
            raise FileRejected(
                f"Rad {lines[index].as_py()}, kolumn {name}: värdet är {longest} tecken, mer än gränsen "
                f"LAGESBILD_ETL_MAX_CELL={limit}. Troligen ett citattecken som inte stängs eller fel avgränsare.")


def read_file(path: Path, kind: str, data=None, today: dt.date | None = None) -> RawFile:
    """Read ``path`` as an extract of ``kind``; raises FileRejected on structural problems.
    ``data`` (bytes or a pyarrow Buffer) is the content when already in memory."""
    spec = KINDS[kind]
    if data is None:
        data = open_bytes(path)
    suffix = Path(path).suffix.lower()
    warnings: list[str] = []
    bad: list[BadRow] = []
    encoding, delimiter, padded = "utf-8", None, True
    if suffix == ".xlsx":
        table, lines, notes = read_xlsx_bytes(data, spec)
        warnings.extend(notes)
    elif suffix == ".parquet":
        table, lines = read_parquet_bytes(data)
    else:
        table, lines, bad, encoding, delimiter = read_csv_bytes(data)
        padded = has_padded_values(data, delimiter)
        if encoding == "cp1252":
            warnings.append("filen är inte UTF-8; läst som Windows-1252")
    table, lines = _drop_blank_rows(table, lines)
    _check_size_limits(table, lines)
    table = _conform(table, spec, lines, warnings)
    name = Path(path).name
    today = today or dt.date.today()
    file_date = date_from_name(name, today)
    file_period = period_from_name(name) if kind == "vtd" else None
    check_not_future(name, kind, file_date, file_period, today)
    return RawFile(
        path=Path(path), kind=kind, file_date=file_date, file_period=file_period, today=today,
        table=table, rows_total=table.num_rows + len(bad), bad_rows=bad, warnings=warnings,
        encoding=encoding, delimiter=delimiter, padded=padded,
    )
