"""The pages through the real Flask app (no browser): layouts from the URL,
empty states, the unknown unit, and the table callback over HTTP checked
against an independent pandas count of the generated data."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.factories import build_random_warehouse


def _page(name: str):
    """A page module as Dash Pages imported it (sys.modules, not a package attribute)."""
    import sys

    return sys.modules[f"pages.{name}"]


def _texts(node) -> str:
    out = []

    def walk(c):
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
        elif hasattr(c, "children"):
            walk(c.children)
    walk(node)
    return " ".join(out)


@pytest.fixture
def dataset(data_dir):
    return build_random_warehouse(data_dir, seed=11, demo=True)


def test_a_page_before_its_scripts_run_is_swedish(auth_client):
    """What the browser shows while the scripts load (a slow hospital
    network) is Swedish, and the page says it is in Swedish."""
    html = auth_client.get("/nationellt").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert 'role="status">Laddar sidan …<' in html
    assert "Loading..." not in html and "Internet Explorer" not in html


def test_pages_without_data_say_so(app):
    with app.test_request_context("/"):
        assert "Inga data är inlästa ännu." in _texts(_page("jamfor").layout())
        assert "Inga data är inlästa ännu." in _texts(_page("enhet").layout(hsa_id="SE1"))
        assert "Inga data är inlästa ännu." in _texts(_page("om").layout())


def test_layout_restores_state_from_query_and_unknown_unit(app, dataset):
    from components import ids

    jamfor, enhet = _page("jamfor"), _page("enhet")
    with app.test_request_context("/"):
        page = jamfor.layout(kva="cjc", period="365", level="region", asa="3", narkos="1", hem="Lund")
        found = {}

        def walk(c):
            if hasattr(c, "id") and getattr(c, "id", None):
                found[c.id] = c
            for child in (c.children if isinstance(getattr(c, "children", None), list)
                          else [getattr(c, "children", None)]):
                if child is not None and not isinstance(child, str):
                    walk(child)
        walk(page)
        assert found[ids.JF_KVA].value == "CJC"
        assert found[ids.JF_PERIOD].value == 365 and found[ids.JF_LEVEL].value == "region"
        assert found[ids.JF_ASA].value == []             # ASA does not apply to cataract (NCR)
        assert found[ids.JF_NARKOS].value == [1] and found[ids.JF_HEM].value == "Lund"
        assert found[ids.JF_SPOR_FILTERS].style == {"display": "none"}
        assert found[ids.JF_STATE].data == "?kva=CJC&period=365&level=region&narkos=1&hem=Lund"
        kiruna = jamfor.layout(kva="NGB", hem="Atlantis")
        found.clear()
        walk(kiruna)
        assert found[ids.JF_HEM].value == "Atlantis"
        assert found[ids.JF_HEM].options[0]["label"] == "Atlantis (okänd ort)"
        assert "avstand_km" not in [d["field"] for d in found[ids.JF_GRID].columnDefs]
        found.clear()
        walk(jamfor.layout(kva="QQQ"))        # a group not in the catalogue: no register guessed for it
        assert [o["label"] for o in found[ids.JF_KVA].options] == ["QQQ – finns inte i katalogen"]
        unknown = _texts(enhet.layout(hsa_id="SE9999999999-X"))
        assert "Okänd enhet" in unknown and "SE9999999999-X" in unknown
        came_from = enhet.layout(hsa_id=dataset.units["vardenhet_hsaid"][5], kva="NGB",
                                 fran="kva=NGB&period=30&asa=3&hem=Lund&evil=1")
        found.clear()
        walk(came_from)
        assert found[ids.EH_BACK].href == "/?kva=NGB&period=30&level=unit&asa=3&hem=Lund"
        known = _texts(enhet.layout(hsa_id=dataset.units["vardenhet_hsaid"][5], kva="NGB"))
        assert dataset.units["namn"][5] in known and "Okänd enhet" not in known


def test_table_callback_over_http_matches_independent_count(app, dataset):
    from tests.auth.support import READER, logged_in_client

    client = logged_in_client(app, *READER)
    outputs = [("jf-grid", "rowData"), ("jf-grid", "columnDefs"), ("jf-source", "children"),
               ("jf-count", "children"), ("jf-empty", "children"), ("jf-empty", "style"),
               ("jf-grid-wrap", "style"), ("jf-spor-filters", "style"), ("jf-ncr-filters", "style"),
               ("jf-files", "style")]
    inputs = [("jf-kva", "value", "NGB"), ("jf-period", "value", 90), ("jf-level", "value", "unit"),
              ("jf-asa", "value", [3, 4]), ("jf-prio", "value", []), ("jf-narkos", "value", []),
              ("jf-hem", "value", "01"), ("jf-forvantad", "value", [])]
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": ["jf-kva.value"],
        "state": [{"id": "jf-state", "property": "data", "value": "?kva=NGB"},
                  {"id": "jf-grid", "property": "columnDefs", "value": []}],
    }
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:500]
    rows = r.get_json()["response"]["jf-grid"]["rowData"]
    defs = r.get_json()["response"]["jf-grid"]["columnDefs"]
    assert rows and [d["field"] for d in defs][:2] == ["namn", "region_namn"]

    # The same columns already in the grid: they are left alone (a filter set
    # on them, e.g. from a shared URL, stays), the rows are still sent.
    body["state"][1]["value"] = defs
    again = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert again.status_code == 200
    assert "columnDefs" not in again.get_json()["response"]["jf-grid"]
    assert again.get_json()["response"]["jf-grid"]["rowData"] == rows

    # Independent count: non-acute, not deleted NGB operations with ASA 3-4 in (D - 90, D].
    ops = dataset.operations
    ops = ops[ops["status"].fillna("") != "makulerad"]
    d = dataset.end_date
    op_date = ops["operation_datum"].map(lambda v: v if isinstance(v, dt.date) else v.date())
    sel = ops[(ops["kva_kod"].str[:3] == "NGB") & (ops["akut"] != "J") & ops["asa_klass"].isin([3, 4])
              & (op_date > d - dt.timedelta(days=90)) & (op_date <= d)]
    expected = sel.groupby("vardenhet_hsaid").size().to_dict()
    assert {r["id"] for r in rows} == set(expected)
    for row in rows:
        n = expected[row["id"]]
        if n < 5:
            assert row["suppressed"] and row["n_txt"] == "<5" and row["median"] is None
        else:
            # the true count, or withheld so that a small count elsewhere in the region cannot be derived
            assert (row["n"], row["n_txt"]) in ((n, str(n)), (None, "dold"))
            waits = sorted((sel[sel["vardenhet_hsaid"] == row["id"]]["operation_datum"]
                            - sel[sel["vardenhet_hsaid"] == row["id"]]["start_datum"]).map(lambda x: x.days))
            mid = len(waits) // 2
            median = waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2
            assert row["median"] == pytest.approx(median)
        assert row["href"] == f"/enhet/{row['id']}?kva=NGB"
        assert "avstand_km" in row  # home region 01 given: the distance column is there
    response = r.get_json()["response"]
    assert "ASA 3, 4" in json.dumps(response["jf-source"]["children"], ensure_ascii=False)
    assert "okänd" not in json.dumps(response, ensure_ascii=False)

    # A home that is no region or town of the catalogue: the rows come without distances, and the view says why.
    body["inputs"][-2]["value"] = "Atlantis"  # jf-hem (the last input is jf-forvantad)
    body["state"][1]["value"] = []
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    response = r.get_json()["response"]
    assert response["jf-grid"]["rowData"] and all(row.get("avstand_km") is None for row in response["jf-grid"]["rowData"])
    assert "avstand_km" not in [d["field"] for d in response["jf-grid"]["columnDefs"]]
    assert "Orten ”Atlantis” finns inte bland Sveriges orter" in json.dumps(response["jf-source"]["children"],
                                                                          ensure_ascii=False)
    assert response["jf-ncr-filters"]["style"] == {"display": "none"}
    assert response["jf-files"]["style"] == {}   # rows: the CSV and XLSX buttons are offered

    # A group that is not in the catalogue: no table, so no file to download either.
    body["inputs"][0]["value"] = "QQQ"
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    response = r.get_json()["response"]
    assert "QQQ finns inte i katalogen" in json.dumps(response["jf-empty"]["children"], ensure_ascii=False)
    assert response["jf-grid-wrap"]["style"] == response["jf-files"]["style"] == {"display": "none"}
    assert response["jf-spor-filters"]["style"] == response["jf-ncr-filters"]["style"] == {"display": "none"}


def test_download_writes_the_rows_shown_with_the_servers_values_and_is_audited(app, dataset):
    """The grid's rows give only which ids are shown and their order; every
    value in the file is the server's, the API's file of the same question."""
    import base64

    from auth import audit
    from data.context import get_warehouse
    from data.questions import waits
    from tests.auth.support import READER, logged_in_client

    client = logged_in_client(app, *READER)
    with app.app_context():
        result = waits.waits_table(get_warehouse(), "NGB", 90, "unit")
    real = [r["id"] for r in result.row_records]
    assert len(real) >= 3
    shown = [real[2], real[0]]  # the grid's order (sorted and filtered there)
    grid = [{"id": shown[0], "namn": "=forged", "n": 99999, "median": 1.0},
            {"id": shown[1], "namn": "Forged", "n": 1, "median": None},
            {"id": "SE0000000000-FORGED", "namn": "Ingen", "n": 5}]
    body = {
        "output": "jf-download.data", "outputs": {"id": "jf-download", "property": "data"},
        "inputs": [{"id": "jf-dl-csv", "property": "n_clicks", "value": 1},
                   {"id": "jf-dl-xlsx", "property": "n_clicks", "value": None}],
        "changedPropIds": ["jf-dl-csv.n_clicks"],
        "state": [{"id": "jf-grid", "property": "virtualRowData", "value": grid},
                  {"id": "jf-state", "property": "data", "value": "?kva=NGB&period=90&level=unit"}],
    }
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:500]
    data = r.get_json()["response"]["jf-download"]["data"]
    assert data["filename"] == (f"vantetider_NGB_90-dagar_enheter_{result.data_date.isoformat()}"
                                + ("_DEMO" if result.demo else "") + ".csv")
    raw = base64.b64decode(data["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    head, _, body_text = raw.decode("utf-8-sig").partition("\r\n\r\n")
    lines = body_text.splitlines()
    assert lines[0].split(";")[:4] == ["Enhet", "Sjukhus", "Ort", "Region"]
    assert len(lines) == 3 and "forged" not in body_text.lower() and "FORGED" not in body_text
    entries = audit.recent(app.extensions["auth_db"], action="export")
    # auth/ audits every download from a page (one entry, with the view's query).
    assert len(entries) == 1 and entries[0].format == "csv" and "kva=NGB" in entries[0].params
    api = client.get("/api/v1/waits?kva=NGB&period=90&level=unit&format=csv").data.decode("utf-8-sig")
    api_lines = {line.split(";")[5]: line for line in api.partition("\r\n\r\n")[2].splitlines()[1:]}
    assert lines[1:] == [api_lines[i] for i in shown]  # the API's rows, in the grid's order


def test_om_lists_the_sources_registers_first(app):
    om = _page("om")
    meta = {"sources": [{"source": s, "data_date": dt.date(2026, 11, 20) if s in {"spor", "ncr"} else None,
                         "records": r} for s, r in (("kva", 348), ("ncr", 12823), ("spor", 62536),
                                                     ("vardenheter", 41), ("vtd", 28068))]}
    rows = om.source_table(meta).children[1].children
    texts = [_texts(r) for r in rows]
    assert [_texts(r.children[0]) for r in rows] == [
        "Svenskt Perioperativt Register (SPOR)", "Nationella Kataraktregistret (NCR)", "Väntetidsdatabasen",
        "Enhetskatalogen", "KVÅ-katalogen"]
    assert "t.o.m. 2026-11-20" in texts[0] and "62 536" in texts[0].replace("\u00a0", " ")
    assert "Inga data" in _texts(om.source_table(None))
