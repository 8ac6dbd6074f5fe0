"""The read-side statistics against an independent pandas/numpy computation.

The reference implementation below works on the raw generated DataFrames
(never on the warehouse) and follows METRICS.md word by word; the query
functions compute in DuckDB. Both must agree for every window, level and
filter on several random data sets.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from common.text import fold
from data import queries as Q
from data import reference
from data.warehouse import Warehouse
from tests.factories import build_warehouse, random_dataset

SEEDS = (1, 2, 3)
D = dt.date(2026, 11, 20)


# ---------------------------------------------------------------------------
# Independent reference computation (pandas + numpy.percentile(method="linear"))
# ---------------------------------------------------------------------------

def ref_ops(ds) -> pd.DataFrame:
    ops = ds.operations.copy()
    ops = ops[ops["status"].fillna("") != "makulerad"]
    ops["grp"] = ops["kva_kod"].str.upper().str[:3]
    ops["src"] = np.where(ops["grp"].isin(["CJC", "CJD", "CJE"]), "ncr", "spor")
    ops["op"] = pd.to_datetime(ops["operation_datum"])
    ops["wait"] = (ops["op"] - pd.to_datetime(ops["start_datum"])).dt.days
    ops["acute"] = ops["akut"] == "J"
    ops = ops.merge(ds.units[["vardenhet_hsaid", "region_kod"]], on="vardenhet_hsaid")
    return ops


def ref_stats(waits) -> dict:
    w = np.asarray(waits, dtype=float)
    return {
        "n": len(w),
        "median": float(np.percentile(w, 50, method="linear")),
        "p90": float(np.percentile(w, 90, method="linear")),
        "andel_inom_90": float(np.mean(w <= 90)),
    }


def ref_waits(ops, kva, period, level, asa=None, prio=None, narkos=False, suppress_below=5):
    src = "ncr" if kva in ("CJC", "CJD", "CJE") else "spor"
    s = ops[ops["src"] == src]
    d = s["op"].max()
    sel = s[(s["grp"] == kva) & ~s["acute"]]
    win = sel[(sel["op"] > d - pd.Timedelta(days=period)) & (sel["op"] <= d)]
    if asa:
        win = win[win["asa_klass"].isin(list(asa))]
    if prio:
        win = win[win["bortre_tidsgrans"].isin(list(prio))]
    if narkos:
        win = win[win["anestesi"] == "narkos"]
    last365 = sel[(sel["op"] > d - pd.Timedelta(days=365)) & sel["asa_klass"].notna()]
    latest = s.groupby("vardenhet_hsaid")["op"].max()  # acute rows count for freshness
    key = {"unit": "vardenhet_hsaid", "region": "region_kod", "nation": "riket"}[level]
    win, last365 = win.assign(riket="SE"), last365.assign(riket="SE")
    out = {}
    for k, g in win.groupby(key):
        row = ref_stats(g["wait"])
        asa_rows = last365[last365[key] == k]
        row["asa34_andel"] = (
            float(asa_rows["asa_klass"].isin([3, 4]).mean())
            if src == "spor" and len(asa_rows) >= suppress_below else None
        )
        row["suppressed"] = row["n"] < suppress_below
        if row["suppressed"]:
            row.update(median=None, p90=None, andel_inom_90=None, asa34_andel=None)
        stale = latest[g["vardenhet_hsaid"].unique()] <= d - pd.Timedelta(days=42)
        row["inaktuell"] = bool(stale.iloc[0]) if level == "unit" else int(stale.sum())
        out[k] = row
    # Secondary suppression (written here independently of data/suppression.py):
    # within each region (unit level) or the nation (region level), while the
    # hidden counts sum to 1..k-1, hide the smallest shown count (ties by id).
    # A region hidden in the region answer keeps >= k of its units' operations hidden.
    part_of = (win.groupby("vardenhet_hsaid")["region_kod"].first().to_dict() if level == "unit"
               else {i: "SE" for i in out})
    region_hidden = set()
    if level == "unit":
        regions = ref_waits(ops, kva, period, "region", asa, prio, narkos, suppress_below)
        region_hidden = {i for i, r in regions.items() if r["n"] is None}
    for whole in set(part_of.values()):
        ids = sorted((i for i in out if part_of[i] == whole), key=lambda i: (out[i]["n"], str(i)))
        hidden = {i for i in ids if 0 < out[i]["n"] < suppress_below}
        for i in ids:
            hidden_sum = sum(out[j]["n"] for j in hidden)
            if not (0 < hidden_sum < suppress_below or (whole in region_hidden and hidden_sum < suppress_below)):
                break
            hidden.add(i)
        for i in ids:
            out[i]["n_suppressed"] = i in hidden and not out[i]["suppressed"]
            if i in hidden:
                out[i]["n"] = None
            if out[i]["n_suppressed"]:
                out[i].update(andel_inom_90=None, asa34_andel=None)
    return out


def assert_rows_match(result, expected):
    rows = {r["id"]: r for r in result.records()}
    assert set(rows) == set(expected)
    for k, exp in expected.items():
        got = rows[k]
        assert got["n"] == exp["n"], k
        assert got["suppressed"] == exp["suppressed"], k
        assert got["n_suppressed"] == exp["n_suppressed"], k
        assert got["inaktuell"] == exp["inaktuell"], k
        for col in ("median", "p90", "andel_inom_90", "asa34_andel"):
            if exp[col] is None:
                assert got[col] is None, (k, col)
            else:
                assert got[col] == pytest.approx(exp[col], rel=1e-12, abs=1e-12), (k, col)


# ---------------------------------------------------------------------------
# Fixtures: one warehouse per seed, shared by the module
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    out = {}
    for seed in SEEDS:
        ds = random_dataset(seed, end_date=D)
        data_dir = tmp_path_factory.mktemp(f"seed{seed}")
        build_warehouse(data_dir, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
        out[seed] = (ds, ref_ops(ds), Warehouse(data_dir / "warehouse"))
    yield out
    for _, _, wh in out.values():
        wh.close()


SPOR_FILTERS = [
    {},
    {"asa": (3, 4)},
    {"asa": (1,)},
    {"prio": ("3m", "6m")},
    {"prio": ("1v", "2v", "4v")},
    {"asa": (2, 3), "prio": ("6m", "12m")},
]
NCR_FILTERS = [{}, {"narkos": True}]
CASES = [(kva, f) for kva in ("NGB", "JAB") for f in SPOR_FILTERS] + [("CJC", f) for f in NCR_FILTERS]
# Every case on the first seed; a spread of cases on the others (keeps the suite lean).
SEED_CASES = [(SEEDS[0], kva, f) for kva, f in CASES] + [
    (seed, kva, f) for seed in SEEDS[1:]
    for kva, f in (("NGB", {}), ("NGB", {"asa": (2, 3), "prio": ("6m", "12m")}), ("JAB", {"asa": (1,)}),
                   ("CJC", {}), ("CJC", {"narkos": True}))
]


@pytest.mark.parametrize("period", Q.PERIODS)
@pytest.mark.parametrize("level", Q.QUERY_LEVELS)
@pytest.mark.parametrize("seed,kva,filters", SEED_CASES,
                         ids=[f"seed{s}-{k}-{sorted(f.items())}" for s, k, f in SEED_CASES])
def test_waits_table_matches_independent_computation(worlds, seed, period, level, kva, filters):
    ds, ops, wh = worlds[seed]
    result = Q.waits_table(wh, kva, period, level, Q.Filters(**filters))
    assert result.data_date == D
    assert result.source == ("ncr" if kva == "CJC" else "spor")
    expected = ref_waits(ops, kva, period, level, **filters)
    assert expected, "the generated data should give rows"
    assert_rows_match(result, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_suppression_happens_in_generated_data(worlds, seed):
    _, _, wh = worlds[seed]
    rows = Q.waits_table(wh, "NGB", 30, "unit").rows
    assert rows["suppressed"].any() and (~rows["suppressed"]).any()


@pytest.mark.parametrize("suppress_below", [1, 3, 10, 40])
def test_suppression_threshold_is_configurable(worlds, suppress_below):
    ds, ops, wh = worlds[1]
    result = Q.waits_table(wh, "NGB", 90, "unit", suppress_below=suppress_below)
    assert_rows_match(result, ref_waits(ops, "NGB", 90, "unit", suppress_below=suppress_below))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scope", ["nation", "unit", "region"])
@pytest.mark.parametrize("kva,filters", [("NGB", {}), ("NGB", {"asa": (3, 4)}), ("NFB", {"prio": ("3m",)}),
                                         ("CJC", {}), ("CJE", {"narkos": True})])
def test_trend_matches_independent_computation(worlds, seed, scope, kva, filters):
    ds, ops, wh = worlds[seed]
    src = "ncr" if kva.startswith("CJ") else "spor"
    s = ops[ops["src"] == src]
    d = s["op"].max()
    sel = s[(s["grp"] == kva) & ~s["acute"]]
    if filters.get("asa"):
        sel = sel[sel["asa_klass"].isin(filters["asa"])]
    if filters.get("prio"):
        sel = sel[sel["bortre_tidsgrans"].isin(filters["prio"])]
    if filters.get("narkos"):
        sel = sel[sel["anestesi"] == "narkos"]
    kwargs = {}
    if scope == "unit":
        kwargs["unit"] = sel["vardenhet_hsaid"].value_counts().index[0]
        sel = sel[sel["vardenhet_hsaid"] == kwargs["unit"]]
    elif scope == "region":
        kwargs["region"] = sel["region_kod"].value_counts().index[0]
        sel = sel[sel["region_kod"] == kwargs["region"]]
    result = Q.trend(wh, kva, filters=Q.Filters(**filters), **kwargs)
    assert result.scope == scope
    months = result.records()
    assert len(months) == 18
    assert months[-1]["month"] == d.strftime("%Y-%m")
    expected_months = [str(p) for p in pd.period_range(end=pd.Period(d, "M"), periods=18, freq="M")]
    assert [m["month"] for m in months] == expected_months
    for m in months:
        g = sel[sel["op"].dt.strftime("%Y-%m") == m["month"]]
        # A month of 1-4 operations keeps no count (small numbers stay hidden where they are made).
        assert m["n"] == (None if 0 < len(g) < 5 else len(g))
        assert m["suppressed"] == (len(g) < 5)
        if len(g) < 5:
            assert m["median"] is None and m["p90"] is None
        else:
            exp = ref_stats(g["wait"])
            assert m["median"] == pytest.approx(exp["median"], rel=1e-12)
            assert m["p90"] == pytest.approx(exp["p90"], rel=1e-12)
            assert m["andel_inom_90"] == pytest.approx(exp["andel_inom_90"], rel=1e-12)


# ---------------------------------------------------------------------------
# Hand-made data: each rule of METRICS.md on its own
# ---------------------------------------------------------------------------

def unit(hsaid, region="01", agarform="offentlig", ort="Stockholm", lat=59.3, lon=18.0):
    return {"vardenhet_hsaid": hsaid, "namn": f"Enhet {hsaid[-3:]}", "sjukhus": None, "region_kod": region,
            "agarform": agarform, "ort": ort, "lat": lat, "lon": lon}


def op(hsaid, kva, days_before_d, wait, akut="N", asa=None, prio=None, anestesi=None, d=D):
    opdate = d - dt.timedelta(days=days_before_d)
    return {"vardenhet_hsaid": hsaid, "kva_kod": kva, "operation_datum": opdate,
            "start_datum": opdate - dt.timedelta(days=wait), "akut": akut, "asa_klass": asa,
            "bortre_tidsgrans": prio, "anestesi": anestesi}


def make_wh(tmp_path, units, ops):
    build_warehouse(tmp_path, pd.DataFrame(units), pd.DataFrame(ops))
    return Warehouse(tmp_path / "warehouse")


U = [f"SE2321000016-T{i:03d}" for i in range(10)]


def test_suppression_edges_n4_and_n5(tmp_path):
    # U[0] (4) and U[2] (1) in regions of their own: hidden together they are 5, so no
    # secondary suppression falls on U[1] (tested below)
    ops = [op(U[0], "NGB01", i, 10 * i) for i in range(4)] + [op(U[1], "NGB01", i, 10 * i) for i in range(5)]
    wh = make_wh(tmp_path, [unit(U[0], "01"), unit(U[1], "12"), unit(U[2], "14")],
                 ops + [op(U[2], "NGB01", 0, 1)])
    rows = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30).records()}
    assert rows[U[0]]["n"] is None and rows[U[0]]["suppressed"] is True  # 4: hidden where it is made
    assert {r["id"]: r["n"] for r in Q.waits_table(wh, "NGB", 30, suppress_below=0).records()}[U[0]] == 4
    assert all(rows[U[0]][c] is None for c in ("median", "p90", "andel_inom_90", "asa34_andel"))
    assert rows[U[1]]["n"] == 5 and rows[U[1]]["suppressed"] is False
    assert rows[U[1]]["median"] == 20.0 and rows[U[1]]["p90"] == pytest.approx(36.0)
    rows4 = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30, suppress_below=4).records()}
    assert rows4[U[0]]["suppressed"] is False and rows4[U[0]]["median"] == 15.0
    rows6 = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30, suppress_below=6).records()}
    assert rows6[U[1]]["suppressed"] is True and rows6[U[1]]["median"] is None


def test_secondary_suppression_protects_a_region_total(tmp_path):
    """The penetration test's example: region 01 = U[0] (4) + U[1] (5) + U[2] (9).
    Without secondary suppression the region's n (18) less the shown 5 and 9
    gives U[0]'s 4. Now the next-smallest unit (U[1]) loses its n and shares
    (its median stays). Regions against the nation the same way: region 12 (3)
    is hidden, so the next-smallest region (13, 6) is withheld too."""
    ops = ([op(U[0], "NGB01", i, 10) for i in range(4)] + [op(U[1], "NGB01", i, 20 + i) for i in range(5)]
           + [op(U[2], "NGB01", i, 30) for i in range(9)] + [op(U[3], "NGB01", i, 40) for i in range(3)]
           + [op(U[4], "NGB01", i, 50) for i in range(20)] + [op(U[5], "NGB01", i, 60) for i in range(6)])
    wh = make_wh(tmp_path, [unit(U[0], "01"), unit(U[1], "01"), unit(U[2], "01"), unit(U[3], "12"),
                            unit(U[4], "14"), unit(U[5], "13")], ops)
    units = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30).records()}
    regions = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30, "region").records()}
    nation = Q.waits_table(wh, "NGB", 30, "nation").records()[0]
    assert regions["01"]["n"] == 18 and units[U[2]]["n"] == 9 and nation["n"] == 47
    assert units[U[0]]["n"] is None and units[U[0]]["suppressed"] is True
    assert units[U[1]]["n"] is None and units[U[1]]["n_suppressed"] is True
    assert units[U[1]]["median"] == 22.0 and units[U[1]]["andel_inom_90"] is None
    assert units[U[1]]["suppressed"] is False and units[U[2]]["n_suppressed"] is False
    # The differencing of the penetration test now gives 9, not a small count
    shown = sum(r["n"] for r in units.values() if r["region_kod"] == "01" and r["n"] is not None)
    assert regions["01"]["n"] - shown == 9
    # Region 13 is withheld in the region answer, so its only unit is withheld in the unit answer
    # (else the nation less regions 01 and 14 less U[5] would give region 12's 3)
    assert units[U[3]]["n"] is None and units[U[5]]["n"] is None and units[U[5]]["n_suppressed"] is True
    assert nation["n"] - sum(r["n"] or 0 for r in units.values()) == 18
    assert regions["12"]["n"] is None and regions["12"]["suppressed"] is True
    assert regions["13"]["n"] is None and regions["13"]["n_suppressed"] is True and regions["13"]["median"] == 60
    assert nation["n"] - sum(r["n"] or 0 for r in regions.values()) == 9
    assert regions["14"]["n"] == 20 and regions["01"]["n_suppressed"] is False


def test_median_interpolates_even_n_and_p90_linear(tmp_path):
    waits = [10, 20, 30, 40, 50, 60]
    wh = make_wh(tmp_path, [unit(U[0])], [op(U[0], "NGB01", 1, w) for w in waits])
    row = Q.waits_table(wh, "NGB", 30).records()[0]
    assert row["median"] == 35.0  # mean of the two middle values
    assert row["p90"] == pytest.approx(55.0)  # 50 + 0.5 * (60 - 50)
    assert row["andel_inom_90"] == 1.0


def test_share_within_90_counts_exactly_90_days(tmp_path):
    wh = make_wh(tmp_path, [unit(U[0])], [op(U[0], "NGB01", 1, w) for w in (89, 90, 91, 92, 500)])
    assert Q.waits_table(wh, "NGB", 30).records()[0]["andel_inom_90"] == pytest.approx(2 / 5)


def test_acute_operations_are_never_counted(tmp_path):
    ops = [op(U[0], "NGB01", 1, w) for w in (10, 20, 30, 40, 50)]
    ops += [op(U[0], "NGB01", 1, 999, akut="J") for _ in range(5)]
    ops += [op(U[1], "NGB01", 1, 5, akut="J") for _ in range(6)]  # a unit with only acute rows
    wh = make_wh(tmp_path, [unit(U[0]), unit(U[1])], ops)
    rows = Q.waits_table(wh, "NGB", 30).records()
    assert [r["id"] for r in rows] == [U[0]]
    assert rows[0]["n"] == 5 and rows[0]["median"] == 30.0
    trend = Q.trend(wh, "NGB").records()
    assert trend[-1]["n"] == 5


@pytest.mark.parametrize("period", Q.PERIODS)
def test_window_is_half_open_d_minus_n_to_d(tmp_path, period):
    # 5 operations exactly N days before D (outside) and 5 at N-1 days (inside).
    ops = [op(U[0], "NGB01", period, 1000) for _ in range(5)]
    ops += [op(U[0], "NGB01", period - 1, 7) for _ in range(5)]
    ops += [op(U[1], "NGB01", 0, 1) for _ in range(5)]  # nothing small: no secondary suppression
    wh = make_wh(tmp_path, [unit(U[0], "01"), unit(U[1], "12")], ops)
    rows = {r["id"]: r for r in Q.waits_table(wh, "NGB", period).records()}
    assert rows[U[0]]["n"] == 5 and rows[U[0]]["median"] == 7.0
    result = Q.waits_table(wh, "NGB", period)
    assert result.window == (D - dt.timedelta(days=period - 1), D)


def test_data_date_is_latest_operation_of_the_source_not_today(tmp_path):
    d_spor = dt.date(2025, 3, 31)
    ops = [op(U[0], "NGB01", i, 10, d=d_spor) for i in range(5)]
    ops += [op(U[0], "CJC01", i, 10, d=dt.date(2025, 2, 10), anestesi="lokal") for i in range(5)]
    wh = make_wh(tmp_path, [unit(U[0])], ops)
    assert Q.waits_table(wh, "NGB", 30).data_date == d_spor
    assert Q.waits_table(wh, "CJC", 30).data_date == dt.date(2025, 2, 10)
    assert Q.trend(wh, "CJC").records()[-1]["month"] == "2025-02"


def test_region_pools_waits_not_median_of_medians(tmp_path):
    units = [unit(U[0], "01"), unit(U[1], "01"), unit(U[2], "01"), unit(U[3], "12")]
    waits = {U[0]: [1, 2, 3, 4, 5], U[1]: [10, 20, 30, 40, 50, 60, 70], U[2]: [200] * 3, U[3]: [7] * 5}
    ops = [op(h, "NGB01", 3, w) for h, ws in waits.items() for w in ws]
    wh = make_wh(tmp_path, units, ops)
    rows = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30, "region").records()}
    pooled = waits[U[0]] + waits[U[1]] + waits[U[2]]
    nation = Q.waits_table(wh, "NGB", 30, "nation").records()
    assert len(nation) == 1 and nation[0]["id"] == "SE" and nation[0]["namn"] == "Hela riket"
    assert nation[0]["n"] == 20 and nation[0]["antal_enheter"] == 4
    assert nation[0]["median"] == float(np.percentile(pooled + waits[U[3]], 50))
    assert rows["01"]["n"] == 15 and rows["01"]["antal_enheter"] == 3
    assert rows["01"]["median"] == float(np.percentile(pooled, 50)) == 30.0
    assert rows["01"]["median"] != float(np.median([3, 40, 200]))  # 40: the median of medians
    assert rows["01"]["p90"] == pytest.approx(float(np.percentile(pooled, 90, method="linear")))
    assert rows["01"]["namn"] == "Stockholm" and rows["12"]["namn"] == "Skåne"


def test_asa34_share_uses_last_365_days_whatever_the_window_and_filters(tmp_path):
    ops = [op(U[0], "NGB01", 0, 10, asa=1) for _ in range(5)]           # in the 30-day window
    ops += [op(U[0], "NGB01", 200, 10, asa=3) for _ in range(3)]        # earlier this year
    ops += [op(U[0], "NGB01", 300, 10, asa=4)]
    ops += [op(U[0], "NGB01", 100, 10, asa=None) for _ in range(4)]     # no ASA: not in the denominator
    ops += [op(U[0], "NGB01", 100, 10, asa=4, akut="J") for _ in range(4)]  # acute: never counted
    ops += [op(U[0], "NGB01", 365, 10, asa=3) for _ in range(6)]        # exactly 365 days: outside
    wh = make_wh(tmp_path, [unit(U[0])], ops)
    expected = 4 / 9
    for period in Q.PERIODS:
        assert Q.waits_table(wh, "NGB", period).records()[0]["asa34_andel"] == pytest.approx(expected)
    filtered = Q.waits_table(wh, "NGB", 30, filters=Q.Filters(asa=(1,))).records()[0]
    assert filtered["n"] == 5 and filtered["asa34_andel"] == pytest.approx(expected)
    region = Q.waits_table(wh, "NGB", 30, "region").records()[0]
    assert region["asa34_andel"] == pytest.approx(expected)


def test_asa34_share_is_suppressed_with_too_few_asa_classes_and_absent_for_ncr(tmp_path):
    ops = [op(U[0], "NGB01", 1, 10, asa=3 if i < 4 else None) for i in range(8)]
    ops += [op(U[0], "CJC01", 1, 10, anestesi="narkos") for _ in range(8)]
    wh = make_wh(tmp_path, [unit(U[0])], ops)
    row = Q.waits_table(wh, "NGB", 30).records()[0]
    assert row["n"] == 8 and row["median"] == 10.0 and row["asa34_andel"] is None
    assert Q.waits_table(wh, "CJC", 30).records()[0]["asa34_andel"] is None


def test_filters_select_operations(tmp_path):
    ops = [op(U[0], "NGB01", 1, 10, asa=a, prio=p) for a, p in
           [(1, "3m"), (2, "3m"), (3, "6m"), (4, "6m"), (None, "6m"), (3, None), (5, "12m")] * 5]
    ops += [op(U[0], "CJC01", 1, w, anestesi=a) for w, a in
            [(5, "narkos"), (6, "narkos"), (7, "lokal"), (8, None), (9, "topikal")] * 5]
    wh = make_wh(tmp_path, [unit(U[0])], ops)

    def n(kva, **f):
        return Q.waits_table(wh, kva, 30, filters=Q.Filters(**f)).records()[0]["n"]

    assert n("NGB") == 35
    assert n("NGB", asa=(3, 4)) == 15
    assert n("NGB", asa=(5,)) == 5
    assert n("NGB", prio=("6m",)) == 15
    assert n("NGB", asa=(3,), prio=("6m",)) == 5
    assert n("CJC") == 25 and n("CJC", narkos=True) == 10
    assert Q.waits_table(wh, "NGB", 30, filters=Q.Filters(asa=(6,))).rows.empty


def test_freshness_flag_at_exactly_42_days(tmp_path):
    ops = [op(U[0], "NGB01", 42 + i, 10) for i in range(5)]   # last operation D-42: inaktuell
    ops += [op(U[1], "NGB01", 41 + i, 10) for i in range(5)]  # last operation D-41: aktuell
    ops += [op(U[2], "NGB01", 60 + i, 10) for i in range(5)]  # stale in NGB, but a recent acute NFB
    ops += [op(U[2], "NFB01", 3, 10, akut="J")]
    ops += [op(U[3], "NGB01", 0, 10) for i in range(5)]
    ops += [op(U[4], "NGB01", 100, 10) for i in range(5)] + [op(U[4], "CJC01", 0, 3)]  # other source
    wh = make_wh(tmp_path, [unit(u) for u in U[:5]], ops)
    rows = {r["id"]: r for r in Q.waits_table(wh, "NGB", 365).records()}
    assert rows[U[0]]["inaktuell"] is True and rows[U[0]]["senaste_operation"] == "2026-10-09"
    assert rows[U[1]]["inaktuell"] is False
    assert rows[U[2]]["inaktuell"] is False  # any operation of the source counts
    assert rows[U[3]]["inaktuell"] is False
    assert rows[U[4]]["inaktuell"] is True   # NCR operations say nothing about SPOR reporting
    region = Q.waits_table(wh, "NGB", 365, "region").records()[0]
    assert region["inaktuell"] == 2 and region["antal_enheter"] == 5
    info = Q.unit_info(wh, U[0])
    assert info["inaktuell"] == {"spor": True} and info["senaste_operation"]["spor"] == dt.date(2026, 10, 9)
    assert Q.unit_info(wh, U[4])["inaktuell"] == {"spor": True, "ncr": False}


def test_trend_has_18_months_with_empty_months_suppressed(tmp_path):
    ops = [op(U[0], "NGB01", 0, w) for w in (10, 20, 30, 40, 50)]                       # 2026-11
    ops += [op(U[0], "NGB01", (D - dt.date(2025, 6, 1)).days, w) for w in (1, 2, 3, 4, 5, 6)]  # first month
    ops += [op(U[0], "NGB01", (D - dt.date(2025, 5, 31)).days, 1) for _ in range(9)]    # month 19: outside
    ops += [op(U[0], "NGB01", (D - dt.date(2026, 3, 15)).days, 5) for _ in range(3)]   # small month
    wh = make_wh(tmp_path, [unit(U[0])], ops)
    months = Q.trend(wh, "NGB").records()
    assert [m["month"] for m in months][:2] == ["2025-06", "2025-07"] and months[-1]["month"] == "2026-11"
    by = {m["month"]: m for m in months}
    assert by["2025-06"]["n"] == 6 and by["2025-06"]["median"] == 3.5
    assert by["2026-11"]["median"] == 30.0
    # a month of 1-4 keeps no count either (small numbers hidden where they are made)
    assert by["2026-03"] == {"month": "2026-03", "n": None, "median": None, "p90": None,
                             "andel_inom_90": None, "suppressed": True, "partial": False}
    assert by["2025-07"]["n"] == 0 and by["2025-07"]["suppressed"] is True
    assert sum(m["n"] or 0 for m in months) == 11
    raw = {m["month"]: m for m in Q.trend(wh, "NGB", suppress_below=0).records()}
    assert raw["2026-03"]["n"] == 3 and sum(m["n"] for m in raw.values()) == 14


def test_trend_rejects_unit_and_region_together(tmp_path):
    wh = make_wh(tmp_path, [unit(U[0])], [op(U[0], "NGB01", 0, 1)])
    with pytest.raises(Q.QueryError):
        Q.trend(wh, "NGB", unit=U[0], region="01")


@pytest.mark.parametrize("kva,filters,parameter", [
    ("CJC", {"asa": (3,)}, "asa"), ("CJE", {"prio": ("3m",)}, "prio"), ("NGB", {"narkos": True}, "narkos"),
])
def test_filters_that_do_not_fit_the_source_are_refused(worlds, kva, filters, parameter):
    _, _, wh = worlds[1]
    with pytest.raises(Q.FilterNotApplicable) as err:
        Q.waits_table(wh, kva, 90, filters=Q.Filters(**filters))
    assert err.value.parameter == parameter
    with pytest.raises(Q.FilterNotApplicable):
        Q.trend(wh, kva, filters=Q.Filters(**filters))


def test_filters_are_normalised_and_hashable():
    a = Q.Filters(asa=[4, 3, 3], prio=["6m", "3M", "1v"])
    assert a == Q.Filters(asa=(3, 4), prio=("1v", "3m", "6m"))
    assert hash(a) == hash(Q.Filters(asa=(3, 4), prio=("1v", "3m", "6m")))
    assert Q.Filters(asa=(), prio=()) == Q.Filters()
    with pytest.raises(ValueError):
        Q.Filters(asa=(7,))
    with pytest.raises(ValueError):
        Q.Filters(prio=("3v",))


def test_no_data_for_a_source_gives_empty_result(tmp_path):
    wh = make_wh(tmp_path, [unit(U[0])], [op(U[0], "NGB01", 0, 1)])
    result = Q.waits_table(wh, "CJC", 90)
    assert result.data_date is None and result.rows.empty
    assert Q.trend(wh, "CJC").months.empty


# ---------------------------------------------------------------------------
# Meta, catalogue search, unit page
# ---------------------------------------------------------------------------

def test_meta_reports_sources_and_demo_flag(worlds, tmp_path):
    ds, ops, wh = worlds[1]
    m = Q.meta(wh)
    src = {s["source"]: s for s in m["sources"]}
    assert src["spor"]["data_date"] == D and src["ncr"]["data_date"] == D
    assert src["spor"]["records"] == int((ops["src"] == "spor").sum())
    assert src["ncr"]["records"] == int((ops["src"] == "ncr").sum())
    assert src["vtd"]["data_date"] == dt.date(2026, 11, 30)
    assert m["demo"] is False and m["snapshot_id"] == wh.snapshot_id and m["units"] == len(ds.units)
    demo = random_dataset(5, n_units=8, volume=10, demo=True)
    build_warehouse(tmp_path, demo.units, demo.operations)
    assert Q.meta(Warehouse(tmp_path / "warehouse"))["demo"] is True


def test_kva_search(worlds):
    _, _, wh = worlds[1]
    assert Q.kva_search(wh, "kna")[0]["kod"] == "NGB"       # accent-insensitive: knä
    assert Q.kva_search(wh, "KNÄ")[0]["kod"] == "NGB"
    assert Q.kva_search(wh, "ngb")[0] == {"kod": "NGB", "titel": "Primär protes i knäled", "ar_grupp": True,
                                          "grupp": "NGB", "kalla": "spor", "har_data": True}
    cataract = Q.kva_search(wh, "gråstarr")
    assert {r["kod"] for r in cataract} >= {"CJC", "CJD"} and all(r["kalla"] == "ncr" for r in cataract)
    assert [r["kod"] for r in cataract][0] == "CJC"            # with data before without
    assert Q.kva_search(wh, "protes höft")[0]["kod"] == "NFB"  # every word must match
    assert Q.kva_search(wh, "") == [] and Q.kva_search(wh, "zzzz") == []
    assert len(Q.kva_search(wh, "e", limit=2)) == 2
    assert Q.kva_title(wh, "ngb") == "Primär protes i knäled" and Q.kva_title(wh, "XYZ") is None


def test_kva_search_puts_groups_before_codes(tmp_path):
    build_warehouse(tmp_path, pd.DataFrame([unit(U[0])]), pd.DataFrame([op(U[0], "NGB19", 0, 1)]),
                    kva_df=pd.DataFrame({"kod": ["NGB19", "NGB49"], "titel": ["Knäprotes, total", "Annan knäprotes"]}))
    wh = Warehouse(tmp_path / "warehouse")
    hits = Q.kva_search(wh, "knä")
    hits = Q.kva_search(wh, "knä", limit=100)
    assert hits[0]["kod"] == "NGB"
    kinds = [h["ar_grupp"] for h in hits]
    assert kinds == sorted(kinds, reverse=True), "every group before every code"
    codes = [h for h in hits if not h["ar_grupp"]]
    assert {"NGB19", "NGB49"} <= {h["kod"] for h in codes}
    assert all(h["grupp"] == h["kod"][:3] and h["kalla"] == "spor" for h in codes)
    terms = reference.kva_search_terms()
    assert all("kna" in fold(" ".join((h["titel"], *terms.get(h["kod"], ())))) for h in hits)
    assert Q.kva_search(wh, "NGB19")[0]["kod"] == "NGB19"


def test_unit_page_queries_match_pandas(worlds):
    ds, ops, wh = worlds[2]
    hsaid = ops[ops["grp"] == "NGB"]["vardenhet_hsaid"].value_counts().index[0]
    d = ops[ops["src"] == "spor"]["op"].max()
    u = ops[(ops["vardenhet_hsaid"] == hsaid) & ~ops["acute"]]
    year = u[u["op"] > d - pd.Timedelta(days=365)]
    mix = Q.unit_group_mix(wh, hsaid, suppress_below=0)  # raw counts; suppression: tests/test_small_numbers.py
    assert dict(zip(mix["kva_grupp"], mix["n"])) == year["grp"].value_counts().to_dict()
    assert mix["andel"].sum() == pytest.approx(1.0)
    case = Q.unit_case_mix(wh, hsaid, "NGB", suppress_below=0)
    g = year[year["grp"] == "NGB"]
    asa = case[case["dimension"] == "asa"].set_index("kategori")["n"]
    assert asa["3"] == int((g["asa_klass"] == 3).sum()) and asa["saknas"] == int(g["asa_klass"].isna().sum())
    prio = case[case["dimension"] == "prio"].set_index("kategori")["n"]
    assert prio["6m"] == int((g["bortre_tidsgrans"] == "6m").sum()) and prio.sum() == len(g)
    ncr_unit = ops[ops["grp"] == "CJC"]["vardenhet_hsaid"].value_counts().index[0]
    ncr = Q.unit_case_mix(wh, ncr_unit, "CJC", suppress_below=0)
    assert list(ncr["dimension"].unique()) == ["anestesi"]
    groups = Q.unit_groups(wh, hsaid)
    assert set(groups["kva_grupp"]) == set(u["grp"])
    assert Q.unit_info(wh, "SE0000000000-NOPE") is None
    info = Q.unit_info(wh, hsaid)
    assert info["id"] == hsaid and info["region_namn"]


def test_unit_vtd_measures_match_pandas(worlds):
    ds, _, wh = worlds[1]
    hsaid = ds.units["vardenhet_hsaid"].iloc[5]
    for kva in (None, "NGB"):
        v = ds.vtd[(ds.vtd["vardenhet_hsaid"] == hsaid) & (ds.vtd["fas"] == 2)]
        if kva:
            v = v[v["kva_grupp"] == kva]
        got = Q.unit_vtd(wh, hsaid, kva, suppress_below=0).set_index("period")
        assert list(got.index) == sorted(v["period"].unique())
        for period, g in v.groupby("period"):
            row = got.loc[period]
            vantande, over, genomf, inom = (int(g[c].sum()) for c in
                                            ("vantande", "vantande_over_90", "genomforda", "genomforda_inom_90"))
            assert row["vantande"] == vantande and row["genomforda"] == genomf
            if vantande:
                assert row["andel_vantande_inom_90"] == pytest.approx((vantande - over) / vantande)
            else:
                assert math.isnan(row["andel_vantande_inom_90"])
            if genomf:
                assert row["andel_genomforda_inom_90"] == pytest.approx(inom / genomf)
            if g["nya"].notna().all():
                assert row["netto_inflode"] == int(g["nya"].sum()) - genomf
            else:
                assert math.isnan(row["netto_inflode"])
            p = pd.Period(period, "M")
            # the delivered months among M-2..M (a missing month is left out of the mean)
            last3 = [str(p - k) for k in range(3) if str(p - k) in got.index]
            if got.loc[last3, "genomforda"].mean() > 0:
                assert row["kotid_manader"] == pytest.approx(vantande / got.loc[last3, "genomforda"].mean())
            else:
                assert math.isnan(row["kotid_manader"])


def test_results_are_cached_per_snapshot(tmp_path):
    """A repeated question is answered without asking the warehouse; a new
    snapshot is asked again (the cache key holds the snapshot id)."""
    from tests.conftest import make_settings
    from app import create_app

    data_dir = tmp_path / "var"
    build_warehouse(data_dir, pd.DataFrame([unit(U[0])]), pd.DataFrame([op(U[0], "NGB01", 0, 10)] * 5))
    server = create_app(make_settings(data_dir))
    with server.app_context():
        from data.context import get_warehouse

        wh = get_warehouse()
        asked = []
        real_rows = wh.rows
        wh.rows = lambda sql, params=None: (asked.append(sql), real_rows(sql, params))[1]
        first = Q.waits_table(wh, "NGB", 30).records()[0]
        assert asked, "the first question reaches the warehouse"
        before = len(asked)
        assert Q.waits_table(wh, "NGB", 30).records()[0] == first
        assert len(asked) == before, "the repeated question must come from the cache"
        build_warehouse(data_dir, pd.DataFrame([unit(U[0])]), pd.DataFrame([op(U[0], "NGB01", 0, 20)] * 6))
        second = Q.waits_table(wh, "NGB", 30).records()[0]
        assert len(asked) > before, "a new snapshot is asked again"
        assert first["median"] == 10.0 and second["median"] == 20.0 and second["n"] == 6


@pytest.mark.parametrize("scope", ["region", "nation"])
def test_vtd_sums_counts_before_dividing(worlds, scope):
    ds, _, wh = worlds[1]
    v = ds.vtd[(ds.vtd["fas"] == 2) & (ds.vtd["kva_grupp"] == "NGB")].merge(
        ds.units[["vardenhet_hsaid", "region_kod"]], on="vardenhet_hsaid")
    kwargs = {}
    if scope == "region":
        kwargs["region"] = "14"
        v = v[v["region_kod"] == "14"]
    got = Q.vtd_monthly(wh, kva="NGB", suppress_below=0, **kwargs).set_index("period")
    sums = v.groupby("period")[["vantande", "vantande_over_90", "genomforda", "genomforda_inom_90"]].sum()
    assert list(got.index) == list(sums.index)
    for period, row in sums.iterrows():
        assert got.loc[period, "vantande"] == row["vantande"]
        assert got.loc[period, "andel_vantande_inom_90"] == pytest.approx(
            (row["vantande"] - row["vantande_over_90"]) / row["vantande"])
        assert got.loc[period, "andel_genomforda_inom_90"] == pytest.approx(
            row["genomforda_inom_90"] / row["genomforda"])
    unit_means = v.assign(a=(v["vantande"] - v["vantande_over_90"]) / v["vantande"]).groupby("period")["a"].mean()
    assert not np.allclose(got["andel_vantande_inom_90"].values, unit_means.values)  # not a mean of shares


def test_per_snapshot_lookups_follow_a_new_snapshot(tmp_path):
    wh = make_wh(tmp_path, [unit(U[0])], [op(U[0], "NGB01", 0, 10)] * 5)
    assert Q.data_date(wh, "spor") == D
    assert Q.waits_table(wh, "NGB", 30).records()[0]["senaste_operation"] == D.isoformat()
    later = D + dt.timedelta(days=3)
    build_warehouse(tmp_path, pd.DataFrame([unit(U[0]), unit(U[1])]),
                    pd.DataFrame([op(U[0], "NGB01", 0, 10, d=later)] * 5 + [op(U[1], "NGB01", 0, 10, d=later)]))
    assert Q.data_date(wh, "spor") == later
    rows = {r["id"]: r for r in Q.waits_table(wh, "NGB", 30).records()}
    assert rows[U[0]]["senaste_operation"] == later.isoformat() and U[1] in rows
    assert len({k[0] for k in wh.__dict__["_query_memo"]}) == 1  # old entries dropped


def test_unit_page_queries_for_a_unit_without_operations(worlds):
    _, _, wh = worlds[1]
    nobody = "SE2321000016-NOBODY"
    assert Q.unit_info(wh, nobody) is None
    assert Q.unit_group_mix(wh, nobody).empty
    assert Q.unit_groups(wh, nobody).empty
    assert Q.unit_vtd(wh, nobody).empty
    mix = Q.unit_case_mix(wh, nobody, "CJC")
    assert list(mix["kategori"]) == ["topikal", "lokal", "narkos", "saknas"] and (mix["n"] == 0).all()
    assert Q.trend(wh, "NGB", unit=nobody).records()[-1]["n"] == 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kva,filters", [("NGB", {}), ("NGB", {"asa": (3, 4)}), ("CJC", {}),
                                         ("CJE", {"narkos": True})])
def test_unit_trends_in_one_scan_equal_three_trend_calls(worlds, seed, kva, filters):
    """The unit page's combined query gives exactly trend() for the unit, its
    region and the nation (trend() itself is checked against pandas above)."""
    ds, ops, wh = worlds[seed]
    f = Q.Filters(**filters)
    units = ops[(ops["grp"] == kva) & ~ops["acute"]]["vardenhet_hsaid"].value_counts()
    for unit in [units.index[0], units.index[-1], "SE9999999999-INGEN"]:
        region = ds.units.set_index("vardenhet_hsaid")["region_kod"].get(unit, "01")
        own, reg, nation = Q.unit_trends(wh, kva, unit, region, filters=f)
        for got, want in ((own, Q.trend(wh, kva, unit=unit, filters=f)),
                          (reg, Q.trend(wh, kva, region=region, filters=f)),
                          (nation, Q.trend(wh, kva, filters=f))):
            assert got.scope == want.scope and got.unit == want.unit and got.region == want.region
            assert got.records() == want.records()
            pd.testing.assert_frame_equal(got.months, want.months)
    assert Q.unit_trends(wh, kva, units.index[0], None, filters=f)[1] is None


def test_unit_trends_without_trend_summary_scan_the_operations(tmp_path):
    """A snapshot written before trend_summary existed: the same figures by the live scan."""
    ds = random_dataset(SEEDS[0], end_date=D)
    with_summary, without = tmp_path / "med", tmp_path / "utan"
    build_warehouse(with_summary, ds.units, ds.operations, ds.vtd, kva_df=ds.kva)
    build_warehouse(without, ds.units, ds.operations, ds.vtd, kva_df=ds.kva, trend_summary=False)
    a, b = Warehouse(with_summary / "warehouse"), Warehouse(without / "warehouse")
    try:
        assert Q.has_trend_summary(a) and not Q.has_trend_summary(b)
        ops = ref_ops(ds)
        for kva in ("NGB", "CJC"):
            units = ops[(ops["grp"] == kva) & ~ops["acute"]]["vardenhet_hsaid"].value_counts()
            unit = units.index[0]
            region = ds.units.set_index("vardenhet_hsaid")["region_kod"][unit]
            for x, y in zip(Q.unit_trends(a, kva, unit, region), Q.unit_trends(b, kva, unit, region)):
                assert x.records() == y.records()
                assert x.records() == Q.trend(b, kva, **({"unit": x.unit} if x.unit else
                                                           {"region": x.region} if x.region else {})).records()
    finally:
        a.close()
        b.close()
