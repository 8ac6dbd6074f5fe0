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
    return (queue_days(periods[-1]), float(np.percentile(now, 50, method="linear")) if len(now) else None, errors)


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
