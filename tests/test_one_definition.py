"""One definition per question: for every parameter combination a URL of
Jämför enheter can carry, the screen's table (the grid callback over HTTP),
its CSV and XLSX downloads (the download callback) and /api/v1/waits (JSON,
CSV, XLSX) give the same rows and the same values.

The screen's file without a home is the API's file byte for byte; with a
home it adds the distance column and the "Avstånd från" line, and every
other column is the API's."""
from __future__ import annotations

import base64
import io
import itertools
import json

import openpyxl
import pytest

from components import url_state as us
from tests.factories import build_random_warehouse

GRID_OUTPUTS = [("jf-grid", "rowData"), ("jf-grid", "columnDefs"), ("jf-source", "children"),
                ("jf-count", "children"), ("jf-empty", "children"), ("jf-empty", "style"),
                ("jf-grid-wrap", "style"), ("jf-spor-filters", "style"), ("jf-ncr-filters", "style"),
                ("jf-files", "style")]

SPOR = [us.ViewState(kva="NGB", period=p, level=lv, asa=a, prio=pr, hem=h)
        for p, lv, a, pr, h in itertools.product((30, 90, 365), ("unit", "region"),
                                                 (None, (3,), (1, 2, 3, 4, 5, 6)), (None, ("3m", "6m")),
                                                 (None, "01"))]
NCR = [us.ViewState(kva="CJC", period=p, level=lv, narkos=nk, hem=h)
       for p, lv, nk, h in itertools.product((30, 90, 365), ("unit", "region"), (False, True), (None, "01"))]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings

    data_dir = tmp_path_factory.mktemp("one-definition") / "var"
    data_dir.mkdir()
    build_random_warehouse(data_dir, seed=5, demo=True)
    return logged_in_client(create_app(make_settings(data_dir, cache_type="NullCache")), *READER)


def _grid(client, state: us.ViewState) -> list[dict]:
    values = {"jf-kva": state.kva, "jf-period": state.period, "jf-level": state.level,
              "jf-asa": list(state.asa or []), "jf-prio": list(state.prio or []),
              "jf-narkos": [1] if state.narkos else [], "jf-hem": state.hem, "jf-forvantad": [1] if state.forvantad else []}
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in GRID_OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in GRID_OUTPUTS],
        "inputs": [{"id": i, "property": "value", "value": v} for i, v in values.items()],
        "changedPropIds": ["jf-kva.value"],
        "state": [{"id": "jf-state", "property": "data", "value": us.encode(state)},
                  {"id": "jf-grid", "property": "columnDefs", "value": []}],
    }
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    grid = r.get_json()["response"]["jf-grid"]
    return grid.get("rowData", []), grid.get("columnDefs")


def _download(client, state: us.ViewState, fmt: str) -> bytes:
    csv = fmt == "csv"
    body = {
        "output": "jf-download.data", "outputs": {"id": "jf-download", "property": "data"},
        "inputs": [{"id": "jf-dl-csv", "property": "n_clicks", "value": 1 if csv else None},
                   {"id": "jf-dl-xlsx", "property": "n_clicks", "value": None if csv else 1}],
        "changedPropIds": [f"jf-dl-{fmt}.n_clicks"],
        "state": [{"id": "jf-grid", "property": "virtualRowData", "value": None},
                  {"id": "jf-state", "property": "data", "value": us.encode(state)}],
    }
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    return base64.b64decode(r.get_json()["response"]["jf-download"]["data"]["content"])


def _xlsx_cells(raw: bytes) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(raw), read_only=True).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _columns(cells: list[list]) -> dict[str, list]:
    """Header -> column values of a file's table (below its title block)."""
    start = next(i for i, r in enumerate(cells) if r and r[0] in ("Enhet", "Region"))
    header = cells[start]
    body = [r for r in cells[start + 1:] if any(c not in (None, "") for c in r)]
    return {h: [r[i] for r in body] for i, h in enumerate(header)}


@pytest.mark.parametrize("state", SPOR + NCR, ids=lambda s: us.encode(s)[1:])
def test_screen_files_and_api_agree(client, state):
    grid, defs = _grid(client, state)
    api = client.get("/api/v1/waits" + us.api_query(state))
    assert api.status_code == 200, api.get_json()
    api_rows = api.get_json()["rows"]

    # Same rows, same order, same values on screen as in the API's JSON.
    assert [r["id"] for r in grid] == [r["id"] for r in api_rows]
    fields = [d["field"] for d in defs] if defs else []
    for g, a in zip(grid, api_rows):
        assert g["suppressed"] == a["suppressed"]
        for key in ("median", "p90"):
            if key in fields:
                assert g[key] == a[key], (key, g[key], a[key])
        for key in ("andel_inom_90", "asa34_andel"):        # percent on screen, a fraction in JSON
            if key in fields:
                assert g[key] == (None if a[key] is None else pytest.approx(100 * a[key], rel=1e-12)), key
        assert g["n"] == (None if a["suppressed"] else a["n"])
        assert (g["n_txt"] == "<5") == (a["suppressed"] and a["n"] is None)

    # The screen's files are the API's files (plus the distance when a home is chosen).
    for fmt in ("csv", "xlsx"):
        screen = _download(client, state, fmt)
        api_file = client.get("/api/v1/waits" + us.api_query(state) + f"&format={fmt}").data
        if fmt == "csv" and state.hem is None:
            assert screen == api_file
            continue
        if fmt == "csv":
            import csv

            screen_cells = list(csv.reader(io.StringIO(screen.decode("utf-8-sig")), delimiter=";"))
            api_cells = list(csv.reader(io.StringIO(api_file.decode("utf-8-sig")), delimiter=";"))
        else:
            screen_cells, api_cells = _xlsx_cells(screen), _xlsx_cells(api_file)
        screen_cols, api_cols = _columns(screen_cells), _columns(api_cells)
        extra = set(screen_cols) - set(api_cols)
        assert extra == ({"Avstånd (km)"} if state.hem else set())
        assert {h: v for h, v in screen_cols.items() if h not in extra} == api_cols
        if state.hem:
            assert any(r and str(r[0]).startswith("Avstånd från: Stockholm") for r in screen_cells)
