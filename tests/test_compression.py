"""Light pages (issue 11, part 7): scripts, styles and JSON compressed when the
browser accepts it, HTML never (BREACH: the pages carry the CSRF token), and
fingerprinted assets cached for a year. Sizes before and after are printed by
benchmarks/bench_first_load.py."""
from __future__ import annotations

import gzip
import re

import pytest


@pytest.fixture
def reader(app, data_dir):
    from tests.auth.support import READER, logged_in_client
    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=3, demo=True)
    return logged_in_client(app, *READER)


def _scripts(reader) -> list[str]:
    return re.findall(r'src="([^"]+)"', reader.get("/").get_data(as_text=True))


def test_scripts_are_compressed_and_decompress_to_the_same_bytes(reader):
    bundle = next(s for s in _scripts(reader) if "dash_ag_grid" in s)
    plain = reader.get(bundle, headers={"Accept-Encoding": "identity"})
    packed = reader.get(bundle, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 3
    assert "max-age=31536000" in packed.headers["Cache-Control"]


def test_html_is_never_compressed(reader):
    page = reader.get("/?kva=NGB", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Content-Encoding" not in page.headers and page.headers["Cache-Control"] == "no-store"
    login = reader.get("/login", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert "Content-Encoding" not in login.headers


def test_json_answers_are_compressed(reader):
    resp = reader.get("/api/v1/waits?kva=NGB&period=365&level=unit", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert b'"rows"' in gzip.decompress(resp.get_data())
    assert resp.headers["Cache-Control"] == "no-store"


def test_fingerprinted_assets_are_kept_a_year_and_others_revalidated(reader):
    asset = next(s for s in _scripts(reader) if s.startswith("/assets/") and "?m=" in s)
    kept = reader.get(asset)
    assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    bare = reader.get(asset.split("?")[0])
    assert "immutable" not in (bare.headers.get("Cache-Control") or "")
