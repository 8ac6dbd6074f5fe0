"""The table view (Jämför enheter, /api/v1/waits): waits per unit or region.

Every function takes the :class:`~data.warehouse.Warehouse` first and plain,
hashable arguments, computes its statistics in DuckDB (``quantile_cont``,
i.e. ``percentile_cont`` with linear interpolation) and returns a small
dataclass or DataFrame. The Dash callbacks, the /api/v1 endpoints and the
CSV/XLSX exports all call these functions, so the screen, the JSON and the
files can never disagree. Results are cached per snapshot (``@cached``).

Definitions: ../shared/spec/METRICS.md. Choices METRICS.md leaves open,
stated here once:

- **Counted operation**: a stored (not deleted), non-acute operation of the
  group's source (cataract groups: NCR, the rest: SPOR) whose
  ``operation_datum`` lies in the window ``(D - N, D]``, D = the source's data
  date (``sources.data_date``), and which passes the filters.
- **Rows listed** by :func:`waits_table`: the units (or regions) with at least
  one counted operation of the group in the window *after* filters. A unit
  with no counted operation has nothing to show and is not listed.
- **Suppression** (data/suppression.py, made here, not in the views): when
  ``n < suppress_below`` the row's statistics (``median``, ``p90``,
  ``andel_inom_90``, ``asa34_andel``) are ``None`` and ``suppressed`` is True;
  an ``n`` of 1 to ``suppress_below - 1`` is ``None`` too (the screen shows
  "<5"). **Secondary suppression**: a region's n (region level) less its
  listed units' shown n, or the nation's less the regions', must not give a
  small count, so where the hidden counts of a region's units (or of the
  regions) sum to 1..k-1 the next-smallest rows also lose their ``n`` and
  their shares (``n_suppressed`` True; their median and p90 stay shown).
- **asa34_andel** (SPOR only) describes the unit (or region), not the
  selection: it uses the unit's counted operations of the group in the last
  365 days before D *whatever the window* and *ignoring the ASA and priority
  filters* (an ASA filter would make the share trivially 0 or 1), among those
  with an ASA class recorded. It is ``None`` when the row is suppressed or when
  fewer than ``suppress_below`` operations have an ASA class. NCR: ``None``.
- **inaktuell**: a unit with no stored operation of the source (any group,
  acute included — freshness is about reporting) in ``(D - 42, D]``; its last
  operation exactly 42 days before D makes it inaktuell, 41 days not. Region
  level: the number of listed units of the region that are inaktuella
  (``0`` when none). ``senaste_operation``: the unit's latest operation date
  in the source (region: the latest of its listed units).
- **Filters** that do not fit the group's source (ASA or priority for an NCR
  group, general anaesthesia for a SPOR group) raise
  :class:`FilterNotApplicable`; nothing is ignored silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.context import cached
from data.params import NO_FILTERS, Filters
from data.questions.lookups import (FrameFromRecords, QueryError, check_period, data_date, group_titles, is_demo,
                                    latest_operations, normalise_kva, per_snapshot, records, region_table,
                                    source_for, unit_catalogue)
from data.schema import WITHIN_DAYS
from data.suppression import hidden_parts
from data.tables import Column, Table, title_block
from data.vocabulary import (ASA34_DAYS, NATION_NAME, QUERY_LEVELS, STALE_DAYS, agarform_label, filters_text,
                             source_line)
from data.warehouse import Warehouse

STAT_COLUMNS = ["n", "median", "p90", "andel_inom_90", "asa34_andel"]
UNIT_ROW_COLUMNS = [
    "id", "namn", "sjukhus", "ort", "region_kod", "region_namn", "agarform", "lat", "lon",
    "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed", "n_suppressed", "inaktuell",
    "senaste_operation",
]
REGION_ROW_COLUMNS = [
    "id", "namn", "region_kod", "region_namn", "lat", "lon", "antal_enheter",
    "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed", "n_suppressed", "inaktuell",
    "senaste_operation",
]


@dataclass(frozen=True)
class WaitsResult:
    kva: str
    titel: str | None
    source: str
    data_date: dt.date | None
    period: int
    level: str
    rows: pd.DataFrame = FrameFromRecords()  # pandas view of row_records (built lazily)
    demo: bool = False
    filters: Filters = NO_FILTERS
    suppress_below: int = 5
    stale_days: int = STALE_DAYS
    # The rows as JSON-safe dicts, straight from the query (what the screen and the API use).
    row_records: tuple = field(default=(), repr=False, compare=False)

    def _build_frame(self) -> pd.DataFrame:
        if not self.row_records:
            return _empty_rows(self.level)
        return _frame(list(self.row_records), UNIT_ROW_COLUMNS if self.level == "unit" else REGION_ROW_COLUMNS)

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        """(first day, last day) of the window, both inclusive."""
        if self.data_date is None:
            return None
        return self.data_date - dt.timedelta(days=self.period - 1), self.data_date

    def records(self) -> list[dict]:
        """The rows as JSON-safe dicts (None for a missing value)."""
        if self.row_records:
            return [dict(r) for r in self.row_records]
        return records(self.rows)


def _empty_rows(level: str) -> pd.DataFrame:
    cols = UNIT_ROW_COLUMNS if level == "unit" else REGION_ROW_COLUMNS
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in STAT_COLUMNS[1:] else "object") for c in cols})


def _waits_sql(level: str, fsql: str) -> str:
    """One scan of the group's counted operations in the window (after the
    filters), grouped by unit, region or nation: n, median and p90
    (``quantile_cont``), share within 90 days. The scan is of the window only:
    the operations table is sorted by (kva_grupp, operation_datum), so DuckDB's
    zone maps skip every other row group."""
    key = {"unit": "vardenhet_hsaid", "region": "region_kod", "nation": "'SE'"}[level]
    extra = "any_value(region_kod) AS op_region" if level == "unit" else "list(DISTINCT vardenhet_hsaid) AS units"
    return f"""
        SELECT {key} AS id, count(*) AS n,
               quantile_cont(vantedagar, [0.5, 0.9]) AS q,
               avg(CASE WHEN vantedagar <= {WITHIN_DAYS} THEN 1.0 ELSE 0.0 END) AS a90,
               {extra}
        FROM operations
        WHERE kva_grupp = $kva AND source = $src AND NOT akut
          AND operation_datum > $lo AND operation_datum <= $d{fsql}
        GROUP BY 1
    """


@per_snapshot
def asa34_counts(wh: Warehouse) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(level, kva_grupp, id) -> (counted SPOR operations with an ASA class, of
    which ASA 3 or 4) in the last 365 days before SPOR's D; level "unit" (id =
    HSA-ID), "region" (id = region code) or "nation" (id "SE").

    The ASA 3–4 share describes a unit (or region) whatever the table's window
    and filters, so it is one small table per snapshot (one scan of SPOR's last
    365 days, ~30 ms at national scale) instead of a 365-day scan in every
    table query."""
    d = data_date(wh, "spor")
    if d is None:
        return {}
    counts: dict[tuple[str, str, str], list[int]] = {}
    for kva, unit, region, n_asa, n34 in wh.rows(
        """
        SELECT kva_grupp, vardenhet_hsaid, region_kod, count(asa_klass),
               count(*) FILTER (WHERE asa_klass IN (3, 4))
        FROM operations
        WHERE source = 'spor' AND NOT akut AND operation_datum > $lo AND operation_datum <= $d
        GROUP BY ALL
        """,
        {"lo": d - dt.timedelta(days=ASA34_DAYS), "d": d},
    ):
        for key in (("unit", kva, unit), ("region", kva, region), ("nation", kva, "SE")):
            c = counts.setdefault(key, [0, 0])
            c[0] += n_asa
            c[1] += n34
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _sort_key(row: dict):
    """By median with suppressed rows last and, among units, inaktuella after
    current ones; then shown n descending, then name: the order never ranks
    hidden counts. The grid's comparator (assets/dashAgGridFunctions.js) keeps
    the same order in both directions."""
    median = row["median"]
    return (median is None, row.get("inaktuell") is True, median if median is not None else 0.0,
            -(row["n"] or 0), row["namn"] or "")


def _hide_small_counts(stats: list[dict], level: str, k: int) -> None:
    """Primary and secondary suppression of the rows' counts, in place
    (data/suppression.py). The parts of a whole that another answer shows are
    suppressed together: the regions of the nation (region level); the units
    of each region (unit level), where a region hidden in the region answer
    keeps at least k of its units' operations hidden as well, so that the
    units cannot add up to it. Both levels derive the regions' hiding from
    the same counts, so the unit and region answers agree."""
    if level == "unit":
        wholes: dict[str, list[dict]] = {}
        for row in stats:
            wholes.setdefault(row.get("op_region"), []).append(row)
        ids = sorted(wholes, key=str)
        region_hidden = dict(zip(ids, hidden_parts([sum(r["n"] for r in wholes[i]) for i in ids], k)))
    else:
        wholes, region_hidden = {"SE": stats}, {}
    for whole, rows in wholes.items():
        rows.sort(key=lambda r: str(r["id"]))  # ties by id: every server hides the same rows
        hidden = hidden_parts([r["n"] for r in rows], k, whole_hidden=region_hidden.get(whole, False))
        for row, hide in zip(rows, hidden):
            row["n_suppressed"] = hide and not row["suppressed"]
            if hide:
                row["n"] = None
            if row["n_suppressed"]:  # a share's denominator is the count: hidden with it
                row["andel_inom_90"] = None
                row["asa34_andel"] = None


_FLOAT_COLUMNS = ("median", "p90", "andel_inom_90", "asa34_andel", "lat", "lon")


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """The rows as a DataFrame: statistics float64 (NaN = suppressed / missing),
    n nullable Int64, other counts int64, flags bool, text as pandas infers it. Built from numpy arrays
    (constructing Series one by one costs several ms in pandas 3)."""
    data = {}
    for c in columns:
        values = [r[c] for r in rows]
        if c in _FLOAT_COLUMNS:
            data[c] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif c == "n":  # None where hidden (small, or withheld to protect another row)
            data[c] = pd.array(values, dtype="Int64")
        elif c == "antal_enheter" or (c == "inaktuell" and columns is not UNIT_ROW_COLUMNS):
            data[c] = np.array(values, dtype="int64")
        elif c in ("suppressed", "n_suppressed", "inaktuell"):
            data[c] = np.array(values, dtype=bool)
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            data[c] = array
    return pd.DataFrame(data, columns=columns, copy=False)


@cached
def waits_table(
    wh: Warehouse,
    kva: str,
    period: int,
    level: str = "unit",
    filters: Filters = NO_FILTERS,
    suppress_below: int = 5,
    stale_days: int = STALE_DAYS,
) -> WaitsResult:
    """The table view: n, median, p90, share within 90 days, ASA 3–4 share and
    freshness per unit (or region) for a KVÅ group, window and filters.

    ``level="nation"`` gives one row (id ``SE``, "Hela riket") pooling every
    operation, for a national reference line; its ``inaktuell`` counts the
    inaktuella units among those listed, like a region's.

    Rows are ordered by median wait (suppressed rows last), then n descending,
    then name. The statistics and the suppression are one SQL statement over
    the sorted operations table; unit and region names are joined from small
    per-snapshot look-ups."""
    kva = normalise_kva(kva)
    period = check_period(period)
    if level not in QUERY_LEVELS:
        raise QueryError(f"level must be 'unit', 'region' or 'nation', got {level!r}")
    filters = filters or NO_FILTERS
    source = source_for(kva)
    filters.check(kva, source)
    d = data_date(wh, source)
    base = dict(kva=kva, titel=group_titles(wh).get(kva), source=source, data_date=d, period=period,
                level=level, demo=is_demo(wh), filters=filters, suppress_below=suppress_below,
                stale_days=stale_days)
    if d is None:
        return WaitsResult(rows=_empty_rows(level), **base)

    fsql, fparams = filters.sql()
    params = {"kva": kva, "src": source, "d": d, "lo": d - dt.timedelta(days=period), **fparams}
    k = int(suppress_below)
    asa = asa34_counts(wh) if source == "spor" else {}
    stats = []
    for row_id, n, q, a90, extra in wh.rows(_waits_sql(level, fsql), params):
        shown = n >= k  # suppression: no statistics below k operations
        n_asa, n34 = asa.get((level, kva, row_id), (0, 0))
        stats.append({
            "id": row_id, "n": n, "suppressed": not shown,
            "median": q[0] if shown else None, "p90": q[1] if shown else None,
            "andel_inom_90": a90 if shown else None,
            # share of ASA 3-4 among those with an ASA class, on its own n (>= k too)
            "asa34_andel": n34 / n_asa if shown and n_asa >= max(k, 1) else None,
            ("op_region" if level == "unit" else "units"): extra,
        })
    _hide_small_counts(stats, level, k)
    # Freshness: each unit's latest operation of the source (one scan per snapshot).
    latest = latest_operations(wh, source)
    stale_before = (d - dt.timedelta(days=stale_days)).isoformat()  # this day and earlier: too old
    regions = region_table(wh)
    if level == "unit":
        catalogue = unit_catalogue(wh)
        for row in stats:
            unit = catalogue.get(row["id"], {})
            row.update(unit)
            row["namn"] = unit.get("namn") or row["id"]
            row["region_kod"] = unit.get("region_kod") or row.pop("op_region")
            row["region_namn"] = regions.get(row["region_kod"], (None, None, None))[0]
            row["senaste_operation"] = latest.get(row["id"])
            row["inaktuell"] = not (row["senaste_operation"] or "") > stale_before
    else:
        for row in stats:
            units = row.pop("units")
            namn, lat, lon = regions.get(row["id"], (None, None, None))
            if level == "nation":
                namn, lat, lon = NATION_NAME, None, None
            row.update(namn=namn or row["id"], region_kod=row["id"] if level == "region" else None,
                       region_namn=namn if level == "region" else None, lat=lat, lon=lon,
                       antal_enheter=len(units))
            row["inaktuell"] = sum(1 for u in units if not latest.get(u, "") > stale_before)
            row["senaste_operation"] = max((latest.get(u, "") for u in units), default="") or None
    stats.sort(key=_sort_key)
    cols = UNIT_ROW_COLUMNS if level == "unit" else REGION_ROW_COLUMNS
    return WaitsResult(row_records=tuple({c: r[c] for c in cols} for r in stats), **base)



# ---------------------------------------------------------------------------
# The answer as JSON (the API) and as a table (the grid, CSV, XLSX)
# ---------------------------------------------------------------------------

#: JSON keys per row, the documented ones first (PRODUCT.md "HTTP"), then context.
UNIT_KEYS = ("id", "namn", "region_kod", "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed",
             "n_suppressed", "region_namn", "sjukhus", "ort", "agarform", "lat", "lon", "inaktuell", "senaste_operation")
REGION_KEYS = ("id", "namn", "region_kod", "n", "median", "p90", "andel_inom_90", "asa34_andel", "suppressed",
               "n_suppressed", "region_namn", "lat", "lon", "antal_enheter", "inaktuell", "senaste_operation")


def json_rows(result: WaitsResult) -> list[dict]:
    """The rows for JSON, straight from the query's records: the statistics
    unrounded, ``null`` when suppressed or withheld (the question has already
    hidden every small count: the API reveals no more than the screen)."""
    keys = UNIT_KEYS if result.level == "unit" else REGION_KEYS
    return [{key: r[key] for key in keys} for r in result.row_records]


def to_json(result: WaitsResult) -> dict:
    return {
        "kva": result.kva,
        "source": result.source,
        "data_date": result.data_date.isoformat() if result.data_date else None,
        "period": result.period,
        "rows": json_rows(result),
        "titel": result.titel,
        "level": result.level,
        "filter": result.filters.as_json(),
        "demo": result.demo,
        "suppress_below": result.suppress_below,
    }


def _freshness(row) -> str:
    return "inaktuell" if row.get("inaktuell") else "aktuell"


def columns(source: str | None, level: str, *, with_distance: bool = False,
            with_expected: bool = False) -> tuple[Column, ...]:
    """The table's columns for a group's source and a level. The grid shows
    those with ``screen``; the files hold them all."""
    stats = [
        Column("n", "Antal operationer", "count"),
        Column("median", "Median (dagar)", "days"),
        Column("p90", "90:e percentil (dagar)", "days"),
        Column("andel_inom_90", "Andel inom 90 dagar", "share"),
    ]
    if source == "spor":
        stats.append(Column("asa34_andel", "Andel ASA 3–4 (365 dagar)", "share"))
    if level == "unit":
        cols = [
            Column("namn", "Enhet"),
            Column("sjukhus", "Sjukhus", screen=False),
            Column("ort", "Ort", screen=False),
            Column("region_namn", "Region"),
            Column("agarform", "Ägarform", value=lambda r: agarform_label(r.get("agarform"))),
            Column("id", "HSA-id", screen=False),
            *stats,
            Column("aktualitet", "Aktualitet", value=_freshness),
            Column("senaste_operation", "Senaste operation", "date", screen=False),
        ]
    else:
        cols = [
            Column("namn", "Region"),
            Column("region_kod", "Länskod", screen=False),
            Column("antal_enheter", "Antal enheter", "int"),
            *stats,
            Column("inaktuell", "Inaktuella enheter", "int"),
            Column("senaste_operation", "Senaste operation", "date", screen=False),
        ]
    if with_expected and level == "unit":
        cols.append(Column("forvantad_kob_dagar", "Förväntad väntetid, köbaserad (dagar)", "days"))
    if with_distance:
        cols.append(Column("avstand_km", "Avstånd (km)", "km"))
    return tuple(cols)


LEVEL_IN_NAMES = {"unit": "enheter", "region": "regioner", "nation": "riket"}


def filters_in_name(filters) -> str:
    """The filters as part of a file name (ASCII): "_asa-3-4_prio-3m-6m_narkos"."""
    parts = []
    if filters.asa:
        parts.append("asa-" + "-".join(str(a) for a in filters.asa))
    if filters.prio:
        parts.append("prio-" + "-".join(filters.prio))
    if filters.narkos:
        parts.append("narkos")
    return "".join(f"_{p}" for p in parts)


def file_stem(result: WaitsResult, home: str | None = None) -> str:
    """ "vantetider_NGB_90-dagar_enheter_asa-3_2026-12-03" (+ "_fran-Vaxjo", "_DEMO"):
    two files of different views never share a name."""
    stamp = result.data_date.isoformat() if result.data_date else "utan-data"
    where = f"_fran-{ascii_name(home)}" if home else ""
    demo = "_DEMO" if result.demo else ""
    return (f"vantetider_{result.kva}_{result.period}-dagar_{LEVEL_IN_NAMES[result.level]}"
            f"{filters_in_name(result.filters)}{where}_{stamp}{demo}")


def ascii_name(text: str) -> str:
    from common.text import fold

    return "-".join(w for w in "".join(c if c.isalnum() else " " for c in fold(text)).split())[:40]


def table(result: WaitsResult, rows=None, *, distances: dict[str, float] | None = None,
          home: str | None = None, expected: tuple[str | None, dict] | None = None) -> Table:
    """The answer as a table. ``rows``: the records to write, in order (the
    screen passes those its grid shows, sorted and filtered; default all, in
    the query's order); ``distances`` (HSA-ID -> km) from ``home`` add the
    distance column."""
    rows = result.row_records if rows is None else rows
    if distances is not None:
        rows = [{**r, "avstand_km": distances.get(r["id"])} for r in rows]
    extra = [f"Avstånd från: {home}"] if distances is not None and home else []
    with_expected = expected is not None and result.level == "unit"
    if with_expected:
        month, by_unit = expected
        rows = [{**r, "forvantad_kob_dagar": by_unit.get(r["id"])} for r in rows]
        extra.append("Förväntad väntetid, köbaserad: väntande vid månadsskiftet / genomsnittligt antal genomförda "
                     f"per månad de tre senaste månaderna × 30,44 (väntetidsdatabasen, månad {month or '–'})")
    level = ("enheter" if result.level == "unit" else "regioner (alla enheters operationer sammanslagna)")
    title = title_block(
        kva=result.kva, titel=result.titel, source_text=source_line(result.source, result.data_date, result.period),
        scope_text=f"Nivå: {level}", filters_text=filters_text(result.filters),
        suppress_below=result.suppress_below, demo=result.demo,
        extra=extra,
    )
    return Table(columns=columns(result.source, result.level, with_distance=distances is not None,
                                 with_expected=with_expected), rows=rows,
                 title=title, file_stem=file_stem(result, home if distances is not None else None),
                 sheet=f"{result.kva} {result.period} dagar",
                 suppress_below=result.suppress_below)
