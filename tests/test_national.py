"""Nationell utveckling against an independent pandas computation on generated
data (METRICS.md "National and regional trends", "Wait-time database")."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.questions import national
from data.warehouse import Warehouse
from tests.factories import build_warehouse, random_dataset
from tests.test_queries import ref_ops, ref_stats


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ds = random_dataset(4, n_units=18, days=900, volume=120)
    data_dir = tmp_path_factory.mktemp("national")
    build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    return ds, ref_ops(ds), Warehouse(data_dir / "warehouse")


def _month_stats(sel: pd.DataFrame, k=5) -> dict:
    out = {}
    for month, part in sel.groupby(sel["op"].dt.to_period("M")):
        s = ref_stats(part["wait"])
        out[str(month)] = s if s["n"] >= k else {"n": s["n"], "median": None, "p90": None, "andel_inom_90": None}
    return out


@pytest.mark.parametrize("kva,source", [("NGB", None), (None, "spor"), ("CJC", None)])
def test_the_national_series_pools_every_operation_and_compares_a_year_earlier(world, kva, source):
    ds, ops, wh = world
    result = national.national(wh, kva=kva, source=source)
    src = result.source
    sel = ops[(ops["src"] == src) & ~ops["acute"]]
    if kva:
        sel = sel[sel["grp"] == kva]
    d = ops[ops["src"] == src]["op"].max()
    expected = _month_stats(sel)
    last = pd.Period(d, "M")
    first = max(last - 35, sel["op"].min().to_period("M"))
    assert [m["month"] for m in result.months] == [str(p) for p in pd.period_range(first, last, freq="M")]
    for m in result.months:
        exp = expected.get(m["month"], {"n": 0, "median": None, "p90": None, "andel_inom_90": None})
        assert (m["n"] if m["n"] is not None else exp["n"]) == exp["n"]
        if exp["median"] is None:
            assert m["median"] is None and m["suppressed"] == (exp["n"] < 5)
        else:
            assert m["median"] == pytest.approx(exp["median"]) and m["p90"] == pytest.approx(exp["p90"])
            assert m["andel_inom_90"] == pytest.approx(exp["andel_inom_90"])
        before = expected.get(str(pd.Period(m["month"], "M") - 12), {"median": None, "andel_inom_90": None})
        assert m["median_ar_innan"] == (None if before["median"] is None else pytest.approx(before["median"]))
        assert m["andel_inom_90_ar_innan"] == (None if before["andel_inom_90"] is None
                                               else pytest.approx(before["andel_inom_90"]))


def test_the_national_median_is_not_a_median_of_regional_medians(world):
    ds, ops, wh = world
    result = national.national(wh, kva="NGB")
    sel = ops[(ops["grp"] == "NGB") & ~ops["acute"]]
    month = result.months[-2]
    part = sel[sel["op"].dt.to_period("M") == pd.Period(month["month"], "M")]
    pooled = float(np.percentile(part["wait"], 50, method="linear"))
    of_medians = float(np.median([np.percentile(g["wait"], 50, method="linear") for _, g in part.groupby("region_kod")]))
    assert month["median"] == pytest.approx(pooled)
    assert pooled != pytest.approx(of_medians)


def test_regions_side_by_side_equal_the_table_views_region_level(world):
    from data.questions import waits

    _, _, wh = world
    result = national.national(wh, kva="NGB", period=90)
    table = {r["id"]: r for r in waits.waits_table(wh, "NGB", 90, "region").row_records}
    assert {r["region_kod"] for r in result.regions} == set(table)
    for r in result.regions:
        t = table[r["region_kod"]]
        assert (r["n"], r["median"], r["p90"], r["suppressed"]) == (t["n"], t["median"], t["p90"], t["suppressed"])


def test_waiting_lists_sum_the_units_before_dividing(world):
    ds, _, wh = world
    result = national.national(wh, kva="NGB")
    vtd = ds.vtd[(ds.vtd["fas"] == 2) & (ds.vtd["kva_grupp"] == "NGB")].merge(
        ds.units[["vardenhet_hsaid", "region_kod"]], on="vardenhet_hsaid", suffixes=("_x", ""))
    nation = vtd.groupby("period")[["vantande", "vantande_over_90", "genomforda"]].sum()
    rows = {(v["month"], v["region_kod"]): v for v in result.vantande}
    checked = 0
    for period, sums in nation.iterrows():
        row = rows.get((period, None))
        if row is None:
            continue
        if row["vantande"] is not None:
            assert row["vantande"] == sums["vantande"] and row["genomforda"] in (sums["genomforda"], None)
            if row["andel_vantande_inom_90"] is not None:
                assert row["andel_vantande_inom_90"] == pytest.approx(
                    (sums["vantande"] - sums["vantande_over_90"]) / sums["vantande"])
            checked += 1
    assert checked >= 12
    region = ds.units["region_kod"].iloc[0]
    by_region = vtd[vtd["region_kod"] == region].groupby("period")["vantande"].sum()
    for period, total in by_region.items():
        row = rows.get((period, region))
        if row and row["vantande"] is not None:
            assert row["vantande"] == total


def test_a_small_region_month_is_hidden(world):
    _, _, wh = world
    result = national.national(wh, kva="NGB", suppress_below=10_000)
    assert all(r["n"] is None or r["n"] >= 10_000 or r["n"] == 0 for r in result.regions)
    assert all(m["median"] is None for m in result.months)


def test_the_etl_summaries_give_the_same_answers_as_the_live_queries(tmp_path):
    """national_months, region_windows and flow_counts (built once per snapshot)
    answer exactly what the questions compute from the operations."""
    from data.questions import capacity
    from data.questions.lookups import has_view_summaries

    ds = random_dataset(9, n_units=14, days=700, volume=90)
    build_warehouse(tmp_path / "with", ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    build_warehouse(tmp_path / "without", ds.units, ds.operations, ds.vtd, kva_df=ds.kva, trend_summary=False)
    summarised, live = Warehouse(tmp_path / "with" / "warehouse"), Warehouse(tmp_path / "without" / "warehouse")
    assert has_view_summaries(summarised) and not has_view_summaries(live)
    for kwargs in ({"kva": "NGB"}, {"source": "spor"}, {"kva": "CJC", "period": 30}, {"source": "ncr", "period": 90}):
        a, b = national.national(summarised, **kwargs), national.national(live, **kwargs)
        assert a.months == b.months and a.regions == b.regions and a.vantande == b.vantande, kwargs
    region = ds.units["region_kod"].iloc[0]
    for kva in (None, "NGB"):
        a, b = capacity.capacity(summarised, region, kva=kva), capacity.capacity(live, region, kva=kva)
        assert a.utomlans == b.utomlans and a.floden == b.floden and a.groups == b.groups
