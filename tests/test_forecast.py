"""Förväntad väntetid and its backtest against an independent computation on
generated data (METRICS.md "Expected wait")."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.questions import forecast
from data.warehouse import Warehouse
from tests.factories import build_warehouse, random_dataset
from tests.test_queries import ref_ops


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ds = random_dataset(12, n_units=10, days=900, volume=200)
    data_dir = tmp_path_factory.mktemp("forecast")
    build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    return ds, ref_ops(ds), Warehouse(data_dir / "warehouse")


def _ref(ds, ops, unit, kva="NGB"):
    v = ds.vtd[(ds.vtd["fas"] == 2) & (ds.vtd["kva_grupp"] == kva) & (ds.vtd["vardenhet_hsaid"] == unit)]
    per = v.groupby("period")[["vantande", "genomforda"]].sum()
    periods = [pd.Period(p, "M") for p in per.index]

    def queue_days(p):
        if str(p) not in per.index:
            return None                      # no row at M: no current estimate
        delivered = [str(p - i) for i in range(3) if str(p - i) in per.index]
        mean = per.loc[delivered, "genomforda"].mean()
        return per.loc[str(p), "vantande"] / mean * 30.44 if mean > 0 else None

    sel = ops[(ops["grp"] == kva) & ~ops["acute"] & (ops["vardenhet_hsaid"] == unit)]
    d = ops[ops["src"] == "spor"]["op"].max()
    start = pd.to_datetime(sel["start_datum"])
    now = sel[(sel["op"] > d - pd.Timedelta(days=90)) & (sel["op"] <= d)]["wait"]
    last = pd.Period(d, "M") - 12
    errors = {"kobaserad": [], "registerbaserad": []}
    for p in periods:
        if p > last:
            continue
        t_end = p.end_time.normalize()
        window = sel[(sel["op"] > t_end - pd.Timedelta(days=90)) & (sel["op"] <= t_end)]["wait"]
        listed = sel[start.dt.to_period("M") == p]["wait"]
        if not len(listed):
            continue
        actual = float(np.percentile(listed, 50, method="linear"))
        q = queue_days(p)
        if q is not None:
            errors["kobaserad"].append(abs(q - actual))
        if len(window):
            errors["registerbaserad"].append(abs(float(np.percentile(window, 50, method="linear")) - actual))
    m = pd.Period(ds.vtd["period"].max(), "M")
    return (queue_days(m), float(np.percentile(now, 50, method="linear")) if len(now) else None, errors)


def test_both_estimates_and_the_backtest_match_an_independent_computation(world):
    ds, ops, wh = world
    checked = 0
    for unit in ds.units["vardenhet_hsaid"][:6]:
        result = forecast.forecast(wh, "NGB", unit=unit, suppress_below=0)
        if not result.has_vtd:
            continue
        queue, register, errors = _ref(ds, ops, unit)
        assert result.kobaserad_dagar == (None if queue is None else pytest.approx(queue))
        assert result.registerbaserad_dagar == (None if register is None else pytest.approx(register))
        for method in forecast.METHODS:
            got = result.backtest[method]
            if errors[method]:
                assert got["median_abs_fel_dagar"] == pytest.approx(float(np.median(errors[method])))
                assert got["andel_inom_30"] == pytest.approx(np.mean([e <= 30 for e in errors[method]]))
                assert got["manader"] == len(errors[method])
                checked += 1
    assert checked >= 4


def test_the_verdict_names_the_closer_method_and_admits_when_both_are_poor():
    text = forecast.verdict({"kobaserad": {"median_abs_fel_dagar": 40.0, "andel_inom_30": 0.3, "manader": 9},
                             "registerbaserad": {"median_abs_fel_dagar": 55.0, "andel_inom_30": 0.2, "manader": 9}})
    assert text.startswith("Den köbaserade skattningen låg närmare") and "15 dagar närmare" in text
    assert "Ingen av dem låg inom ±30 dagar för ens hälften av månaderna" in text
    good = forecast.verdict({"kobaserad": {"median_abs_fel_dagar": 20.0, "andel_inom_30": 0.7, "manader": 9},
                             "registerbaserad": {"median_abs_fel_dagar": 12.0, "andel_inom_30": 0.8, "manader": 9}})
    assert good.startswith("Den registerbaserade") and "Ingen av dem" not in good


def test_small_numbers_make_no_estimate(world):
    ds, _, wh = world
    unit = ds.units["vardenhet_hsaid"][0]
    result = forecast.forecast(wh, "NGB", unit=unit, suppress_below=10_000)
    assert result.kobaserad_dagar is None and result.registerbaserad_dagar is None
    assert result.backtest["kobaserad"]["manader"] == 0


def test_the_national_backtest_pools_the_groups_months(world):
    _, _, wh = world
    bt = forecast.national_backtest(wh, suppress_below=0)
    assert bt["groups"], "the generated data has groups with wait-time-database rows"
    for method in forecast.METHODS:
        per_group = [forecast.forecast(wh, g["kva"], suppress_below=0) for g in bt["groups"]]
        errors = [abs(r[f"{method}_dagar"] - r["faktisk_dagar"]) for res in per_group for r in res.months
                  if r[f"{method}_dagar"] is not None and r["faktisk_dagar"] is not None]
        assert bt["overall"][method]["manader"] == len(errors)
        assert bt["overall"][method]["median_abs_fel_dagar"] == pytest.approx(float(np.median(errors)))


def test_om_statistiken_shows_the_backtest(app, data_dir):
    import sys

    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=12, n_units=10, days=900, volume=200, demo=True)
    with app.test_request_context("/om"):
        page = sys.modules["pages.om"].layout()
    text = str(page)
    assert "Förväntad väntetid och hur träffsäker den har varit" in text and "om-backtest-rows" in text
    assert "skattningen låg närmare" in text or "lika nära" in text


def test_jamfor_enheter_has_the_expected_wait_as_an_optional_column_in_grid_and_file(app, data_dir):
    import base64
    import csv
    import io

    from components import url_state as us
    from tests import dash_calls
    from tests.auth.support import READER, logged_in_client
    from tests.factories import build_random_warehouse

    build_random_warehouse(data_dir, seed=12, n_units=10, days=900, volume=200, demo=True)
    client = logged_in_client(app, *READER)
    values = {"jf-kva.value": "NGB", "jf-period.value": 90, "jf-level.value": "unit", "jf-asa.value": [],
              "jf-prio.value": [], "jf-narkos.value": [], "jf-hem.value": None, "jf-state.data": "",
              "jf-grid.columnDefs": []}
    plain = dash_calls.call(client, app, "jf-empty.children", {**values, "jf-forvantad.value": []})
    assert "forvantad_kob_dagar" not in [d["field"] for d in plain["jf-grid"]["columnDefs"]]
    on = dash_calls.call(client, app, "jf-empty.children", {**values, "jf-forvantad.value": [1]})
    defs = {d["field"]: d for d in on["jf-grid"]["columnDefs"]}
    assert defs["forvantad_kob_dagar"]["headerName"] == "Förväntad väntetid, köbaserad (dagar)"
    with app.app_context():
        wh = app.extensions["warehouse"]
        for row in on["jf-grid"]["rowData"]:
            expected = forecast.forecast(wh, "NGB", unit=row["id"]).kobaserad_dagar
            assert row["forvantad_kob_dagar"] == (None if expected is None else pytest.approx(expected))
    assert any(r["forvantad_kob_dagar"] is not None for r in on["jf-grid"]["rowData"])
    state = us.decode("?kva=NGB&period=90&level=unit&forvantad=1")
    assert state.forvantad and us.encode(state).endswith("forvantad=1")
    download = dash_calls.call(client, app, "jf-download.data", {
        "jf-dl-csv.n_clicks": 1, "jf-dl-xlsx.n_clicks": None, "jf-grid.virtualRowData": None,
        "jf-state.data": us.encode(state)})["jf-download"]["data"]
    text = base64.b64decode(download["content"]).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert any("Förväntad väntetid, köbaserad:" in r[0] for r in table[:12] if r)
    header = next(r for r in table if r and r[0] == "Enhet")
    assert "Förväntad väntetid, köbaserad (dagar)" in header
