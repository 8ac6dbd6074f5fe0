"""/api/v1 through HTTP as a client sees it: national demo, one gunicorn
worker (deploy/gunicorn.conf.py), proxy mode with a SITHS client certificate
in X-SSL-Client-Cert, keep-alive connections on loopback.

    .venv/bin/python benchmarks/bench_api.py [--delivery DIR] [--requests 300] [--profile]

Measured in one run, each as p50 / p95 / p99 of the round trip in ms:

- ``/healthz`` (the floor: no authentication, no data);
- ``/api/v1/meta``;
- ``/api/v1/waits`` JSON with the result cache off (``NullCache``: every
  request computes) over 12 KVÅ groups × 3 windows × 2 levels, with and
  without filters;
- the same NGB query repeated with the result cache on, as shipped
  (filesystem cache);
- ``/api/v1/trend`` JSON (cache off) for the nation, regions and units;
- ``/api/v1/waits`` as CSV and XLSX (cache off).

Goals (issue 8): waits p95 ≤ 15 ms cache off and ≤ 3 ms for a repeated
cached query; meta ≤ 2 ms. ``--profile`` adds a cProfile of 200 in-process
waits requests (cache off, SITHS header), the top functions by own time.

The client is wrk on one connection (``--client wrk``, the default when wrk
is installed: a few µs of client time per request) or Python's requests with
keep-alive (``--client requests``: adds ~0,5 ms of client time to every
figure, the floor's included). Both keep the session cookie a browser would.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.servers import Gunicorn  # noqa: E402

GROUPS: list[str] = []  # the 10 SPOR groups with most operations, CJC and CJE (read from the snapshot)
FILTERS_SPOR = ["", "&asa=3,4", "&prio=3m,6m"]
FILTERS_NCR = ["", "&narkos=1"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def prepare(delivery: Path, data_dir: Path) -> None:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "PYTHONPATH": str(ROOT)}
    if not delivery.exists():
        log(f"genererar nationell demoleverans i {delivery} …")
        subprocess.run([sys.executable, "-m", "etl", "demo", "--out", str(delivery), "--scale", "national"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    if not (data_dir / "warehouse" / "CURRENT").exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "etl", "load", str(delivery)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        log(f"inläst på {time.perf_counter() - t0:.1f} s")


def waits_urls() -> list[str]:
    urls = []
    for kva in GROUPS:
        for period in (30, 90, 365):
            for level in ("unit", "region"):
                for f in (FILTERS_NCR if kva.startswith("CJ") else FILTERS_SPOR):
                    urls.append(f"/api/v1/waits?kva={kva}&period={period}&level={level}{f}")
    return urls


def trend_urls(units: list[str]) -> list[str]:
    urls = []
    for kva in GROUPS:
        urls.append(f"/api/v1/trend?kva={kva}")
        urls += [f"/api/v1/trend?kva={kva}&region={r:02d}" for r in (1, 7, 14, 25)]
        urls += [f"/api/v1/trend?kva={kva}&unit={u}" for u in units[:3]]
    return urls


def timed(session: requests.Session, base: str, urls: list[str], headers: dict, n: int) -> list[float]:
    for url in urls[:10]:  # warm the connection and the per-snapshot look-ups
        session.get(base + url, headers=headers).raise_for_status()
    times = []
    for i in range(n):
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        r = session.get(base + url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
    return times


def timed_wrk(base: str, urls: list[str], cert: str, cookie: str, seconds: int, work: Path) -> list[float]:
    """p50/p95/p99 from wrk on one connection cycling through the URLs (GET)."""
    from benchmarks.bench_load import LUA, run_wrk

    tsv = work / f"urls-{abs(hash(tuple(urls)))}.tsv"
    tsv.write_text("".join(f"GET\t{u}\t\n" for u in urls), encoding="utf-8")
    script = work / "one.lua"
    script.write_text(f"CERT = {json.dumps(cert)}\nCOOKIE = {json.dumps(cookie)}\n" + LUA)
    res = run_wrk(base, script, [str(tsv)], seconds, 1, threads=1)
    if res["errors"]:
        raise RuntimeError(f"{urls[0]}: {res['errors']} fel under wrk")
    return [res["p50"] / 1000, res["p95"] / 1000, res["p99"] / 1000]


def line(name: str, times: list[float], goal: str = "") -> str:
    p50, p95, p99 = times if len(times) == 3 and isinstance(times, list) and times[0] <= times[1] <= times[2] \
        and getattr(times, "from_wrk", False) else (pct(times, 0.5), pct(times, 0.95), pct(times, 0.99))
    return (f"{name:<46} p50 {p50:6.2f}  p95 {p95:6.2f}  p99 {p99:6.2f} ms" + (f"   mål: {goal}" if goal else ""))


class WrkFigures(list):
    from_wrk = True


def profile_in_process(data_dir: Path, env: dict, header: str, urls: list[str]) -> str:
    from app import create_app
    from config.settings import load_settings

    app = create_app(load_settings({**env, "LAGESBILD_CACHE_TYPE": "NullCache"}))
    client = app.test_client()
    kwargs = {"headers": {"X-SSL-Client-Cert": header}, "environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    for url in urls[:20]:
        assert client.get(url, **kwargs).status_code == 200
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i in range(200):
        client.get(urls[i % len(urls)], **kwargs)
    prof.disable()
    wall = (time.perf_counter() - t0) / 200 * 1000
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
    return f"in-process, per request: {wall:.2f} ms (under cProfile)\n" + out.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delivery", type=Path, default=Path("/tmp/lagesbild-bench/delivery"))
    ap.add_argument("--data-dir", type=Path, default=None, help="a data directory to reuse (loaded once)")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--client", choices=("wrk", "requests"), default=None)
    ap.add_argument("--seconds", type=int, default=8, help="per figure, with wrk")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    data_dir = args.data_dir or (work / "var")
    prepare(args.delivery, data_dir)
    from tests.auth.pki import build_pki

    pki = build_pki(work)
    header = pki.header("valid")
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(pki.ca_file)}
    import duckdb

    con = duckdb.connect(str(next((data_dir / "warehouse" / "snapshots").glob("*.duckdb"))), read_only=True)
    units = [r[0] for r in con.execute(
        "SELECT vardenhet_hsaid FROM operations WHERE kva_grupp = 'NGB' GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
    ).fetchall()]
    n_ops = con.execute("SELECT count(*) FROM operations").fetchone()[0]
    GROUPS[:] = [r[0] for r in con.execute(
        "SELECT kva_grupp FROM operations WHERE source = 'spor' GROUP BY 1 ORDER BY count(*) DESC LIMIT 10"
    ).fetchall()] + ["CJC", "CJE"]
    con.close()
    print(f"Nationell demo: {n_ops:,} operationer".replace(",", " ")
          + f"; 1 worker (gthread, 4 trådar), proxyläge med SITHS-certifikat; {args.requests} anrop per rad; "
          f"grupper {', '.join(GROUPS)}; belastning {os.getloadavg()[0]:.2f}")
    hdr = {"X-SSL-Client-Cert": header}
    client = args.client or ("wrk" if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0
                             else "requests")
    print(f"klient: {client}" + (f", en anslutning, {args.seconds} s per rad" if client == "wrk" else ""))
    results = {}
    urls = waits_urls()
    random.Random(1).shuffle(urls)
    plan = {
        "healthz": ["/healthz"], "meta": ["/api/v1/meta"], "waits": urls, "trend": trend_urls(units),
        "csv": [u + "&format=csv" for u in urls], "xlsx": [u + "&format=xlsx" for u in urls],
    }

    def measure(server, names):
        s = requests.Session()
        s.get(server.url + "/api/v1/meta", headers=hdr).raise_for_status()  # the session cookie
        cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
        for name in names:
            for u in plan[name][:20]:  # warm the per-snapshot look-ups
                s.get(server.url + u, headers=hdr).raise_for_status()
            if client == "wrk":
                results[name] = WrkFigures(timed_wrk(server.url, plan[name], header, cookie, args.seconds, work))
            else:
                n = args.requests if name not in ("csv", "xlsx") else max(50, args.requests // 3)
                results[name] = timed(s, server.url, plan[name], hdr if name != "healthz" else {}, n)

    with Gunicorn({**env, "LAGESBILD_CACHE_TYPE": "NullCache"}, workers=1) as cold:
        measure(cold, ["healthz", "meta", "waits", "trend", "csv", "xlsx"])
    plan["cached"] = ["/api/v1/waits?kva=NGB&period=90&level=unit"]
    with Gunicorn(env, workers=1) as warm:
        measure(warm, ["cached"])
    print(line("/healthz (golvet)", results["healthz"]))
    print(line("/api/v1/meta", results["meta"], "≤ 2 ms"))
    print(line("/api/v1/waits JSON, cache av", results["waits"], "p95 ≤ 15 ms"))
    print(line("/api/v1/waits JSON, samma fråga, cache på", results["cached"], "p95 ≤ 3 ms"))
    print(line("/api/v1/trend JSON, cache av", results["trend"]))
    print(line("/api/v1/waits CSV, cache av", results["csv"]))
    print(line("/api/v1/waits XLSX, cache av", results["xlsx"]))
    print(f"belastning vid slutet: {os.getloadavg()[0]:.2f}")
    if args.profile:
        print(profile_in_process(data_dir, env, header, waits_urls()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
