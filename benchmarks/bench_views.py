"""Nationell utveckling, Regional kapacitet and Datakvalitet on the national
demo, beside a naive pandas baseline in the same run.

    .venv/bin/python benchmarks/bench_views.py [--data-dir /tmp/bench-views-var] [--delivery DIR] [--repeat 20]

Every API call and Dash callback of the three pages runs through the real
Flask app in process (authentication, the guard, JSON or the callback's
figures), with the result cache off (``LAGESBILD_CACHE_TYPE=NullCache``:
every request computes) — the server's time without the network. The floor
is ``/healthz`` in the same run. The baseline answers the same questions the
common way: every operation and every wait-time-database row in pandas
DataFrames held in memory, filtered and grouped per request (vectorised:
groupby, rolling windows; no per-group Python loops).

Goals (issue 12): every call p95 ≤ 50 ms with the cache off and ≥ 5× faster
than the baseline. ``--profile`` prints the top functions of the slowest call.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _has_summaries(data_dir: Path) -> bool:
    root = data_dir / "warehouse"
    if not (root / "CURRENT").exists():
        return False
    path = root / "snapshots" / f"{(root / 'CURRENT').read_text().strip()}.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        from data.schema import VIEW_SUMMARY_VERSION

        rows = con.execute("SELECT value FROM snapshot_info WHERE key = 'view_summaries'").fetchall()
        return bool(rows) and rows[0][0] == VIEW_SUMMARY_VERSION
    finally:
        con.close()


def prepare(data_dir: Path, delivery: Path) -> None:
    """The national demo loaded with the real CLI (again when the snapshot predates the view summaries)."""
    if _has_summaries(data_dir):
        return
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "PYTHONPATH": str(ROOT)}
    if not delivery.exists():
        log(f"genererar nationell demoleverans i {delivery} …")
        subprocess.run([sys.executable, "-m", "etl", "demo", "--out", str(delivery), "--scale", "national"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    log("läser in …")
    subprocess.run([sys.executable, "-m", "etl", "load", str(delivery)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


# ---- the naive baseline: everything in pandas, per request ---------------------------------

class Naive:
    def __init__(self, data_dir: Path):
        root = data_dir / "warehouse"
        path = root / "snapshots" / f"{(root / 'CURRENT').read_text().strip()}.duckdb"
        con = duckdb.connect(str(path), read_only=True)
        self.ops = con.execute("SELECT source, vardenhet_hsaid, region_kod, kva_grupp, operation_datum, "
                               "vantedagar, akut, patient_lan FROM operations").df()
        self.vtd = con.execute("SELECT * FROM vtd WHERE fas = 2").df()
        self.units = con.execute("SELECT * FROM units").df()
        self.rejections = con.execute("SELECT * FROM rejections").df()
        self.history = con.execute("SELECT * FROM load_history").df()
        con.close()
        self.ops["operation_datum"] = pd.to_datetime(self.ops["operation_datum"])
        self.d = {s: self.ops.loc[self.ops["source"] == s, "operation_datum"].max() for s in ("spor", "ncr")}

    @staticmethod
    def _stats(w):
        return len(w), w.quantile(0.5), w.quantile(0.9), (w <= 90).mean()

    def national(self, kva=None, source="spor", period=365):
        ops = self.ops[~self.ops["akut"] & (self.ops["source"] == source)]
        if kva:
            ops = ops[ops["kva_grupp"] == kva]
        d = self.d[source]
        months = ops[ops["operation_datum"] > d - pd.DateOffset(months=48)]
        by_month = months.groupby(months["operation_datum"].dt.to_period("M"))["vantedagar"].apply(self._stats)
        win = ops[ops["operation_datum"] > d - pd.Timedelta(days=period)]
        by_region = win.groupby("region_kod")["vantedagar"].apply(self._stats)
        v = self.vtd if not kva else self.vtd[self.vtd["kva_grupp"] == kva]
        waiting = v.groupby(["period", "region_kod"])[["vantande", "vantande_over_90", "nya", "genomforda"]].sum()
        return len(by_month), len(by_region), len(waiting)

    def capacity(self, region, kva=None, period=90):
        """The same answer as /api/v1/capacity, the common vectorised pandas way:
        per group the sums at M, clearance time over the delivered months of
        M-2..M, the growing flag, out-of-region shares per group and year, the
        chosen group's flows and series, and the units elsewhere."""
        v = self.vtd[self.vtd["region_kod"] == region]
        per = v.groupby(["kva_grupp", "period"], as_index=False)[
            ["vantande", "vantande_over_90", "nya", "genomforda"]].sum(min_count=1)
        m = self.vtd["period"].max()
        per["mean_g"] = per.groupby("kva_grupp")["genomforda"].transform(lambda s: s.rolling(3, min_periods=1).mean())
        per["netto"] = per["nya"] - per["genomforda"]
        per["netto3"] = per.groupby("kva_grupp")["netto"].transform(lambda s: s.rolling(3, min_periods=1).sum())
        now = per[per["period"] == m].copy()
        now["kotid"] = now["vantande"] / now["mean_g"].where(now["mean_g"] > 0)
        now["andel"] = (now["vantande"] - now["vantande_over_90"]) / now["vantande"].where(now["vantande"] > 0)
        now["vaxande"] = now["netto3"] > 0
        ops = self.ops[~self.ops["akut"] & self.ops["patient_lan"].notna()
                       & ((self.ops["patient_lan"] == region) | (self.ops["region_kod"] == region))]
        ops = ops.assign(ar=ops["operation_datum"].dt.year, own=ops["patient_lan"] == region,
                         here=ops["region_kod"] == region)
        shares = ops.groupby(["kva_grupp", "ar"]).apply(
            lambda g: pd.Series({"ut": (g["own"] & ~g["here"]).sum() / max(g["own"].sum(), 1),
                                 "in": (g["here"] & ~g["own"]).sum() / max(g["here"].sum(), 1)}))
        flows = alt = 0
        if kva:
            flows = len(ops[ops["kva_grupp"] == kva].groupby(["ar", "patient_lan", "region_kod"]).size())
            src = "ncr" if kva in ("CJC", "CJD", "CJE") else "spor"
            win = self.ops[~self.ops["akut"] & (self.ops["kva_grupp"] == kva)
                           & (self.ops["operation_datum"] > self.d[src] - pd.Timedelta(days=period))]
            own = win.loc[win["region_kod"] == region, "vantedagar"].median()
            units = win.groupby(["vardenhet_hsaid", "region_kod"])["vantedagar"].agg(["median", "size"]).reset_index()
            alt = int(((units["median"] < own) & (units["region_kod"] != region) & (units["size"] >= 5)).sum())
        return len(now), len(shares), flows, alt

    def quality(self):
        reasons = self.rejections.groupby("reason").size()
        last = self.ops.groupby(["source", "vardenhet_hsaid"])["operation_datum"].max()
        months = self.vtd.groupby("region_kod")["period"].unique()
        return len(reasons), len(last), len(months), len(self.history)


# ---- the app --------------------------------------------------------------------------------

def time_calls(fn, repeat: int) -> list[float]:
    fn()  # warm: connections, imports
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/bench-views-var"))
    ap.add_argument("--delivery", type=Path, default=Path("/tmp/lagesbild-bench/delivery"))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    prepare(args.data_dir, args.delivery)

    from app import create_app
    from tests import dash_calls
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings

    app = create_app(make_settings(args.data_dir, cache_type="NullCache"))
    client = logged_in_client(app, *READER)
    naive = Naive(args.data_dir)
    log(f"{len(naive.ops):,} operationer, {len(naive.vtd):,} vtd-rader".replace(",", " "))

    def get(url):
        def call():
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:300])
        return call

    def callback(output, values):
        return lambda: dash_calls.call(client, app, output, values)

    cases = [
        ("/healthz (golvet)", get("/healthz"), None),
        ("API national kva=NGB", get("/api/v1/national?kva=NGB"), lambda: naive.national("NGB")),
        ("API national source=spor", get("/api/v1/national?source=spor"), lambda: naive.national(None, "spor")),
        ("API national kva=CJC", get("/api/v1/national?kva=CJC&period=90"), lambda: naive.national("CJC", "ncr", 90)),
        ("API capacity region=07", get("/api/v1/capacity?region=07"), lambda: naive.capacity("07")),
        ("API capacity region=01&kva=NGB", get("/api/v1/capacity?region=01&kva=NGB"),
         lambda: naive.capacity("01", "NGB")),
        ("API quality", get("/api/v1/quality"), naive.quality),
        ("Dash Nationell utveckling NGB", callback("nu-trend.figure", {
            "nu-kva.value": "NGB", "nu-period.value": 365, "nu-matt.value": "median"}),
         lambda: naive.national("NGB")),
        ("Dash Nationell utveckling alla SPOR", callback("nu-trend.figure", {
            "nu-kva.value": "alla-spor", "nu-period.value": 90, "nu-matt.value": "andel_inom_90"}),
         lambda: naive.national(None, "spor", 90)),
        ("Dash Regional kapacitet 07", callback("rk-groups.children", {
            "rk-region.value": "07", "rk-kva.value": None, "rk-period.value": 90}), lambda: naive.capacity("07")),
        ("Dash Regional kapacitet 14 NGB", callback("rk-groups.children", {
            "rk-region.value": "14", "rk-kva.value": "NGB", "rk-period.value": 90}),
         lambda: naive.capacity("14", "NGB")),
        ("Dash Datakvalitet", callback("dq-sources.children", {"dq-fil.value": None}), naive.quality),
    ]
    print(f"\n{'anrop':<40}{'p50 ms':>9}{'p95 ms':>9}{'naiv p50':>10}{'naiv p95':>10}{'gånger':>8}  mål")
    slowest = (0.0, None)
    for name, fn, baseline in cases:
        t = time_calls(fn, args.repeat)
        p50, p95 = statistics.median(t), pct(t, 95)
        if baseline is None:
            print(f"{name:<40}{p50:>9.2f}{p95:>9.2f}")
            continue
        b = time_calls(baseline, max(3, args.repeat // 4))
        b50, b95 = statistics.median(b), pct(b, 95)
        factor = b50 / p50
        ok = "ok" if p95 <= 50 and factor >= 5 else "MISSAT"
        print(f"{name:<40}{p50:>9.2f}{p95:>9.2f}{b50:>10.1f}{b95:>10.1f}{factor:>8.1f}  {ok} (p95 ≤ 50, ≥ 5×)")
        if p95 > slowest[0]:
            slowest = (p95, (name, fn))
    if args.profile and slowest[1]:
        name, fn = slowest[1]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(10):
            fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(f"\nProfil av {name} (10 anrop, egen tid):\n" + out.getvalue()[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
