"""Regional kapacitet against independent pandas computations on generated data
(METRICS.md "Wait-time database", "Out-of-region care", "Capacity elsewhere")."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data import reference
from data.questions import capacity
from data.warehouse import Warehouse
from tests.factories import build_warehouse, random_dataset
from tests.test_queries import ref_ops


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ds = random_dataset(6, n_units=20, days=800, volume=120)
    data_dir = tmp_path_factory.mktemp("capacity")
    build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    return ds, ref_ops(ds), Warehouse(data_dir / "warehouse")


def _region(ds) -> str:
    return ds.units["region_kod"].value_counts().index[0]      # the region with the most units


def _ref_queue(ds, region, group):
    v = ds.vtd[(ds.vtd["fas"] == 2) & (ds.vtd["kva_grupp"] == group)].merge(
        ds.units[["vardenhet_hsaid", "region_kod"]], on="vardenhet_hsaid")
    v = v[v["region_kod"] == region]
    per = v.groupby("period").agg(vantande=("vantande", "sum"), over=("vantande_over_90", "sum"),
                                  genomforda=("genomforda", "sum"),
                                  nya=("nya", lambda s: s.sum() if s.notna().all() else np.nan))
    return per


def test_queue_measures_of_a_region_sum_its_units_and_leave_missing_months_out(world):
    ds, _, wh = world
    region = _region(ds)
    result = capacity.capacity(wh, region, suppress_below=0)
    m = pd.Period(ds.vtd["period"].max(), "M")
    by = {g["kva"]: g for g in result.groups}
    for group in ("NGB", "CJC"):
        per = _ref_queue(ds, region, group)
        g = by[group]
        now = per.loc[str(m)] if str(m) in per.index else None
        assert g["vantande"] == (None if now is None else int(now["vantande"]))
        if now is not None and now["vantande"]:
            assert g["andel_vantande_inom_90"] == pytest.approx((now["vantande"] - now["over"]) / now["vantande"])
        delivered = [str(m - i) for i in range(3) if str(m - i) in per.index]
        mean = per.loc[delivered, "genomforda"].mean() if delivered else 0
        if now is None or not mean:
            assert g["kotid_manader"] is None
        else:
            assert g["kotid_manader"] == pytest.approx(now["vantande"] / mean)
        nets = (per.loc[delivered, "nya"] - per.loc[delivered, "genomforda"]) if delivered else pd.Series([], dtype=float)
        if delivered and nets.notna().all():
            assert g["vaxande"] == (nets.sum() > 0)
        else:
            assert g["vaxande"] is None
    # growing queues first
    flags = [g["vaxande"] is True for g in result.groups]
    assert flags == sorted(flags, reverse=True)


def test_clearance_time_with_a_missing_month(tmp_path):
    """M-2: 10 completed, M-1: no row, M: 20 completed and 90 waiting -> 90 / 15 = 6 months."""
    units = pd.DataFrame([{"vardenhet_hsaid": "SE2321000016-K001", "namn": "Enhet K", "sjukhus": None,
                           "region_kod": "07", "agarform": "offentlig", "ort": "Växjö", "lat": 56.9, "lon": 14.8}])
    ops = pd.DataFrame([{"vardenhet_hsaid": "SE2321000016-K001", "kva_kod": "NGB01",
                         "operation_datum": pd.Timestamp("2026-11-20").date(),
                         "start_datum": pd.Timestamp("2026-09-01").date(), "akut": "N"}])
    row = {"vardenhet_hsaid": "SE2321000016-K001", "mvo": "311", "fas": 2, "kva_grupp": "NGB",
           "vantande_over_90": 30, "vantande_avvikelse": 0, "genomforda_inom_90": 5}
    vtd = pd.DataFrame([{**row, "period": "2026-08", "vantande": 80, "nya": 30, "genomforda": 10},
                        {**row, "period": "2026-10", "vantande": 90, "nya": 5, "genomforda": 20}])
    build_warehouse(tmp_path, units, ops, vtd)
    wh = Warehouse(tmp_path / "warehouse")
    (g,) = capacity.capacity(wh, "07").groups
    assert g["kotid_manader"] == pytest.approx(90 / 15) and g["vantande"] == 90
    assert g["netto_inflode"] == -15 and g["vaxande"] is True          # (30 - 10) + (5 - 20) = 5 > 0


def test_out_of_region_shares_and_flows(world):
    ds, ops, wh = world
    region = _region(ds)
    result = capacity.capacity(wh, region, kva="NGB", suppress_below=0)
    sel = ops[(ops["grp"] == "NGB") & ~ops["acute"] & ops["patient_lan"].notna()]
    sel = sel.assign(ar=sel["op"].dt.year)
    by = {(u["kva"], u["ar"]): u for u in result.utomlans}
    for ar, part in sel.groupby("ar"):
        own = part[part["patient_lan"] == region]
        performed = part[part["region_kod"] == region]
        u = by[("NGB", ar)]
        if len(own):
            assert u["andel_opererade_i_annan_region"] == pytest.approx((own["region_kod"] != region).mean())
        if len(performed):
            assert u["andel_patienter_fran_annan_region"] == pytest.approx((performed["patient_lan"] != region).mean())
    flows = {(f["ar"], f["fran_region"], f["till_region"]): f["n"] for f in result.floden}
    expected = sel[(sel["patient_lan"] == region) | (sel["region_kod"] == region)].groupby(
        ["ar", "patient_lan", "region_kod"]).size()
    assert flows == {key: int(n) for key, n in expected.items()}


def test_small_flows_are_hidden_with_a_complement(world):
    ds, _, wh = world
    region = _region(ds)
    result = capacity.capacity(wh, region, kva="NGB", suppress_below=5)
    exact = {(f["ar"], f["fran_region"], f["till_region"]): f["n"]
             for f in capacity.capacity(wh, region, kva="NGB", suppress_below=0).floden}
    assert any(f["suppressed"] for f in result.floden), "the generated data should have small flows"
    for f in result.floden:
        n = exact[(f["ar"], f["fran_region"], f["till_region"])]
        if 0 < n < 5:
            assert f["suppressed"] and f["n"] is None
        if f["suppressed"]:
            assert f["n"] is None
    # within each whole (a year's outflows of the region's patients), the hidden parts are 0 or at least 5
    for ar in {f["ar"] for f in result.floden}:
        out = [f for f in result.floden if f["ar"] == ar and f["fran_region"] == region]
        hidden = sum(exact[(ar, f["fran_region"], f["till_region"])] for f in out if f["suppressed"])
        assert hidden == 0 or hidden >= 5


def test_capacity_elsewhere(world):
    from data import geo
    from data.questions import waits

    ds, ops, wh = world
    region = _region(ds)
    result = capacity.capacity(wh, region, kva="NGB", period=365)
    own = next(r for r in waits.waits_table(wh, "NGB", 365, "region").row_records if r["id"] == region)
    expected = [r for r in waits.waits_table(wh, "NGB", 365, "unit").row_records
                if r["region_kod"] != region and r["median"] is not None and r["median"] < own["median"]]
    assert result.region_median == own["median"]
    assert {a["id"] for a in result.alternativ} == {r["id"] for r in expected}
    medians = [a["median"] for a in result.alternativ]
    assert medians == sorted(medians)
    seat = reference.regions()[region]
    for a in result.alternativ:
        unit = ds.units.set_index("vardenhet_hsaid").loc[a["id"]]
        assert a["avstand_km"] == pytest.approx(float(geo.haversine_km(seat.lat, seat.lon, unit["lat"], unit["lon"])))
