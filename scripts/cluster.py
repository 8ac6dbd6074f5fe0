"""`make cluster`: the whole national set-up on this machine, on loopback, for
a rehearsal or a demonstration: nginx with deploy/nginx.conf.example and a
test SITHS PKI, two gunicorn app servers with their own data directories,
PostgreSQL as the shared app database, Redis as the shared cache, and a
loader that publishes the demo delivery to both servers (tests/cluster.py).

A browser without a SITHS card opens http://127.0.0.1:8050/ : a "card reader"
stand-in (a second nginx) forwards to the front over TLS with the test card
"Anna Andersson, SE2321000016-ABC1". Ctrl-C stops everything; the data
directories stay in --dir (PostgreSQL's app database does not).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Hela lägesbilden på den här datorn: nginx, två appservrar, "
                                             "PostgreSQL och Redis.")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lagesbild-cluster"), help="arbetskatalog")
    ap.add_argument("--port", type=int, default=8050, help="kortläsarens port för webbläsaren (8050)")
    args = ap.parse_args(argv)
    from tests.cluster import cluster

    print(f"Startar klustret i {args.dir} (första gången genereras och läses demoleveransen in) …", flush=True)
    with cluster(args.dir, workers=2, card_port=args.port) as parts:
        pki, a, b = parts["pki"], *parts["servers"]
        print(f"""
Klustret är igång:
  webbläsare (testkortet Anna Andersson):  {parts['browser_url']}/
  nginx-fronten (kräver klientcertifikat): https://127.0.0.1:{parts['https']}/
  appserver 1: {a.url} (data {parts['apps'][0]})   appserver 2: {b.url} (data {parts['apps'][1]})
  PostgreSQL: {parts['postgres'].url}   Redis: {parts['redis'].url}

Prova med curl och ett testkort (valid, expired, revoked, wrong_eku, foreign):
  curl --cert {pki}/valid.pem --key {pki}/valid.key --cacert {pki}/server.pem -i https://127.0.0.1:{parts['https']}/api/v1/meta

Publicera om till båda servrarna:  LAGESBILD_DATA_DIR={parts['loader']} .venv/bin/python -m etl publish --to {parts['apps'][0]} --to {parts['apps'][1]}
Stoppa med Ctrl-C.""", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    print("Klustret är stoppat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
