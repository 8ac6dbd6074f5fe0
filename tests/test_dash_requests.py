"""Malformed Dash callback requests get 400 with a Swedish reason (never a 500
from Dash's dispatcher); well-formed ones still reach the callback."""
from __future__ import annotations

import json

import pytest

from auth.dash_requests import check_callback_body
from tests.factories import build_random_warehouse

CALLBACKS = {
    "a.children": {"callback": object(), "inputs": [{"id": "x", "property": "value"}],
                   "state": [{"id": "s", "property": "data"}]},
    "clientside.children": {"inputs": [{"id": "x", "property": "value"}], "state": []},
    "p.children": {"callback": object(), "inputs": [{"id": {"type": "t", "index": "ALL"}, "property": "value"}],
                   "state": []},
}


def _body(**kw):
    body = {"output": "a.children", "outputs": {"id": "a", "property": "children"},
            "inputs": [{"id": "x", "property": "value", "value": 1}],
            "state": [{"id": "s", "property": "data", "value": None}], "changedPropIds": ["x.value"]}
    body.update(kw)
    return body


def test_a_body_that_fits_the_registered_callback_passes():
    assert check_callback_body(_body(), CALLBACKS) is None
    assert check_callback_body(
        {"output": "p.children", "inputs": [[{"id": {"type": "t", "index": 1}, "property": "value", "value": 2}]]},
        CALLBACKS) is None


@pytest.mark.parametrize("body, words", [
    ([1, 2], "JSON-objekt"),
    ({"inputs": []}, "saknar 'output'"),
    (_body(output="finns.inte"), "Okänd callback"),
    (_body(output="clientside.children"), "Okänd callback"),
    (_body(inputs=[]), "väntar 1 värden i 'inputs', fick 0"),
    (_body(state="x"), "väntar 1 värden i 'state', fick inget"),
    (_body(inputs=[{"id": "y", "property": "value"}]), "'inputs'[0] ska vara 'x'.value"),
    (_body(inputs=["x"]), "'inputs'[0]"),
    (_body(changedPropIds="x.value"), "changedPropIds"),
    (_body(outputs="a"), "'outputs'"),
])
def test_malformed_bodies_are_named(body, words):
    reason = check_callback_body(body, CALLBACKS)
    assert reason and words in reason


@pytest.fixture
def client(app, data_dir):
    from tests.auth.support import READER, logged_in_client

    build_random_warehouse(data_dir, seed=3, demo=True)
    return logged_in_client(app, *READER)


TABLE_OUTPUT = ".." + "...".join(f"{i}.{p}" for i, p in [
    ("jf-grid", "rowData"), ("jf-grid", "columnDefs"), ("jf-source", "children"), ("jf-count", "children"),
    ("jf-empty", "children"), ("jf-empty", "style"), ("jf-grid-wrap", "style"), ("jf-spor-filters", "style"),
    ("jf-ncr-filters", "style"), ("jf-files", "style")]) + ".."
TABLE_INPUTS = [{"id": i, "property": "value", "value": v} for i, v in [
    ("jf-kva", "NGB"), ("jf-period", 90), ("jf-level", "unit"), ("jf-asa", []), ("jf-prio", []),
    ("jf-narkos", []), ("jf-hem", None), ("jf-forvantad", [])]]


def test_the_real_app_answers_400_with_the_reason(client):
    client.get("/_dash-layout")
    cases = [
        ("inte json", "application/json"),
        (json.dumps({"output": "finns-inte.children", "inputs": []}), "application/json"),
        # the table callback with a missing State (Dash would raise IndexError: a 500)
        (json.dumps({"output": TABLE_OUTPUT, "inputs": TABLE_INPUTS,
                     "state": [{"id": "jf-state", "property": "data", "value": "?kva=NGB"}]}),
         "application/json"),
    ]
    for data, ctype in cases:
        r = client.post("/_dash-update-component", data=data, content_type=ctype)
        assert r.status_code == 400, r.get_data(as_text=True)[:300]
        assert "Traceback" not in r.get_data(as_text=True)
        assert r.get_json()["fel"]
    assert "väntar 2 värden i 'state', fick 1" in r.get_json()["fel"]


def test_a_real_callback_request_still_works(client):
    body = {"output": "jf-kva.options", "outputs": {"id": "jf-kva", "property": "options"},
            "inputs": [{"id": "jf-kva", "property": "search_value", "value": "knä"}],
            "state": [{"id": "jf-kva", "property": "value", "value": None},
                      {"id": "jf-kva", "property": "options", "value": []}],
            "changedPropIds": ["jf-kva.search_value"]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code in (200, 204), r.get_data(as_text=True)[:300]
