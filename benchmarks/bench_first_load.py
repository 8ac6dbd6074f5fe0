"""What a first visit to Jämför enheter costs on the wire, and what a second one does.

    .venv/bin/python benchmarks/bench_first_load.py [--path "/?kva=NGB&period=90&level=unit"]

Starts the app under gunicorn on the small demo (generated and loaded with the
real CLIs), logs in through the form in headless Chromium, opens the page with
an empty browser cache and waits for the filled table. Reports per kind
(scripts, styles, fonts, Dash callbacks, ...) the number of requests, the
bytes sent on the wire (Chromium's encoded body size: after compression) and
the decoded bytes; then reloads in the same browser (warm cache) and reports
what is fetched again. The floor in the same run is /healthz.

Issue 11 (part 7): responses compressed, static bundles cached by fingerprint.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402

USER = ("matning", "matning-losenord-1")


def kind_of(url: str, resource_type: str) -> str:
    path = urlparse(url).path
    if path.endswith("/_dash-update-component"):
        return "Dash-anrop"
    if path.startswith("/_dash-layout") or path.startswith("/_dash-dependencies"):
        return "Dash-layout"
    if resource_type in ("script", "stylesheet", "font", "document", "image"):
        return {"script": "skript", "stylesheet": "stilmallar", "font": "typsnitt", "document": "sida",
                "image": "bilder"}[resource_type]
    return resource_type


def visit(context, url: str) -> dict:
    page = context.new_page()
    seen = []
    page.on("requestfinished", lambda req: seen.append(req))
    page.goto(url)
    page.wait_for_selector("#jf-grid .ag-row", timeout=60000)
    page.wait_for_timeout(500)
    per = defaultdict(lambda: [0, 0, 0])
    for req in seen:
        resp = req.response()
        if resp is None:
            continue
        sizes = req.sizes()
        body = sizes.get("responseBodySize") or 0          # encoded: what crossed the wire
        try:
            decoded = len(resp.body())
        except Exception:  # noqa: BLE001 - redirects have no body
            decoded = 0
        entry = per[kind_of(req.url, req.resource_type)]
        entry[0] += 1
        entry[1] += body + (sizes.get("responseHeadersSize") or 0)
        entry[2] += decoded
    page.close()
    return dict(per)


def report(title: str, per: dict) -> tuple[int, int, int]:
    print(f"\n{title}")
    print(f"  {'slag':<14}{'anrop':>7}{'på nätet (kB)':>16}{'uppackat (kB)':>16}")
    total = [0, 0, 0]
    for kind, (n, wire, decoded) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"  {kind:<14}{n:>7}{wire / 1000:>16.1f}{decoded / 1000:>16.1f}")
        total = [total[0] + n, total[1] + wire, total[2] + decoded]
    print(f"  {'summa':<14}{total[0]:>7}{total[1] / 1000:>16.1f}{total[2] / 1000:>16.1f}")
    return tuple(total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", default="/?kva=NGB&period=90&level=unit")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test",
               "LAGESBILD_AUTH_MODE": "dev", "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "etl", "demo", "--out", f"{tmp}/demo", "--scale", "small"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "etl", "load", f"{tmp}/demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        from app import create_app
        from tests.auth.support import ensure_account
        from tests.conftest import make_settings

        ensure_account(create_app(make_settings(data_dir)), *USER)
        server_env = {k: v for k, v in env.items() if k.startswith("LAGESBILD_")}
        with Gunicorn(server_env, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            login = context.new_page()
            login.goto(server.url + "/login")
            login.fill("input[name=username]", USER[0])
            login.fill("input[name=password]", USER[1])
            login.locator("form button[type=submit]").first.click()
            login.wait_for_url(lambda u: "/login" not in u)
            # The login page's own assets are in the cache now; start the measured visit from an empty one.
            cdp = context.new_cdp_session(login)
            cdp.send("Network.clearBrowserCache")
            login.close()
            cold = report(f"Första besöket, tom cache: {args.path}", visit(context, server.url + args.path))
            warm = report("Andra besöket, samma webbläsare", visit(context, server.url + args.path))
            health = context.request.get(server.url + "/healthz")
            print(f"\nGolv: /healthz {len(health.body())} B")
            print(f"\nSammanfattning: första besöket {cold[0]} anrop, {cold[1] / 1e6:.2f} MB på nätet "
                  f"({cold[2] / 1e6:.2f} MB uppackat); andra besöket {warm[0]} anrop, {warm[1] / 1e6:.2f} MB.")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
