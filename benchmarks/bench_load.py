"""Throughput of the default server under a morning burst of coordinators,
as a ratio of the floor measured in the same run.

    .venv/bin/python benchmarks/bench_load.py [--delivery DIR] [--duration 60] [--connections 50]

The default server (deploy/gunicorn.conf.py: 2 workers × 4 threads, the
result cache on as shipped) on the national demo, proxy mode with a SITHS
certificate and the session cookie a browser would keep. wrk (Debian's
package; loopback only, bounded by --duration) runs, one after the other:

1. the coordinator mix, in random order: the Jämför enheter table callback
   (POST /_dash-update-component) for 12 KVÅ groups × 3 windows × 2 levels,
   with and without filters; the same questions as /api/v1/waits; the unit
   page's trend callback for the busiest units of those groups; KVÅ search
   as the search-field callback and as /api/v1/kva; /api/v1/meta;
2. ``/healthz`` alone: the floor (no authentication, no data).

Printed per run: requests/s, p50/p95/p99 latency, errors (socket errors and
non-2xx answers), and the resident memory of each worker. Goal (issue 8):
the mix at ≥ 40 % of the floor's requests/s, 0 errors.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from benchmarks.bench_api import prepare  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402

LUA = r"""
local reqs = {}
local n = 0
init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, body = line:match("^(%S+)\t(%S+)\t(.*)$")
    local headers = { ["X-SSL-Client-Cert"] = CERT, ["Cookie"] = COOKIE }
    if method == "POST" then headers["Content-Type"] = "application/json" else body = nil end
    n = n + 1
    reqs[n] = wrk.format(method, path, headers, body)
  end
  f:close()
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  for i = n, 2, -1 do local j = math.random(i); reqs[i], reqs[j] = reqs[j], reqs[i] end
end
local i = 0
request = function()
  i = i % n + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT {\"requests\": %d, \"duration_us\": %d, \"p50\": %d, \"p95\": %d, \"p99\": %d, " ..
    "\"connect\": %d, \"read\": %d, \"write\": %d, \"timeout\": %d, \"status\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
"""

FLOOR_LUA = r"""
done = function(summary, latency, requests)
  io.write(string.format("RESULT {\"requests\": %d, \"duration_us\": %d, \"p50\": %d, \"p95\": %d, \"p99\": %d, " ..
    "\"connect\": %d, \"read\": %d, \"write\": %d, \"timeout\": %d, \"status\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
"""


def callback_body(deps: list[dict], output: str, values: dict) -> str:
    """A /_dash-update-component body for the callback with this output, built from
    the app's own /_dash-dependencies (so it always fits the registered callback)."""
    dep = next(d for d in deps if output in d["output"])
    out_ids = [o for o in dep["output"].strip(".").split("...")] if dep["output"].startswith("..") \
        else [dep["output"]]
    outputs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in out_ids]
    body = {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
        "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True)


def build_mix(base: str, session: requests.Session, hdr: dict, groups: list[str], units: dict) -> list[str]:
    deps = session.get(base + "/_dash-dependencies", headers=hdr).json()
    lines = []
    for kva in groups:
        ncr = kva.startswith("CJ")
        for period in (30, 90, 365):
            for level in ("unit", "region"):
                variants = ([{}, {"narkos": True}] if ncr else [{}, {"asa": [3, 4]}, {"prio": ["3m", "6m"]}])
                for v in variants:
                    values = {"jf-kva.value": kva, "jf-period.value": period, "jf-level.value": level,
                              "jf-asa.value": v.get("asa", []), "jf-prio.value": v.get("prio", []),
                              "jf-narkos.value": [1] if v.get("narkos") else [], "jf-hem.value": None,
                              "jf-state.data": f"?kva={kva}&period={period}&level={level}",
                              "jf-grid.columnDefs": []}
                    lines.append(f"POST\t/_dash-update-component\t{callback_body(deps, 'jf-grid.rowData', values)}")
                    q = f"kva={kva}&period={period}&level={level}"
                    if v.get("asa"):
                        q += "&asa=3,4"
                    if v.get("prio"):
                        q += "&prio=3m,6m"
                    if v.get("narkos"):
                        q += "&narkos=1"
                    lines.append(f"GET\t/api/v1/waits?{q}\t")
        for unit in units.get(kva, []):
            values = {"eh-kva.value": kva, "eh-hsa.data": unit}
            lines.append(f"POST\t/_dash-update-component\t{callback_body(deps, 'eh-trend.figure', values)}")
            lines.append(f"GET\t/api/v1/trend?kva={kva}&unit={unit['id']}\t")
    for text in ("knä", "höft", "gråstarr", "bråck", "galla", "NGB", "prostata", "axel"):
        values = {"jf-kva.search_value": text, "jf-kva.value": None, "jf-kva.options": []}
        lines.append(f"POST\t/_dash-update-component\t{callback_body(deps, 'jf-kva.options', values)}")
        lines.append(f"GET\t/api/v1/kva?q={requests.utils.quote(text)}\t")
    lines += ["GET\t/api/v1/meta\t"] * 10
    # Every request of the mix must answer 200 before the load starts.
    for line in lines:
        method, path, body = line.split("\t", 2)
        r = session.request(method, base + path, data=body.encode() if body else None,
                            headers={**hdr, **({"Content-Type": "application/json"} if body else {})})
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
    random.Random(3).shuffle(lines)
    return lines


def run_wrk(url: str, script: Path, args: list[str], duration: int, connections: int, threads: int = 2) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", str(script),
           url, *(["--", *args] if args else [])]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr or out.stdout)
    line = next(li for li in out.stdout.splitlines() if li.startswith("RESULT "))
    res = json.loads(line[len("RESULT "):])
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["errors"] = sum(res[k] for k in ("connect", "read", "write", "timeout", "status"))
    return res


def worker_rss(server: Gunicorn) -> list[float]:
    return [round(c.memory_info().rss / 2**20) for c in psutil.Process(server.proc.pid).children()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delivery", type=Path, default=Path("/tmp/lagesbild-bench/delivery"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--connections", type=int, default=50)
    args = ap.parse_args(argv)
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        print("wrk saknas: kör make bench (installerar Debians wrk) eller apt-get install wrk", file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    data_dir = args.data_dir or (work / "var")
    prepare(args.delivery, data_dir)
    from tests.auth.pki import build_pki

    pki = build_pki(work)
    cert = pki.header("valid")
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(pki.ca_file)}
    import duckdb

    con = duckdb.connect(str(next((data_dir / "warehouse" / "snapshots").glob("*.duckdb"))), read_only=True)
    groups = [r[0] for r in con.execute(
        "SELECT kva_grupp FROM operations WHERE source = 'spor' GROUP BY 1 ORDER BY count(*) DESC LIMIT 10"
    ).fetchall()] + ["CJC", "CJE"]
    units: dict[str, list[dict]] = {}
    for kva in groups:
        units[kva] = [{"id": u, "region_kod": r, "region_namn": r} for u, r in con.execute(
            "SELECT vardenhet_hsaid, any_value(region_kod) FROM operations WHERE kva_grupp = ? "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 3", [kva]).fetchall()]
    con.close()

    with Gunicorn(env) as server:  # the default: 2 workers × 4 threads, cache on
        session = requests.Session()
        hdr = {"X-SSL-Client-Cert": cert}
        session.get(server.url + "/", headers=hdr).raise_for_status()
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        lines = build_mix(server.url, session, hdr, groups, units)
        mix_file = work / "mix.tsv"
        mix_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        script = work / "mix.lua"
        script.write_text(f"CERT = {json.dumps(cert)}\nCOOKIE = {json.dumps(cookie)}\n" + LUA)
        floor_script = work / "floor.lua"
        floor_script.write_text(FLOOR_LUA)
        print(f"Standardservern (2 workers × 4 trådar, resultatcache på), nationell demo, {args.connections} "
              f"samtidiga anslutningar i {args.duration} s per körning; blandningen har {len(lines)} olika "
              f"anrop; belastning {os.getloadavg()[0]:.2f}")
        mix = run_wrk(server.url, script, [str(mix_file)], args.duration, args.connections)
        rss_mix = worker_rss(server)
        floor = run_wrk(server.url + "/healthz", floor_script, [], args.duration, args.connections)
        rss_end = worker_rss(server)
    for name, r in (("koordinatorblandning", mix), ("/healthz (golvet)", floor)):
        print(f"{name:<22} {r['rps']:8.1f} anrop/s  p50 {r['p50'] / 1000:7.1f}  p95 {r['p95'] / 1000:7.1f}  "
              f"p99 {r['p99'] / 1000:7.1f} ms  fel {r['errors']}")
    ratio = mix["rps"] / floor["rps"]
    print(f"kvot blandning/golv: {ratio * 100:.1f} %  (mål ≥ 40 %, 0 fel)")
    print(f"RSS per worker efter blandningen: {rss_mix} MB; vid slutet: {rss_end} MB; "
          f"belastning vid slutet {os.getloadavg()[0]:.2f}")
    return 0 if ratio >= 0.40 and mix["errors"] == 0 else 2


if __name__ == "__main__":
    sys.exit(main())
