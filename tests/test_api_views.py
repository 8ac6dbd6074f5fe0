"""/api/v1/national, /capacity and /quality (issue 12, part 4): the fields
PRODUCT.md names, from the same question functions as the screen, every table
also as CSV and XLSX, bad parameters 400 naming the parameter, no answer
without logging in."""
from __future__ import annotations

import io

import openpyxl
import pytest

from data.questions import capacity, national, quality


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings
    from tests.factories import build_random_warehouse

    data_dir = tmp_path_factory.mktemp("api-views") / "var"
    build_random_warehouse(data_dir, seed=8, demo=True)
    app = create_app(make_settings(data_dir))
    return {"app": app, "client": logged_in_client(app, *READER), "anon": app.test_client()}


def _get(world, url):
    resp = world["client"].get(url)
    assert resp.status_code == 200, (url, resp.get_json())
    return resp.get_json()


def test_national_fields(world):
    body = _get(world, "/api/v1/national?kva=NGB&period=365")
    assert {"kva", "source", "data_date", "period", "months", "regions", "vantande"} <= set(body)
    assert set(body["months"][0]) == {"month", "n", "median", "p90", "andel_inom_90", "suppressed",
                                      "median_ar_innan", "andel_inom_90_ar_innan", "partial"}
    assert [m["month"] for m in body["months"] if m["partial"]] in ([], [body["data_date"][:7]])
    assert set(body["regions"][0]) == {"region_kod", "namn", "n", "median", "p90", "andel_inom_90", "suppressed"}
    assert set(body["vantande"][0]) == {"month", "region_kod", "vantande", "vantande_over_90",
                                        "andel_vantande_inom_90", "nya", "genomforda"}
    assert any(v["region_kod"] is None for v in body["vantande"])
    with world["app"].app_context():
        wh = world["app"].extensions["warehouse"]
        assert body == _orjson_round(national.to_json(national.national(wh, kva="NGB", period=365)))
    every = _get(world, "/api/v1/national?source=spor")
    assert every["kva"] is None and every["source"] == "spor" and every["period"] == 365


def _orjson_round(payload):
    import orjson

    return orjson.loads(orjson.dumps(payload))


def test_capacity_fields(world):
    body = _get(world, "/api/v1/capacity?region=01&kva=NGB&period=90")
    assert {"region_kod", "data_date", "groups", "months", "utomlans", "floden", "alternativ"} <= set(body)
    assert set(body["groups"][0]) == {"kva", "vantande", "vantande_over_90", "andel_vantande_inom_90", "nya",
                                      "genomforda", "netto_inflode", "kotid_manader", "vaxande"}
    assert set(body["months"][0]) == {"month", "kva", "vantande", "nya", "genomforda", "netto_inflode"}
    assert set(body["utomlans"][0]) == {"kva", "ar", "andel_opererade_i_annan_region",
                                        "andel_patienter_fran_annan_region"}
    assert set(body["floden"][0]) == {"kva", "ar", "fran_region", "till_region", "n", "suppressed"}
    for a in body["alternativ"]:
        assert set(a) == {"id", "namn", "region_kod", "n", "median", "avstand_km"} and a["region_kod"] != "01"
    assert _get(world, "/api/v1/capacity?region=01")["alternativ"] == []     # only with kva
    with world["app"].app_context():
        wh = world["app"].extensions["warehouse"]
        assert body == _orjson_round(capacity.to_json(capacity.capacity(wh, "01", kva="NGB", period=90)))


def test_quality_fields(world):
    body = _get(world, "/api/v1/quality?limit=10")
    assert {"sources", "loads", "avvisade", "inaktuella_enheter", "vtd_saknas"} <= set(body)
    assert set(body["sources"][0]) == {"source", "data_date", "filer", "godkanda_rader", "avvisade_rader"}
    if body["loads"]:
        assert set(body["loads"][0]) == {"fil", "kind", "inlast", "godkanda", "avvisade", "utfall", "meddelande"}
    for u in body["inaktuella_enheter"]:
        assert set(u) == {"id", "namn", "source", "senaste_operation"}
    with world["app"].app_context():
        wh = world["app"].extensions["warehouse"]
        assert body == _orjson_round(quality.to_json(quality.quality(wh, limit=10)))


@pytest.mark.parametrize("url", ["/api/v1/national?kva=NGB", "/api/v1/capacity?region=01&kva=NGB",
                                 "/api/v1/quality"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_table_downloads(world, url, fmt):
    resp = world["client"].get(url + ("&" if "?" in url else "?") + f"format={fmt}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    if fmt == "csv":
        text = resp.data.decode("utf-8-sig")
        assert text.startswith("Nationell lägesbild") and ";" in text
    else:
        ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
        assert str(ws["A1"].value).startswith("Nationell lägesbild")


@pytest.mark.parametrize("url,parameter", [
    ("/api/v1/national", "kva"),
    ("/api/v1/national?kva=NGB&source=spor", "source"),
    ("/api/v1/national?source=vtd", "source"),
    ("/api/v1/national?kva=ZZZ", "kva"),
    ("/api/v1/national?kva=NGB&period=45", "period"),
    ("/api/v1/capacity", "region"),
    ("/api/v1/capacity?region=99", "region"),
    ("/api/v1/capacity?region=7", "region"),
    ("/api/v1/capacity?region=01&kva=NG", "kva"),
    ("/api/v1/capacity?region=01&regin=02", "regin"),
    ("/api/v1/quality?limit=0", "limit"),
    ("/api/v1/quality?limit=abc", "limit"),
    ("/api/v1/quality?offset=-1", "offset"),
    ("/api/v1/quality?fil=../etc/passwd", "fil"),
    ("/api/v1/quality?format=pdf", "format"),
])
def test_bad_parameters_get_a_swedish_400_naming_the_parameter(world, url, parameter):
    resp = world["client"].get(url)
    assert resp.status_code == 400, resp.get_json()
    body = resp.get_json()
    assert body["parameter"] == parameter and body["fel"] and "Traceback" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/national?kva=NGB", "/api/v1/capacity?region=01", "/api/v1/quality"])
def test_no_answer_without_logging_in(world, url):
    assert world["anon"].get(url).status_code == 401


def test_forecast_fields(world):
    from tests.factories import build_random_warehouse  # noqa: F401 (the world's data)

    with world["app"].app_context():
        wh = world["app"].extensions["warehouse"]
        unit = next(iter(sorted(__import__("data.queries", fromlist=["unit_ids"]).unit_ids(wh))))
    body = _get(world, f"/api/v1/forecast?kva=NGB&unit={unit}")
    assert {"kva", "unit", "data_month", "kobaserad_dagar", "registerbaserad_dagar", "backtest"} <= set(body)
    for method in ("kobaserad", "registerbaserad"):
        assert {"median_abs_fel_dagar", "andel_inom_30"} <= set(body["backtest"][method])
    region = _get(world, "/api/v1/forecast?kva=NGB&region=01")
    assert region["unit"] is None and region["region"] == "01"
    for url, parameter in (("/api/v1/forecast?unit=" + unit, "kva"), ("/api/v1/forecast?kva=NGB&unit=SE1", "unit"),
                           ("/api/v1/forecast?kva=NGB&region=99", "region"),
                           (f"/api/v1/forecast?kva=NGB&unit={unit}&region=01", "unit")):
        resp = world["client"].get(url)
        assert resp.status_code == 400 and resp.get_json()["parameter"] == parameter, url
