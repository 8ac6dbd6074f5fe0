"""The naive baseline for benchmarks/bench_app.py: the common Dash pattern.

One pandas DataFrame of every operation (joined with the unit catalogue) is
held in memory by each worker; the table-view callback filters and groups it
per request. Same inputs, same statistics (METRICS.md: pandas' default
quantile is linear interpolation, as percentile_cont), same rows out as the
real app's table callback, and the same kind of page (controls + dash-ag-grid).

    LAGESBILD_DATA_DIR=... gunicorn --bind 127.0.0.1:8060 "benchmarks.naive_app:create_app()"

Not part of the product; only the benchmark starts it.
"""
from __future__ import annotations

import os
from pathlib import Path

import dash
import dash_ag_grid as dag
import duckdb
import pandas as pd
from dash import Input, Output, dcc, html

NCR_GROUPS = {"CJC", "CJD", "CJE"}


def load_frame(data_dir: Path) -> pd.DataFrame:
    """Every operation with its unit's name, ownership and region: the usual 'load it all' start."""
    root = data_dir / "warehouse"
    sid = (root / "CURRENT").read_text().strip()
    path = root / "snapshots" / f"{sid}.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = con.execute(
            """
            SELECT o.*, u.namn, u.agarform, u.ort, u.lat, u.lon
            FROM operations o LEFT JOIN units u USING (vardenhet_hsaid)
            """
        ).df()
    finally:
        con.close()
    df["operation_datum"] = pd.to_datetime(df["operation_datum"])
    return df


def table_rows(df: pd.DataFrame, data_dates: dict, kva: str, period: int, level: str = "unit",
               asa=None, prio=None, narkos: bool = False, suppress_below: int = 5) -> list[dict]:
    """Filter and group the in-memory frame: the per-callback work of the common pattern."""
    source = "ncr" if kva in NCR_GROUPS else "spor"
    d = data_dates[source]
    lo = d - pd.Timedelta(days=int(period))
    counted = df[(df["source"] == source) & (~df["akut"])]
    group = counted[counted["kva_grupp"] == kva]
    sel = group[(group["operation_datum"] > lo) & (group["operation_datum"] <= d)]
    if asa:
        sel = sel[sel["asa_klass"].isin(asa)]
    if prio:
        sel = sel[sel["bortre_tidsgrans"].isin(prio)]
    if narkos:
        sel = sel[sel["anestesi"] == "narkos"]
    key = "vardenhet_hsaid" if level == "unit" else "region_kod"
    g = sel.groupby(key)["vantedagar"]
    stats = pd.DataFrame({
        "n": g.count(), "median": g.median(), "p90": g.quantile(0.9),
        "andel_inom_90": g.apply(lambda s: (s <= 90).mean()),
    })
    last365 = group[(group["operation_datum"] > d - pd.Timedelta(days=365)) & (group["operation_datum"] <= d)
                    & group["asa_klass"].notna()]
    a = last365.groupby(key)["asa_klass"]
    stats["asa34_n"] = a.count()
    stats["asa34_andel"] = a.apply(lambda s: s.isin([3, 4]).mean())
    src_ops = df[(df["source"] == source) & (df["operation_datum"] <= d)]
    last = src_ops.groupby("vardenhet_hsaid")["operation_datum"].max()
    stale_units = set(last[last <= d - pd.Timedelta(days=42)].index)
    info = df.drop_duplicates("vardenhet_hsaid").set_index("vardenhet_hsaid")
    rows = []
    for k, r in stats.iterrows():
        suppressed = r["n"] < suppress_below
        row = {"id": k, "n": int(r["n"]), "suppressed": bool(suppressed)}
        for c in ("median", "p90", "andel_inom_90"):
            row[c] = None if suppressed else float(r[c])
        ok = not suppressed and source == "spor" and (r["asa34_n"] or 0) >= suppress_below
        row["asa34_andel"] = float(r["asa34_andel"]) if ok else None
        if level == "unit":
            row.update(namn=info.at[k, "namn"], region_kod=info.at[k, "region_kod"],
                       agarform=info.at[k, "agarform"], inaktuell=k in stale_units)
        else:
            row.update(namn=k, region_kod=k)
        rows.append(row)
    rows.sort(key=lambda x: (x["median"] is None, x["median"] or 0, -x["n"]))
    return rows


def create_app():
    data_dir = Path(os.environ["LAGESBILD_DATA_DIR"])
    df = load_frame(data_dir)
    data_dates = {s: df.loc[df["source"] == s, "operation_datum"].max() for s in ("spor", "ncr")}
    app = dash.Dash(__name__, serve_locally=True, update_title=None)
    app.layout = html.Div([
        dcc.Location(id="url"),
        dcc.Dropdown(id="kva", options=[{"label": g, "value": g} for g in sorted(df["kva_grupp"].unique())],
                     value="NGB"),
        dcc.RadioItems(id="period", options=[30, 90, 365], value=90),
        dcc.RadioItems(id="level", options=["unit", "region"], value="unit"),
        dcc.Checklist(id="asa", options=[1, 2, 3, 4, 5, 6], value=[]),
        dcc.Checklist(id="prio", options=["1v", "2v", "4v", "3m", "6m", "12m"], value=[]),
        dcc.Checklist(id="narkos", options=[1], value=[]),
        dag.AgGrid(id="grid", columnDefs=[{"field": f} for f in
                                          ("namn", "region_kod", "agarform", "n", "median", "p90",
                                           "andel_inom_90", "asa34_andel", "inaktuell")], rowData=[]),
    ])

    @app.callback(Output("grid", "rowData"), Input("kva", "value"), Input("period", "value"),
                  Input("level", "value"), Input("asa", "value"), Input("prio", "value"),
                  Input("narkos", "value"))
    def update(kva, period, level, asa, prio, narkos):
        if not kva:
            return []
        return table_rows(df, data_dates, kva, period, level, asa or None, prio or None, bool(narkos))

    app.server.config["NAIVE_ROWS"] = len(df)
    return app.server


if __name__ == "__main__":  # pragma: no cover
    create_app().run(port=8060)
