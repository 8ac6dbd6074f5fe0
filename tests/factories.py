"""Test data factories: a published warehouse snapshot built straight from
pandas DataFrames, independent of the ETL loader, and randomised data sets.

``build_warehouse`` derives what the loader derives (data/schema.py):
``kva_grupp`` (first three characters of ``kva_kod``), ``vantedagar``
(``operation_datum - start_datum``), ``region_kod`` (the unit's region),
``source`` (cataract groups -> ncr, the rest -> spor) and ``sources.data_date``
(= max ``operation_datum`` per source; vtd: last day of the latest period).
Rows with ``status = 'makulerad'`` are dropped, as the loader deletes them.

``random_dataset`` draws units and operations that exercise every rule of
METRICS.md: SPOR and NCR groups, acute rows, missing ASA / priority /
anaesthesia, stale units (one with its last operation exactly 42 days before D
and one 41 days before), several regions, small-n units so that suppression
triggers, and more than two years of dates.

Usage::

    ds = random_dataset(seed=1)
    build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    wh = Warehouse(data_dir / "warehouse")
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data import reference
from data.schema import DEMO_HSA_PREFIX, SCHEMA_VERSION, create_schema
from etl.derived import build_trend_summary, build_view_summaries
from etl.snapshot import SnapshotStore

UNIT_COLUMNS = ["vardenhet_hsaid", "namn", "sjukhus", "region_kod", "agarform", "ort", "lat", "lon"]
OPERATION_COLUMNS = [
    "source", "post_id", "vardenhet_hsaid", "region_kod", "kva_kod", "kva_grupp", "start_datum",
    "operation_datum", "vantedagar", "akut", "asa_klass", "bortre_tidsgrans", "anestesi", "oga",
    "patient_lan", "file_id",
]
VTD_COLUMNS = [
    "period", "vardenhet_hsaid", "region_kod", "mvo", "fas", "kva_grupp", "vantande", "vantande_over_90",
    "vantande_avvikelse", "nya", "genomforda", "genomforda_inom_90", "file_id",
]
PRIO_CATEGORIES = ["1v", "2v", "4v", "3m", "6m", "12m"]


def _as_date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def _akut(value) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, str):
        return value.strip().upper() == "J"
    return bool(value)


def prepare_operations(operations_df: pd.DataFrame, units_df: pd.DataFrame) -> pd.DataFrame:
    """The operations table as the loader would store it (derived columns added)."""
    ops = operations_df.copy()
    if "status" in ops.columns:
        ops = ops[ops["status"].fillna("").str.lower() != "makulerad"]
    if "start_datum" not in ops.columns:
        start = pd.Series([None] * len(ops), index=ops.index, dtype=object)
        for col in ("anmalan_datum", "beslut_datum"):
            if col in ops.columns:
                start = start.where(start.notna(), ops[col])
        ops["start_datum"] = start
    ops["kva_kod"] = ops["kva_kod"].str.upper()
    ops["kva_grupp"] = ops["kva_kod"].str[:3]
    if "source" not in ops.columns:
        ops["source"] = ops["kva_grupp"].map(reference.source_for_group)
    ops["start_datum"] = _as_date(ops["start_datum"])
    ops["operation_datum"] = _as_date(ops["operation_datum"])
    ops["vantedagar"] = (pd.to_datetime(ops["operation_datum"]) - pd.to_datetime(ops["start_datum"])).dt.days
    if "akut" not in ops.columns:
        ops["akut"] = False
    elif ops["akut"].dtype != bool:
        ops["akut"] = ops["akut"].map(_akut).astype(bool)
    regions = units_df.set_index("vardenhet_hsaid")["region_kod"]
    ops["region_kod"] = ops["vardenhet_hsaid"].map(regions)
    if ops["region_kod"].isna().any():
        missing = sorted(ops.loc[ops["region_kod"].isna(), "vardenhet_hsaid"].unique())[:5]
        raise ValueError(f"operations reference units missing from units_df: {missing}")
    if "post_id" not in ops.columns:
        ops["post_id"] = [f"P{i}" for i in range(len(ops))]
    ops["post_id"] = ops["post_id"].astype(str)
    for col in ("asa_klass", "bortre_tidsgrans", "anestesi", "oga", "patient_lan"):
        if col not in ops.columns:
            ops[col] = None
    ops["asa_klass"] = pd.array(ops["asa_klass"], dtype="Int64")
    ops["file_id"] = 1
    ops = ops[OPERATION_COLUMNS].sort_values(["kva_grupp", "operation_datum"], kind="stable")
    return ops.reset_index(drop=True)


def prepare_units(units_df: pd.DataFrame) -> pd.DataFrame:
    units = units_df.copy()
    for col in UNIT_COLUMNS:
        if col not in units.columns:
            units[col] = None
    units = units[UNIT_COLUMNS].copy()
    units["lat"] = pd.to_numeric(units["lat"], errors="coerce")
    units["lon"] = pd.to_numeric(units["lon"], errors="coerce")
    units["file_id"] = 0
    return units


def prepare_vtd(vtd_df: pd.DataFrame, units_df: pd.DataFrame) -> pd.DataFrame:
    vtd = vtd_df.copy()
    regions = units_df.set_index("vardenhet_hsaid")["region_kod"]
    vtd["region_kod"] = vtd["vardenhet_hsaid"].map(regions)
    for col in ("mvo", "kva_grupp", "vantande_avvikelse", "nya"):
        if col not in vtd.columns:
            vtd[col] = None
    vtd["file_id"] = 2
    return vtd[VTD_COLUMNS]


def kva_table(extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The built-in catalogue (groups and codes), with ``extra`` (kod, titel) on top."""
    rows = {}
    for kod, titel in reference.kva_groups().items():
        rows[kod] = (kod, titel, True, reference.source_for_group(kod), True)
    for kod, titel in reference.kva_codes().items():
        rows[kod] = (kod, titel, False, None, True)
    if extra is not None:
        for kod, titel in zip(extra["kod"], extra["titel"]):
            kod = str(kod).upper()
            group = len(kod) == 3
            rows[kod] = (kod, titel, group, reference.source_for_group(kod) if group else None, False)
    return pd.DataFrame(list(rows.values()), columns=["kod", "titel", "ar_grupp", "kalla", "inbyggd"])


def build_warehouse(
    data_dir: Path | str,
    units_df: pd.DataFrame,
    operations_df: pd.DataFrame,
    vtd_df: pd.DataFrame | None = None,
    *,
    kva_df: pd.DataFrame | None = None,
    demo: bool | None = None,
    trend_summary: bool = True,
) -> str:
    """Publish a warehouse snapshot under ``<data_dir>/warehouse`` and return its id.

    ``trend_summary=False`` leaves the derived summary tables empty (trend_summary,
    national_months, region_windows, flow_counts; as in
    a snapshot written before the table existed).

    ``operations_df`` needs vardenhet_hsaid, kva_kod, operation_datum and a start
    date (``start_datum`` or ``anmalan_datum``/``beslut_datum``); optional columns:
    post_id, akut (bool or J/N), asa_klass, bortre_tidsgrans, anestesi, oga,
    patient_lan, status, source. ``demo`` defaults to "any HSA-ID starts with
    DEMO_HSA_PREFIX", as the loader decides it.
    """
    store = SnapshotStore(Path(data_dir) / "warehouse")
    units = prepare_units(units_df)
    ops = prepare_operations(operations_df, units_df)
    vtd = prepare_vtd(vtd_df, units_df) if vtd_df is not None and len(vtd_df) else None
    kva = kva_table(kva_df)
    if demo is None:
        demo = bool(units["vardenhet_hsaid"].str.startswith(DEMO_HSA_PREFIX).any())
    regions = pd.DataFrame(
        [(r.kod, r.namn, r.residensstad, r.lat, r.lon) for r in reference.regions().values()],
        columns=["region_kod", "namn", "residensstad", "lat", "lon"],
    )
    now = dt.datetime.now().replace(microsecond=0)
    with store.lock():
        store.remove_stale_builds()
        sid, building = store.begin()
        con = duckdb.connect(str(building))
        try:
            create_schema(con)
            for table in ("snapshot_info", "regions", "units", "kva", "operations", "vtd", "sources",
                          "load_history", "rejections"):
                con.execute(f"DELETE FROM {table}")
            con.register("regions_df", regions)
            con.execute("INSERT INTO regions SELECT * FROM regions_df")
            con.register("units_df", units)
            con.execute(f"INSERT INTO units ({', '.join(UNIT_COLUMNS)}, file_id) SELECT * FROM units_df")
            con.register("kva_df", kva)
            con.execute("INSERT INTO kva SELECT * FROM kva_df")
            con.register("ops_df", ops)
            con.execute(
                f"INSERT INTO operations ({', '.join(OPERATION_COLUMNS)}) "
                f"SELECT {', '.join(OPERATION_COLUMNS)} FROM ops_df ORDER BY kva_grupp, operation_datum"
            )
            files = 2
            if vtd is not None:
                con.register("vtd_df", vtd)
                con.execute(f"INSERT INTO vtd ({', '.join(VTD_COLUMNS)}) SELECT * FROM vtd_df")
                files += 1
            con.execute(
                """
                INSERT INTO sources
                SELECT source, max(operation_datum), count(*), 1, ? FROM operations GROUP BY source
                """,
                [now],
            )
            if vtd is not None:
                con.execute(
                    """
                    INSERT INTO sources
                    SELECT 'vtd', last_day(strptime(max(period) || '-01', '%Y-%m-%d')::DATE), count(*), 1, ?
                    FROM vtd
                    """,
                    [now],
                )
            if trend_summary:
                build_trend_summary(con)
                build_view_summaries(con)
            con.execute("INSERT INTO sources VALUES ('vardenheter', NULL, ?, 1, ?)", [len(units), now])
            con.execute("INSERT INTO sources VALUES ('kva', NULL, ?, 0, ?)", [len(kva), now])
            history = [
                (0, "vardenheter.csv", "vardenheter", len(units)),
                (1, "spor_ncr_factory.csv", "spor", len(ops)),
            ]
            if vtd is not None:
                history.append((2, "vtd_factory.csv", "vtd", len(vtd)))
            for file_id, name, kind, count in history:
                con.execute(
                    "INSERT INTO load_history VALUES (?, ?, NULL, ?, ?, ?, ?, ?, 0, 'loaded', NULL, ?)",
                    [file_id, name, f"factory-{sid}-{file_id}", kind, now, count, count, sid],
                )
            for key, value in (("demo", "true" if demo else "false"), ("created_at", now.isoformat()),
                               ("schema_version", str(SCHEMA_VERSION)), ("files", str(files))):
                con.execute("INSERT INTO snapshot_info VALUES (?, ?)", [key, value])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        store.publish(sid, building)
    return sid


# ---------------------------------------------------------------------------
# Random data sets
# ---------------------------------------------------------------------------

TOWNS = {
    "01": [("Stockholm", 59.33, 18.07), ("Södertälje", 59.20, 17.63), ("Danderyd", 59.40, 18.04)],
    "03": [("Uppsala", 59.86, 17.64), ("Enköping", 59.64, 17.08)],
    "05": [("Linköping", 58.41, 15.62), ("Norrköping", 58.59, 16.19)],
    "12": [("Malmö", 55.60, 13.00), ("Lund", 55.70, 13.19), ("Ängelholm", 56.24, 12.86)],
    "14": [("Göteborg", 57.71, 11.97), ("Borås", 57.72, 12.94), ("Skövde", 58.39, 13.85)],
    "24": [("Umeå", 63.83, 20.26), ("Skellefteå", 64.75, 20.95)],
    "25": [("Luleå", 65.58, 22.15)],
}

SPOR_GROUPS = {"NGB": "Primär protes i knäled", "NFB": "Primär protes i höftled", "JAB": "Operation för ljumskbråck"}
NCR_GROUPS = {"CJC": "Extrakapsulär kataraktextraktion (gråstarrsoperation)",
              "CJE": "Insättning av intraokulär lins (linsbyte)"}


@dataclass
class Dataset:
    units: pd.DataFrame
    operations: pd.DataFrame
    vtd: pd.DataFrame
    kva: pd.DataFrame
    end_date: dt.date


def random_dataset(
    seed: int,
    *,
    n_units: int = 24,
    end_date: dt.date = dt.date(2026, 11, 20),
    days: int = 800,
    volume: int = 160,
    demo: bool = False,
) -> Dataset:
    """A randomised but reproducible data set (see the module docstring).

    ``volume`` is the typical number of operations per unit and group over
    ``days`` days; a few unit/group pairs get only a handful so that small-n
    suppression triggers in every window.
    """
    rng = np.random.default_rng(seed)
    prefix = DEMO_HSA_PREFIX if demo else "SE2321000016-"
    region_codes = list(TOWNS)
    units = []
    for i in range(n_units):
        region = region_codes[i % len(region_codes)]
        town, lat, lon = TOWNS[region][int(rng.integers(len(TOWNS[region])))]
        agarform = ["offentlig", "privat", "ideburen"][int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
        units.append({
            "vardenhet_hsaid": f"{prefix}E{seed % 1000:03d}{i:03d}",
            "namn": f"Testenhet {i:02d} {town}",
            "sjukhus": f"{town} sjukhus" if agarform == "offentlig" else f"Klinik {i:02d}",
            "region_kod": region,
            "agarform": agarform,
            "ort": town,
            "lat": lat + float(rng.normal(0, 0.01)),
            "lon": lon + float(rng.normal(0, 0.01)),
        })
    units_df = pd.DataFrame(units)

    groups = list(SPOR_GROUPS) + list(NCR_GROUPS)
    rows = []
    post = 0
    start_day = end_date - dt.timedelta(days=days)
    for i, unit in enumerate(units):
        hsaid = unit["vardenhet_hsaid"]
        # Stale units: 0 stops 120 days before D, 1 exactly 42 days before D (inaktuell),
        # 2 exactly 41 days before D (aktuell).
        last_day = {0: end_date - dt.timedelta(days=120), 1: end_date - dt.timedelta(days=42),
                    2: end_date - dt.timedelta(days=41)}.get(i, end_date)
        chosen = [g for g in groups if rng.random() < 0.6] or [groups[i % len(groups)]]
        if i < 3:
            chosen = ["NGB", "CJC"]  # stale units use one group of each source
        for g in chosen:
            small = rng.random() < 0.15
            n = int(rng.integers(1, 9)) if small else int(rng.poisson(volume))
            span = (last_day - start_day).days
            if small:  # recent few operations: suppression within the windows
                offsets = span - rng.integers(0, 60, size=n)
            else:
                offsets = rng.integers(0, span + 1, size=n)
            median_wait = float(rng.uniform(20, 200))
            waits = np.maximum(0, rng.lognormal(np.log(median_wait), 0.6, size=n)).astype(int)
            for k in range(n):
                op = start_day + dt.timedelta(days=int(offsets[k]))
                if k == 0:
                    op = last_day  # the unit's last day is an operation date
                post += 1
                row = {
                    "post_id": f"{g}-{post}",
                    "vardenhet_hsaid": hsaid,
                    "kva_kod": f"{g}{int(rng.integers(0, 100)):02d}",
                    "start_datum": op - dt.timedelta(days=int(waits[k])),
                    "operation_datum": op,
                    "akut": "J" if rng.random() < 0.05 else "N",
                    "patient_lan": region_codes[int(rng.integers(len(region_codes)))],
                    "status": "makulerad" if k > 0 and rng.random() < 0.01 else "",
                }
                if g in SPOR_GROUPS:
                    row["asa_klass"] = None if rng.random() < 0.1 else int(rng.choice(6, p=[.2, .35, .3, .1, .04, .01]) + 1)
                    row["bortre_tidsgrans"] = None if rng.random() < 0.1 else PRIO_CATEGORIES[int(rng.integers(6))]
                else:
                    row["anestesi"] = None if rng.random() < 0.1 else ["topikal", "lokal", "narkos"][int(rng.integers(3))]
                    row["oga"] = ["H", "V"][int(rng.integers(2))]
                rows.append(row)
    # D is end_date for both sources: one operation on that day each.
    if n_units < 5:
        raise ValueError("random_dataset needs at least 5 units")
    rows.append({"post_id": "D-spor", "vardenhet_hsaid": units[3]["vardenhet_hsaid"], "kva_kod": "NGB01",
                 "start_datum": end_date - dt.timedelta(days=77), "operation_datum": end_date, "akut": "N",
                 "asa_klass": 3, "bortre_tidsgrans": "3m", "status": ""})
    rows.append({"post_id": "D-ncr", "vardenhet_hsaid": units[4]["vardenhet_hsaid"], "kva_kod": "CJC15",
                 "start_datum": end_date - dt.timedelta(days=33), "operation_datum": end_date, "akut": "N",
                 "anestesi": "narkos", "status": ""})
    ops = pd.DataFrame(rows)
    for col in ("asa_klass", "bortre_tidsgrans", "anestesi", "oga"):
        if col not in ops.columns:
            ops[col] = None
    ops["asa_klass"] = pd.array(ops["asa_klass"], dtype="Int64")

    # Wait-time database: month-end snapshots for the last 24 months, phase 2 per group,
    # plus a phase-1 row (no group) per unit and month.
    vtd_rows = []
    end_month = pd.Period(end_date, "M")
    for unit in units:
        for m in range(24):
            period = str(end_month - m)
            for g in ("NGB", "CJC"):
                if rng.random() < 0.15:
                    continue  # months not reported
                vantande = int(rng.integers(0, 200))
                genomforda = int(rng.integers(0, 40))
                vtd_rows.append({
                    "period": period, "vardenhet_hsaid": unit["vardenhet_hsaid"],
                    "mvo": "311" if g == "NGB" else "511", "fas": 2, "kva_grupp": g,
                    "vantande": vantande, "vantande_over_90": int(rng.integers(0, vantande + 1)),
                    "vantande_avvikelse": int(rng.integers(0, 10)),
                    "nya": None if rng.random() < 0.1 else int(rng.integers(0, 50)),
                    "genomforda": genomforda, "genomforda_inom_90": int(rng.integers(0, genomforda + 1)),
                })
            vtd_rows.append({
                "period": period, "vardenhet_hsaid": unit["vardenhet_hsaid"], "mvo": "311", "fas": 1,
                "kva_grupp": None, "vantande": 50, "vantande_over_90": 5, "vantande_avvikelse": 0,
                "nya": 20, "genomforda": 10, "genomforda_inom_90": 8,
            })
    vtd = pd.DataFrame(vtd_rows)
    kva = pd.DataFrame(
        [(k, t) for k, t in {**SPOR_GROUPS, **NCR_GROUPS}.items()], columns=["kod", "titel"]
    )
    return Dataset(units_df, ops, vtd, kva, end_date)


def build_random_warehouse(data_dir: Path | str, seed: int, **kwargs) -> Dataset:
    """random_dataset(seed, **kwargs) published under data_dir; returns the data set."""
    ds = random_dataset(seed, **kwargs)
    build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    return ds
