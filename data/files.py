"""CSV and XLSX files of a :class:`~data.tables.Table`: pure functions,
table in, bytes out. The API's files and the screen's download buttons both
call these with a table built from the same definition.

Both files start with the table's title block (product and group, source and
data date, window and level, filters, suppression, the demo marker, the day
of the extract), then a blank line, the header row and the rows. Values are
unrounded (METRICS.md) but without float noise: numbers are written with 10
significant digits (``169.20000000000002`` -> ``169,2``). Made for Swedish
Excel:

- CSV: ``;`` as delimiter, UTF-8 with BOM, decimal comma, CRLF line ends, ISO
  dates, empty cell for a missing value, shares in percent as on screen
  (header "… (%)"). LibreOffice and Excel open it as a sheet: the title
  lines in column A, a blank row, then the header row and the table
  (tests/test_files_libreoffice.py imports it with LibreOffice).
- XLSX: numbers are numeric cells with number formats (days ``0.0``, shares
  ``0.0 %``, counts ``# ##0``), dates are date cells, the title block above a
  bold header row, frozen header and auto-filter.

Text cells that Excel would read as a formula (starting with ``= + - @`` or a
tab/CR) are neutralised (CSV: a leading apostrophe; XLSX: stored as text), so
a unit name can never run code in a colleague's spreadsheet.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

from data.tables import Table

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"count": "#,##0", "int": "#,##0", "days": "0.0", "share": "0.0%", "km": "0.0",
                  "date": "yyyy-mm-dd"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SIGNIFICANT = 10


def plain_number(value: float) -> float:
    """A float without noise past 10 significant digits (169.20000000000002 -> 169.2)."""
    if not math.isfinite(value):
        return value
    return float(f"{value:.{SIGNIFICANT}g}")


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(value) -> str:
    """One CSV cell as Swedish Excel reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        number = plain_number(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number).replace(".", ",")
    return safe_text(str(value))


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for line in table.title:
        writer.writerow([safe_text(line)])
    if table.title:
        writer.writerow([])
    writer.writerow([safe_text(c.header + (" (%)" if c.kind == "share" else "")) for c in table.columns])
    shares = [c.kind == "share" for c in table.columns]
    for row in table.matrix():
        writer.writerow([csv_value(percent(v) if share else v) for v, share in zip(row, shares)])
    return buf.getvalue().encode("utf-8-sig")


def percent(value):
    """A share as the screen shows it: 0.4615 -> 46.15 (the XLSX keeps 0.4615 with a % format)."""
    if isinstance(value, float) and math.isfinite(value) or isinstance(value, int) and not isinstance(value, bool):
        return plain_number(value * 100)
    return value


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title or "Data").strip() or "Data"
    return cleaned[:31]


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(table.sheet)
    r = 1
    for i, line in enumerate(table.title):
        cell = ws.cell(row=r, column=1, value=str(line))
        cell.data_type = "s"
        if i == 0:
            cell.font = Font(bold=True, size=13)
        r += 1
    if r > 1:
        r += 1  # a blank line between the title block and the table
    header_row = r
    for c, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=r, column=c, value=column.header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(c.header), 8), 40) for c in table.columns]
    for values in table.matrix():
        r += 1
        for c, (value, column) in enumerate(zip(values, table.columns), start=1):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            cell = ws.cell(row=r, column=c)
            kind = column.kind
            if isinstance(value, bool):
                cell.value = "Ja" if value else "Nej"
            elif kind == "date" and isinstance(value, str) and _ISO_DATE.match(value):
                cell.value = dt.date.fromisoformat(value)
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, (dt.date, dt.datetime)):
                cell.value = value.date() if isinstance(value, dt.datetime) else value
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, (int, float)):
                cell.value = plain_number(value) if isinstance(value, float) else value
                cell.number_format = NUMBER_FORMATS.get(kind, "General")
            else:
                cell.value = str(value)
                cell.data_type = "s"  # never a formula
                if str(value).startswith("<"):
                    cell.alignment = Alignment(horizontal="right")
            widths[c - 1] = min(max(widths[c - 1], len(str(value)) + 2), 60)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if table.columns:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.columns))}{max(r, header_row)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


RENDERERS = {"csv": (to_csv, CSV_MIMETYPE), "xlsx": (to_xlsx, XLSX_MIMETYPE)}


def render(table: Table, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, file name, MIME type) of the table as ``csv`` or ``xlsx``."""
    fn, mimetype = RENDERERS[fmt]
    return fn(table), table.filename(fmt), mimetype


def content_disposition(filename: str) -> str:
    """An attachment header; names are ASCII by construction (codes, dates, HSA-IDs)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f'attachment; filename="{safe}"'
