"""The /api/v1 JSON answers stay exactly what they were before the API was
rebuilt on the shared question modules and table definitions (issue 8):
every request of tests/api_cases.py on the fixed small demo, loaded by the
real CLIs, answers the status and JSON kept in tests/data/api_golden.json.gz,
field for field (floats to the last bit)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api_cases import CASES
from tests.conftest import ROOT, make_settings

GOLDEN = Path(__file__).with_name("data") / "api_golden.json.gz"
VOLATILE = ("snapshot_id", "created_at")


def _cli(*args, data_dir):
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test"}
    proc = subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    base = tmp_path_factory.mktemp("golden")
    data_dir = base / "var"
    _cli("demo", "--out", str(base / "delivery"), "--scale", "small", "--seed", "7", "--end-date", "2026-11-20",
         data_dir=data_dir)
    _cli("load", str(base / "delivery"), data_dir=data_dir)
    from app import create_app
    from tests.auth.support import READER, logged_in_client

    return logged_in_client(create_app(make_settings(data_dir, cache_type="NullCache")), *READER)


def _stable(url: str, payload):
    if payload and url.startswith("/api/v1/meta"):
        for key in VOLATILE:
            payload.pop(key, None)
        for s in payload.get("sources", []):
            s.pop("last_loaded_at", None)
    return payload


def test_every_answer_equals_the_one_kept(client):
    """Regenerate (after an intended change of the answers, reviewed with
    tests/golden_diff.py) with LAGESBILD_WRITE_GOLDEN=<path>."""
    out = os.environ.get("LAGESBILD_WRITE_GOLDEN")
    if out:
        answers = {}
        for url in CASES:
            resp = client.get(url)
            answers[url] = [resp.status_code, _stable(url, resp.get_json())]
        Path(out).write_bytes(gzip.compress(json.dumps(answers, ensure_ascii=False).encode(), mtime=0))
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    assert sorted(golden) == sorted(CASES)
    differ = []
    for url in CASES:
        resp = client.get(url)
        got = [resp.status_code, _stable(url, resp.get_json())]
        if got != golden[url]:
            differ.append((url, got[0], golden[url][0]))
    assert differ == [], f"{len(differ)} of {len(CASES)} answers differ, first: {differ[:3]}"
