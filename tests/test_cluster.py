"""The whole cluster behind the real front (issue 15, part 3): Debian's nginx
with the shipped config and the test SITHS PKI, two gunicorn app servers with
their own data directories, one PostgreSQL as the app database and one Redis
as the cache, all on loopback (tests/cluster.py, also `make cluster`).

Driven with `curl --cert` and with Chromium (through the card-reader stand-in,
so nginx verifies a real client certificate in every TLS handshake)."""
from __future__ import annotations

import re
import subprocess
import time

import pytest

from auth import audit
from auth.db import AuthDB
from tests.auth.pki import HSA_ID
from tests.cluster import cluster, etl, next_daily_file
from tests.watch import PageRecorder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    with cluster(tmp_path_factory.mktemp("kluster")) as parts:
        yield parts


def _curl(parts, path: str, card: str = "valid") -> tuple[int, dict, str]:
    pki = parts["pki"]
    proc = subprocess.run(["curl", "--silent", "--show-error", "--include", "--cert", str(pki / f"{card}.pem"),
                           "--key", str(pki / f"{card}.key"), "--cacert", str(pki / "server.pem"),
                           "-H", "Accept: application/json", f"https://127.0.0.1:{parts['https']}{path}"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    head, _, body = proc.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def _served(server) -> int:
    """Requests in a server's access log (gunicorn's, one line each)."""
    return len(re.findall(r'"(GET|POST) ', server.log.read_text(errors="replace")))


def _logins(db) -> list:
    return [e for e in audit.recent(db, action="login", limit=500) if e.actor == HSA_ID]


def _snapshots(parts, n: int = 8) -> set:
    seen = set()
    for _ in range(n):
        status, headers, body = _curl(parts, "/api/v1/meta")
        assert status == 200, body[:300]
        seen.add(headers.get("x-lagesbild-snapshot"))
    return seen


def test_curl_with_a_card_reaches_both_servers_on_one_snapshot(whole):
    before = [_served(s) for s in whole["servers"]]
    seen = _snapshots(whole)
    assert len(seen) == 1 and None not in seen
    after = [_served(s) for s in whole["servers"]]
    assert all(a > b for a, b in zip(after, before)), "nginx sends requests to both servers"
    status, _, body = _curl(whole, "/api/v1/meta", card="expired")
    assert status == 401 and '"expired"' in body                    # the front refuses, the app explains


def test_chromium_through_the_front_one_login_for_both_servers_and_a_shared_cache(whole, browser):
    import redis

    context = browser.new_context(locale="sv-SE", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20000)
    recorder = PageRecorder(page)
    db = AuthDB(whole["postgres"].url)
    logins_before = _logins(db)
    before = [_served(s) for s in whole["servers"]]
    base = whole["browser_url"]
    page.goto(base + "/?kva=NGB&period=90")
    page.locator("#jf-grid .ag-row").first.wait_for()
    page.goto(base + "/nationellt")
    page.locator(".js-plotly-plot").first.wait_for()
    page.goto(base + "/?kva=NGB&period=90")
    page.locator("#jf-grid .ag-row").first.wait_for()
    assert "Jämför enheter" in page.content()
    context.close()
    recorder.assert_clean()
    after = [_served(s) for s in whole["servers"]]
    assert all(a > b for a, b in zip(after, before)), "the browser's requests reached both servers"
    # One session in PostgreSQL, valid on both servers: the card logged in once, not once per server.
    deadline = time.time() + 5
    while len(_logins(db)) == len(logins_before) and time.time() < deadline:
        time.sleep(0.2)                                      # logins are written in batches (auth/audit.py)
    time.sleep(0.5)
    assert len(_logins(db)) - len(logins_before) == 1
    db.dispose()
    assert redis.Redis(port=whole["redis"].port).dbsize() > 0, "the servers cache in the shared Redis"


def test_a_publish_reaches_both_servers_and_a_rollback_brings_them_back(whole):
    first = _snapshots(whole)
    daily = next_daily_file(whole["base"] / "leverans", whole["base"] / "daglig")
    etl(whole["loader"], "load", str(daily.parent))
    etl(whole["loader"], "publish", *sum((["--to", str(d)] for d in whole["apps"]), []))
    second = _snapshots(whole)
    assert len(second) == 1 and second != first
    etl(whole["loader"], "rollback", *sum((["--to", str(d)] for d in whole["apps"]), []))
    assert _snapshots(whole) == first
