"""CSV and XLSX exports: pure functions, rows and columns in, bytes out.

The download buttons of the views and the /api/v1 endpoints call these with
exactly the rows and columns they show, so a file never disagrees with the
screen. Values are unrounded (METRICS.md); the files are made for Swedish
Excel:

- CSV: ``;`` as delimiter, UTF-8 with BOM, decimal comma, CRLF line ends,
  ISO dates, booleans as Ja/Nej, empty cell for a missing value.
- XLSX: numbers are numeric cells with number formats (days ``0.0``, shares
  ``0.0 %``, counts ``# ##0``), dates are date cells, a title block with the
  source and data date above the header row, frozen header and auto-filter.

``columns`` is a list of ``(key, Swedish header)`` or ``(key, header, kind)``
with kind one of ``text int days share date bool number``; without a kind it
is inferred from the key and the values. When the frame has a ``suppressed``
column, a suppressed row's ``n`` between 1 and ``suppress_below - 1`` is
written as ``<5`` (the anonymity rule of METRICS.md: exports never reveal a
small n).

Text cells that Excel would read as a formula (starting with ``= + - @`` or a
tab/CR) are neutralised (CSV: a leading apostrophe; XLSX: stored as text), so a
unit name can never run code in a colleague's spreadsheet.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence

import pandas as pd

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("text", "int", "days", "share", "date", "bool", "number")
NUMBER_FORMATS = {"int": "#,##0", "days": "0.0", "share": "0.0%", "number": "General", "date": "yyyy-mm-dd"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Column = tuple[str, str] | tuple[str, str, str]


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _kind(key: str, explicit: str | None, values: Sequence) -> str:
    if explicit:
        if explicit not in KINDS:
            raise ValueError(f"unknown column kind {explicit!r} for {key!r}")
        return explicit
    k = key.lower()
    if k.startswith("andel") or k.endswith("_andel"):
        return "share"
    if k in ("median", "p90") or k.endswith("_dagar"):
        return "days"
    # "<5" (a suppressed n) does not make a count column text.
    sample = [v for v in values if not _missing(v) and not (isinstance(v, str) and v.startswith("<"))]
    if sample and all(isinstance(v, bool) for v in sample):
        return "bool"
    if sample and all(isinstance(v, (dt.date, pd.Timestamp)) for v in sample):
        return "date"
    if sample and all(isinstance(v, (int,)) and not isinstance(v, bool) for v in sample):
        return "int"
    if sample and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sample):
        return "number"
    return "text"


def _plain(value):
    """numpy scalars -> Python; NaN/NA -> None."""
    if _missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def _spec(columns: Sequence[Column]) -> list[tuple[str, str, str | None]]:
    out = []
    for col in columns:
        if len(col) == 2:
            out.append((col[0], col[1], None))
        else:
            out.append((col[0], col[1], col[2]))
    return out


def prepare(df: pd.DataFrame, columns: Sequence[Column], suppress_below: int = 5) -> tuple[list, list[list]]:
    """(column specs with kinds, rows of plain Python values) for the exporters."""
    spec = _spec(columns)
    missing = [key for key, _, _ in spec if key not in df.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    raw = {key: [_plain(v) for v in df[key].tolist()] for key, _, _ in spec}
    if "suppressed" in df.columns and "n" in raw:
        flags = [bool(_plain(v)) for v in df["suppressed"].tolist()]
        raw["n"] = [
            f"<{suppress_below}" if flag and isinstance(n, (int, float)) and 0 < n < suppress_below else n
            for n, flag in zip(raw["n"], flags)
        ]
    kinds = [(key, header, _kind(key, kind, raw[key])) for key, header, kind in spec]
    rows = [[raw[key][i] for key, _, _ in spec] for i in range(len(df))]
    return kinds, rows


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(value, kind: str) -> str:
    """One CSV cell as Swedish Excel reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and kind == "int":
            return str(int(value))
        return repr(value).replace(".", ",")
    return _safe_text(str(value))


def to_csv_bytes(df: pd.DataFrame, columns: Sequence[Column], suppress_below: int = 5) -> bytes:
    """The rows of ``df`` as CSV for Swedish Excel (see the module docstring)."""
    kinds, rows = prepare(df, columns, suppress_below)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_safe_text(header) for _, header, _ in kinds])
    for row in rows:
        writer.writerow([csv_value(v, kind) for v, (_, _, kind) in zip(row, kinds)])
    return buf.getvalue().encode("utf-8-sig")


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title or "Data").strip() or "Data"
    return cleaned[:31]


def to_xlsx_bytes(df: pd.DataFrame, columns: Sequence[Column], sheet_title: str,
                  meta_lines: Sequence[str] = (), suppress_below: int = 5) -> bytes:
    """The rows of ``df`` as an XLSX workbook (see the module docstring).

    ``meta_lines``: the title block above the table (e.g. the product and
    group, "Källa: SPOR, data t.o.m. 2026-11-20", the filters, "Demodata");
    empty lines are skipped. The first line is set in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    kinds, rows = prepare(df, columns, suppress_below)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet_title)
    r = 1
    for i, line in enumerate(line for line in meta_lines if line):
        cell = ws.cell(row=r, column=1, value=str(line))
        cell.data_type = "s"
        if i == 0:
            cell.font = Font(bold=True, size=13)
        r += 1
    if r > 1:
        r += 1  # a blank line between the title block and the table
    header_row = r
    for c, (_, header, _) in enumerate(kinds, start=1):
        cell = ws.cell(row=r, column=c, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(h), 8), 40) for _, h, _ in kinds]
    for row in rows:
        r += 1
        for c, (value, (_, _, kind)) in enumerate(zip(row, kinds), start=1):
            cell = ws.cell(row=r, column=c)
            if value is None:
                continue
            if isinstance(value, bool):
                cell.value = "Ja" if value else "Nej"
            elif kind == "date" and isinstance(value, str) and _ISO_DATE.match(value):
                cell.value = dt.date.fromisoformat(value)
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, (pd.Timestamp, dt.datetime)):
                cell.value = value.date() if isinstance(value, pd.Timestamp) else value
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, (int, float)):
                cell.value = value
                cell.number_format = NUMBER_FORMATS.get(kind, "General") if kind != "text" else "General"
            else:
                cell.value = str(value)
                cell.data_type = "s"  # never a formula
                if str(value).startswith("<"):
                    cell.alignment = Alignment(horizontal="right")
            widths[c - 1] = min(max(widths[c - 1], len(str(value)) + 2), 60)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if kinds:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(kinds))}{max(r, header_row)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def content_disposition(filename: str) -> str:
    """An attachment header; names are ASCII by construction (codes, dates, HSA-IDs)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f'attachment; filename="{safe}"'
