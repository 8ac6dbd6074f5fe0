"""Swedish number, share and date formats for everything a user reads.

Pure functions, no Dash: "1 234", "12 %", "12,5 %", "<5", ISO dates. The
screen rounds days to whole days and shares to whole percent (METRICS.md);
exports and the API keep the unrounded values.

Rounding is "half away from zero" (97,5 dagar -> 98), the rounding people
expect, not Python's banker's rounding.
"""
from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pandas as pd

#: Shown where a value is missing (no operations, filter leaves none, ...).
MISSING = "–"
#: The thousands separator on screen: an ordinary space, as in "1 234".
THOUSANDS = " "
DECIMAL = ","

MONTHS_SV = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
             "oktober", "november", "december"]


def is_missing(value) -> bool:
    """None, NaN, pandas NA/NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def round_half_up(value: float, decimals: int = 0) -> int | float:
    """Round half away from zero: 97.5 -> 98, 0.285 * 100 -> 29 (float noise removed first)."""
    scaled = round(float(value) * 10 ** decimals, 9)
    whole = math.floor(abs(scaled) + 0.5)
    return math.copysign(whole, scaled) / 10 ** decimals if decimals else int(math.copysign(whole, scaled))


def fmt_number(value, decimals: int = 0) -> str:
    """1234.5 -> "1 235" (decimals=0) or "1 234,5" (decimals=1); missing -> "–"."""
    if value is None or is_missing(value):
        return MISSING
    rounded = round_half_up(value, decimals)
    if not rounded:
        rounded = abs(rounded)  # no "-0" / "-0,0"
    # Python's "," grouping, then the Swedish separators ("1,234.5" -> "1 234,5").
    text = f"{rounded:,.{decimals}f}" if decimals else f"{rounded:,d}"
    return text.replace(",", THOUSANDS).replace(".", DECIMAL)


def fmt_int(value) -> str:
    """1234 -> "1 234"."""
    return fmt_number(value, 0)


def fmt_days(value) -> str:
    """A wait in days, rounded to whole days: 97.5 -> "98"."""
    return fmt_number(value, 0)


def fmt_share(value, decimals: int = 0) -> str:
    """A share 0..1 as percent: 0.12 -> "12 %", 0.125 (decimals=1) -> "12,5 %"."""
    if is_missing(value):
        return MISSING
    return f"{fmt_number(float(value) * 100, decimals)} %"


def fmt_km(value) -> str:
    """A distance: 1234.4 -> "1 234 km"."""
    if is_missing(value):
        return MISSING
    return f"{fmt_number(value, 0)} km"


def fmt_n(n, suppressed: bool = False, suppress_below: int = 5) -> str:
    """The number of operations; "<5" when the cell is suppressed (n < 5)."""
    if suppressed or (not is_missing(n) and int(n) < suppress_below and int(n) > 0):
        return f"<{suppress_below}"
    if is_missing(n):
        return MISSING
    return fmt_int(n)


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def fmt_local_time(value, *, seconds: bool = True) -> str:
    """A time stored in UTC (a datetime or an ISO string; no offset = UTC) as
    Swedish local time, "2026-12-03 09:00:22" (``seconds=False``: "… 09:00")."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return str(value)
    at = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_date(value) -> str:
    """ISO date "2026-11-20"; missing -> "–"."""
    if is_missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp
        return value.date().isoformat()
    return str(value)[:10]


def fmt_month(value: str) -> str:
    """ "2026-11" -> "november 2026"."""
    year, month = str(value)[:7].split("-")
    return f"{MONTHS_SV[int(month) - 1]} {year}"


def data_date_text(value) -> str:
    """ "t.o.m. 2026-11-20" (data date D of a source)."""
    if is_missing(value):
        return "inga data"
    return f"t.o.m. {fmt_date(value)}"


def period_label(days: int) -> str:
    return f"senaste {days} dagarna"
