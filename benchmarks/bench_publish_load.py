"""Load during a publish: two app servers answer a coordinator mix while a
national load publishes and is spread to both (issue 15, part 4).

    .venv/bin/python benchmarks/bench_publish_load.py [--users 50] [--seconds 20] [--delivery DIR]
                                                      [--publish daily|full] [--via direct|nginx]

In one run:
1. The national demo is loaded into a loader's data directory and spread
   with `python -m etl publish --to` to the data directories of two gunicorn
   servers. `--via direct`: the clients talk HTTP to the servers (dev mode,
   a logged-in session each, cache off). `--via nginx`: the whole cluster of
   tests/cluster.py (the SITHS front with the shipped nginx config, PostgreSQL
   as the shared app database, Redis as the shared cache); each client has
   its own TLS connection with the test card and its own session.
2. `--users` client threads send the coordinator mix: Jämför enheter's
   table question through /api/v1/waits, the unit trend, /api/v1/meta. They
   are spread over both servers and run for `--seconds`: the quiet phase.
3. The same load runs again while a publish goes on: the publish phase.
   `--publish daily` (the everyday case): the loader loads one more daily
   file into its warehouse, publishes it and spreads it to both servers.
   `--publish full` (the worst case, a national reload): a second loader
   builds the whole national warehouse from the delivery from scratch,
   publishes it and spreads it to both servers.

Reported per phase: requests, failures (non-200 or a connection error),
p50/p95, and the snapshots the answers named (`X-Lagesbild-Snapshot`). A
request answered from no single snapshot would show in the header; the pin
(data/warehouse.py) makes each answer one snapshot's.

Goal: 0 failed requests, and p95 during the publish at most 2× p95 without it.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cluster import next_daily_file  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402

USER = ("matning", "matning-losenord-1")
GROUPS = ["NGB", "NFB", "JAB", "JKA", "CJC", "NGD", "EMB", "HAB"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def etl(data_dir: Path, *args: str) -> None:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def login_cookie(server) -> str:
    import re

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    html = resp.read().decode()
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    body = urlencode({"username": USER[0], "password": USER[1], "next": "/", "csrf_token": token})
    conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                         "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 302, resp.status
    return resp.getheader("Set-Cookie").split(";")[0]


def mix() -> str:
    r = random.random()
    kva = random.choice(GROUPS)
    if r < 0.6:
        return f"/api/v1/waits?kva={kva}&period={random.choice([30, 90, 365])}"
    if r < 0.9:
        return f"/api/v1/trend?kva={kva}"
    return "/api/v1/meta"


def direct(servers, cookies):
    """Each client thread talks HTTP to one app server with a dev session."""
    def connect(i):
        server, cookie = servers[i % len(servers)], cookies[i % len(servers)]
        return (lambda: http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)), {"Cookie": cookie}
    return connect


def through_front(parts):
    """Each client thread talks HTTPS to nginx with the test SITHS card (its own
    TLS connection and session); nginx spreads the requests over both servers."""
    import ssl

    ctx = ssl.create_default_context(cafile=str(parts["pki"] / "server.pem"))
    ctx.load_cert_chain(str(parts["pki"] / "valid.pem"), str(parts["pki"] / "valid.key"))

    def connect(i):
        return (lambda: http.client.HTTPSConnection("127.0.0.1", parts["https"], context=ctx, timeout=30)), {}
    return connect


def run_phase(connect, users: int, seconds: float, until: threading.Thread | None = None) -> dict:
    """The mix for ``seconds``; with ``until``, also until that thread has ended
    and 3 s more, so the phase covers the whole publish and its aftermath."""
    stop = [time.time() + seconds]
    lock = threading.Lock()
    times, failures, snapshots = [], [0], {}

    def running() -> bool:
        if until is not None and until.is_alive():
            stop[0] = max(stop[0], time.time() + 3)
        return time.time() < stop[0]

    def user(i):
        new_conn, headers = connect(i)
        conn = new_conn()
        while running():
            path = mix()
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok, sid = resp.status == 200, resp.getheader("X-Lagesbild-Snapshot")
                if resp.getheader("Set-Cookie"):               # a new or renewed session: keep it
                    headers["Cookie"] = resp.getheader("Set-Cookie").split(";")[0]
            except OSError:
                ok, sid = False, None
                conn.close()
                conn = new_conn()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                times.append(elapsed)
                if not ok:
                    failures[0] += 1
                snapshots[sid] = snapshots.get(sid, 0) + 1
        conn.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    return {"requests": len(times), "failures": failures[0], "p50": statistics.median(times),
            "p95": times[int(0.95 * (len(times) - 1))], "snapshots": snapshots}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--delivery", type=Path, default=Path("/tmp/lagesbild-bench/delivery"))
    ap.add_argument("--publish", choices=("daily", "full"), default="daily")
    ap.add_argument("--via", choices=("direct", "nginx"), default="direct",
                    help="direct: HTTP to the two servers (dev sessions, cache off); nginx: the whole cluster "
                         "(tests/cluster.py) through the SITHS front with a test card, PostgreSQL and Redis")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.delivery.exists():
            log("genererar nationell demoleverans …")
            etl(tmp / "gen", "demo", "--out", str(args.delivery), "--scale", "national")
        daily = tmp / "daglig"
        next_daily_file(args.delivery, daily)
        with contextlib.ExitStack() as stack:
            if args.via == "nginx":
                from tests.cluster import cluster

                log("startar klustret (nginx, två servrar, PostgreSQL, Redis) och läser in den nationella demon …")
                parts = stack.enter_context(cluster(tmp / "kluster", workers=2, delivery=args.delivery))
                loader, apps = parts["loader"], parts["apps"]
                connect = through_front(parts)
            else:
                loader, apps = tmp / "etl", [tmp / "app1", tmp / "app2"]
                log("läser in den nationella demon …")
                etl(loader, "load", str(args.delivery))
                etl(loader, "publish", *sum((["--to", str(d)] for d in apps), []))
                from app import create_app
                from tests.auth.support import ensure_account
                from tests.conftest import make_settings

                for d in apps:
                    ensure_account(create_app(make_settings(d)), *USER)
                env = lambda d: {"LAGESBILD_DATA_DIR": str(d), "LAGESBILD_ENV": "test",  # noqa: E731
                                 "LAGESBILD_AUTH_MODE": "dev", "LAGESBILD_CACHE_TYPE": "NullCache"}
                servers = [stack.enter_context(Gunicorn(env(d), workers=2)) for d in apps]
                connect = direct(servers, [login_cookie(s) for s in servers])
            for i in range(4):  # warm up (and log in, through the front)
                new_conn, headers = connect(i)
                conn = new_conn()
                for path in ("/api/v1/meta", "/api/v1/waits?kva=NGB"):
                    conn.request("GET", path, headers=headers)
                    conn.getresponse().read()
                conn.close()
            log(f"tyst fas: {args.users} användare i {args.seconds:.0f} s …")
            quiet = run_phase(connect, args.users, args.seconds)
            if args.publish == "daily":
                log("publiceringsfas: samma last medan en daglig fil läses in och sprids …")
                source, delivered = loader, daily
            else:
                log("publiceringsfas: samma last medan hela den nationella leveransen läses in på nytt och sprids …")
                source, delivered = tmp / "etl-ny", args.delivery
            publisher = threading.Thread(target=lambda: (etl(source, "load", str(delivered)),
                                                         etl(source, "publish", "--to", str(apps[0]),
                                                             "--to", str(apps[1]))))
            started = time.perf_counter()
            publisher.start()
            during = run_phase(connect, args.users, args.seconds, until=publisher)
            publisher.join()
            log(f"inläsning och spridning tog {time.perf_counter() - started:.1f} s under lasten")
        for name, r in (("utan publicering", quiet), ("under publicering", during)):
            print(f"{name:<18} {r['requests']:>6} anrop  {r['failures']} fel  p50 {r['p50']:.1f} ms  "
                  f"p95 {r['p95']:.1f} ms  ögonblicksbilder: {len(r['snapshots'])} "
                  f"({', '.join(f'{k}: {v}' for k, v in r['snapshots'].items())})")
        ratio = during["p95"] / quiet["p95"]
        ok = during["failures"] == 0 and quiet["failures"] == 0 and ratio <= 2
        print(f"p95 under publicering / utan: {ratio:.2f} – mål ≤ 2 och 0 fel: {'ok' if ok else 'MISSAT'}")
        print(f"maskinens belastning (1 min): {os.getloadavg()[0]:.2f} på {os.cpu_count()} kärnor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
