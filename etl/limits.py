"""The ETL's bounds and plausibility limits, from LAGESBILD_ETL_* settings
(read at call time, so a test or a run can set them), with sane defaults.
An unreadable value falls back to the default."""
from __future__ import annotations

import datetime as dt
import os


def setting_int(name: str, default: int) -> int:
    raw = (os.environ.get(name) or "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


def setting_date(name: str, default: str) -> dt.date:
    raw = (os.environ.get(name) or "").strip() or default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return dt.date.fromisoformat(default)


def max_file_bytes() -> int:
    """LAGESBILD_ETL_MAX_FILE_MB (2 000): a bigger file is refused before it is read."""
    return setting_int("LAGESBILD_ETL_MAX_FILE_MB", 2000) * 1_000_000


def max_xlsx_unpacked() -> int:
    """LAGESBILD_ETL_MAX_XLSX_MB (200): what an XLSX may unpack to (an archive bomb
    of 1,4 MB can unpack to gigabytes)."""
    return setting_int("LAGESBILD_ETL_MAX_XLSX_MB", 200) * 1_000_000


def max_rows() -> int:
    """LAGESBILD_ETL_MAX_ROWS (20 000 000 rows a file)."""
    return setting_int("LAGESBILD_ETL_MAX_ROWS", 20_000_000)


def max_cell_chars() -> int:
    """LAGESBILD_ETL_MAX_CELL (1 000 characters a value)."""
    return setting_int("LAGESBILD_ETL_MAX_CELL", 1000)


def date_floor() -> dt.date:
    """LAGESBILD_ETL_DATE_FLOOR (1990-01-01): earlier dates are not plausible."""
    return setting_date("LAGESBILD_ETL_DATE_FLOOR", "1990-01-01")


def max_wait_days() -> int:
    """LAGESBILD_ETL_MAX_WAIT_DAYS (3 653, 10 years): longer waits are data errors."""
    return setting_int("LAGESBILD_ETL_MAX_WAIT_DAYS", 3653)
