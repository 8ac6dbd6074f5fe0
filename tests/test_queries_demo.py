"""End to end: the small demo delivery, written and loaded by the real CLIs
(`python -m etl demo`, `python -m etl load`), answers the table-view and trend
questions exactly as an independent pandas computation over the delivered CSV
files does (corrections: the last version of a post_id wins; `makulerad`
deletes; acute rows never counted)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import queries as Q
from data.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, data_dir: Path):
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test"}
    proc = subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def read_register(delivery: Path, prefix: str, start_col: str) -> pd.DataFrame:
    files = sorted(delivery.glob(f"{prefix}_*.csv"))
    frames = [pd.read_csv(f, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False) for f in files]
    df = pd.concat(frames, ignore_index=True)
    df = df.drop_duplicates("post_id", keep="last")           # a later version replaces the earlier
    df = df[df["status"].str.lower() != "makulerad"].copy()   # deleted
    df["op"] = pd.to_datetime(df["operation_datum"])
    df["wait"] = (df["op"] - pd.to_datetime(df[start_col])).dt.days
    df["grp"] = df["kva_kod"].str.upper().str[:3]
    df["acute"] = df["akut"].str.upper() == "J" if "akut" in df.columns else False  # NCR has no akut
    df["asa"] = pd.to_numeric(df.get("asa_klass", pd.Series(dtype=str)), errors="coerce")
    return df


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    delivery, data_dir = base / "delivery", base / "var"
    run_cli("demo", "--out", str(delivery), "--scale", "small", "--seed", "7", data_dir=data_dir)
    run_cli("load", str(delivery), data_dir=data_dir)
    units = pd.read_csv(delivery / "vardenheter.csv", sep=";", dtype=str, encoding="utf-8-sig")
    spor = read_register(delivery, "spor", "anmalan_datum")
    ncr = read_register(delivery, "ncr", "beslut_datum")
    for df in (spor, ncr):
        df["region"] = df["vardenhet_hsaid"].map(units.set_index("vardenhet_hsaid")["region_kod"])
    wh = Warehouse(data_dir / "warehouse")
    yield {"wh": wh, "spor": spor, "ncr": ncr}
    wh.close()


def pct(values, q):
    return float(np.percentile(np.asarray(values, dtype=float), q, method="linear"))


CASES = [("NGB", {}), ("NGB", {"asa": (3, 4)}), ("NFB", {"prio": ("3m", "6m")}), ("CJC", {}),
         ("CJC", {"narkos": True})]


@pytest.mark.parametrize("period", Q.PERIODS)
@pytest.mark.parametrize("level", Q.LEVELS)
@pytest.mark.parametrize("kva,filters", CASES)
def test_demo_table_view_matches_pandas_over_the_delivered_files(demo, kva, filters, period, level):
    reg = demo["ncr"] if kva == "CJC" else demo["spor"]
    d = reg["op"].max()
    sel = reg[(reg["grp"] == kva) & ~reg["acute"]]
    win = sel[sel["op"] > d - pd.Timedelta(days=period)]
    if filters.get("asa"):
        win = win[win["asa"].isin(filters["asa"])]
    if filters.get("prio"):
        win = win[win["bortre_tidsgrans"].isin(filters["prio"])]
    if filters.get("narkos"):
        win = win[win["anestesi"] == "narkos"]
    key = "vardenhet_hsaid" if level == "unit" else "region"
    result = Q.waits_table(demo["wh"], kva, period, level, Q.Filters(**filters))
    assert result.data_date == d.date()
    got = {r["id"]: r for r in result.records()}
    assert set(got) == set(win[key].unique())
    # No region total less its listed units' shown counts (nor the nation's less the
    # regions') gives a small count: the hidden counts of every whole sum to 0 or >= 5.
    whole = win.groupby(key)["region"].first() if level == "unit" else pd.Series("SE", index=list(got))
    sizes = win.groupby(key).size()
    for _, ids in whole.groupby(whole):
        hidden = sum(int(sizes[i]) for i in ids.index if got[i]["n"] is None)
        total = sum(int(sizes[i]) for i in ids.index)
        # (or the whole is itself small, hidden in its own answer, and all its parts with it)
        assert hidden == 0 or hidden >= 5 or hidden == total < 5, (level, ids.index.tolist())
    year = sel[(sel["op"] > d - pd.Timedelta(days=365)) & sel["asa"].notna()]
    for k, g in win.groupby(key):
        row = got[k]
        if len(g) < 5:  # small: hidden where it is made
            assert row["suppressed"] and row["n"] is None and row["median"] is None
            continue
        # withheld (secondary suppression) or the true count
        assert row["n"] == (None if row["n_suppressed"] else len(g))
        if row["n_suppressed"]:
            assert row["andel_inom_90"] is None and row["asa34_andel"] is None
            assert row["median"] == pytest.approx(pct(g["wait"], 50), rel=1e-12)
            continue
        assert row["median"] == pytest.approx(pct(g["wait"], 50), rel=1e-12)
        assert row["p90"] == pytest.approx(pct(g["wait"], 90), rel=1e-12)
        assert row["andel_inom_90"] == pytest.approx(float((g["wait"] <= 90).mean()), rel=1e-12)
        if kva != "CJC":
            asa = year[year[key] == k]
            if len(asa) >= 5:
                assert row["asa34_andel"] == pytest.approx(float(asa["asa"].isin([3, 4]).mean()), rel=1e-12)


@pytest.mark.parametrize("kva", ["NGB", "CJC"])
def test_demo_trend_matches_pandas(demo, kva):
    reg = demo["ncr"] if kva == "CJC" else demo["spor"]
    d = reg["op"].max()
    sel = reg[(reg["grp"] == kva) & ~reg["acute"]]
    months = Q.trend(demo["wh"], kva).records()
    assert len(months) == 18 and months[-1]["month"] == d.strftime("%Y-%m")
    for m in months:
        g = sel[sel["op"].dt.strftime("%Y-%m") == m["month"]]
        assert m["n"] == len(g)
        if len(g) >= 5:
            assert m["median"] == pytest.approx(pct(g["wait"], 50), rel=1e-12)
            assert m["p90"] == pytest.approx(pct(g["wait"], 90), rel=1e-12)


@pytest.mark.parametrize("kva", ["NGB", "CJC"])
def test_demo_unit_page_trends_match_pandas(demo, kva):
    """The unit page's three trends; the region's and the nation's come from the
    trend_summary the real ETL built, the unit's from its own rows."""
    reg = demo["ncr"] if kva == "CJC" else demo["spor"]
    sel = reg[(reg["grp"] == kva) & ~reg["acute"]]
    assert Q.has_trend_summary(demo["wh"])
    unit = sel["vardenhet_hsaid"].value_counts().index[0]
    region = sel[sel["vardenhet_hsaid"] == unit]["region"].iloc[0]
    own, regional, nation = Q.unit_trends(demo["wh"], kva, unit, region)
    for result, scope in ((own, sel[sel["vardenhet_hsaid"] == unit]), (regional, sel[sel["region"] == region]),
                          (nation, sel)):
        months = result.records()
        assert len(months) == 18
        for m in months:
            g = scope[scope["op"].dt.strftime("%Y-%m") == m["month"]]
            assert m["n"] == (None if 0 < len(g) < 5 else len(g)), (result.scope, m["month"])
            if len(g) >= 5:
                assert m["median"] == pytest.approx(pct(g["wait"], 50), rel=1e-12)
                assert m["p90"] == pytest.approx(pct(g["wait"], 90), rel=1e-12)
                assert m["andel_inom_90"] == pytest.approx(float((g["wait"] <= 90).mean()), rel=1e-12)
            else:
                assert m["median"] is None and m["suppressed"]


def test_demo_is_labelled_and_stale_units_flagged(demo):
    assert Q.meta(demo["wh"])["demo"] is True
    spor = demo["spor"]
    d = spor["op"].max()
    latest = spor.groupby("vardenhet_hsaid")["op"].max()
    rows = Q.waits_table(demo["wh"], "NGB", 365).records()
    for row in rows:
        assert row["inaktuell"] == bool(latest[row["id"]] <= d - pd.Timedelta(days=42))
