"""Small numbers stay hidden everywhere (issue 9): on data crafted to hold
units, months, ASA classes, groups and wait-time-database counts of 1 to 4,
every route and callback output of Jämför enheter, the unit page and the API
is read as an attacker would read it — the counts shown, the shares (count =
share × total), the totals less their shown parts, a region less its units,
the nation less its regions — and no count of 1 to 4 comes out.

The crafted truth is kept here (TRUTH); the answers are read only through
HTTP (the API, Dash's callback endpoint, the CSV export)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pandas as pd
import pytest

from tests.dash_calls import call
from tests.factories import build_warehouse

D = dt.date(2026, 11, 20)
K = 5
A, B, C, E, F, G = (f"SE2321000016-S{i:03d}" for i in range(6))
REGION = {A: "01", B: "01", C: "01", E: "12", F: "14", G: "13"}


def small(n) -> bool:
    return n is not None and 0 < n < K


def _op(hsaid, kva, when: dt.date, wait, asa=None, prio="3m"):
    return {"vardenhet_hsaid": hsaid, "kva_kod": kva, "operation_datum": when,
            "start_datum": when - dt.timedelta(days=wait), "akut": "N", "asa_klass": asa, "bortre_tidsgrans": prio}


def _crafted():
    ops = []
    day = lambda n: D - dt.timedelta(days=n)  # noqa: E731
    ops += [_op(A, "NGB01", day(i), 20 + i, asa=2) for i in range(1, 4)]          # A: 3 (small)
    ops += [_op(B, "NGB01", day(i), 30 + i, asa=2) for i in range(1, 7)]          # B: 6
    ops += [_op(E, "NGB01", day(i), 40, asa=1) for i in range(1, 3)]              # E: 2, alone in region 12
    ops += [_op(F, "NGB01", day(i % 25 + 1), 50 + i, asa=1) for i in range(30)]   # F: 30
    ops += [_op(G, "NGB01", day(i + 1), 60 + i, asa=3) for i in range(7)]         # G: 7, alone in region 13
    # C: months of 12, 3 (small), 8, 1 (small) and 20; ASA 4 only twice; NFB twice (a small group)
    months = {dt.date(2026, 11, 10): 12, dt.date(2026, 10, 10): 3, dt.date(2026, 9, 10): 8,
              dt.date(2026, 8, 10): 1, dt.date(2025, 12, 10): 20}
    i = 0
    for when, n in months.items():
        for j in range(n):
            asa = 4 if i in (0, 1) else 3 if i % 3 == 0 else 1
            prio = "1v" if i == 5 else "6m" if i % 2 else "3m"
            ops.append(_op(C, "NGB01", when, 10 + 7 * j, asa=asa, prio=prio))
            i += 1
    ops += [_op(C, "NFB01", day(3), 90), _op(C, "NFB01", day(4), 91)]           # NFB: 2 (a small group)
    ops += [_op(C, "JAB01", day(i + 1), 30) for i in range(10)]                      # JAB: 10
    units = pd.DataFrame([{"vardenhet_hsaid": u, "namn": f"Enhet {u[-3:]}", "sjukhus": None, "region_kod": r,
                           "agarform": "offentlig", "ort": "Stockholm", "lat": 59.3, "lon": 18.0}
                          for u, r in REGION.items()])
    vtd = pd.DataFrame([
        # period, vantande, over 90, nya, genomforda, genomforda inom 90
        {"period": p, "vardenhet_hsaid": C, "mvo": "311", "fas": 2, "kva_grupp": "NGB", "vantande": v,
         "vantande_over_90": o, "vantande_avvikelse": 0, "nya": n, "genomforda": g, "genomforda_inom_90": gi}
        for p, v, o, n, g, gi in [("2026-06", 40, 10, 12, 10, 8), ("2026-07", 3, 1, 4, 2, 2),
                                  ("2026-08", 20, 17, 9, 12, 9), ("2026-09", 30, 5, 10, 11, 11),
                                  ("2026-10", 25, 10, 8, 3, 1)]
    ])
    return units, pd.DataFrame(ops), vtd


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app
    from tests.auth.support import READER, logged_in_client
    from tests.conftest import make_settings

    data_dir = tmp_path_factory.mktemp("small") / "var"
    units, ops, vtd = _crafted()
    build_warehouse(data_dir, units, ops, vtd)
    server = create_app(make_settings(data_dir, cache_type="NullCache"))
    server.config["TESTING"] = True
    return {"server": server, "client": logged_in_client(server, *READER), "ops": ops, "vtd": vtd}


def _truth(ops, kva="NGB", period=None, asa=None) -> pd.DataFrame:
    sel = ops[ops["kva_kod"].str[:3] == kva].copy()
    if period:
        sel = sel[sel["operation_datum"] > D - dt.timedelta(days=period)]
    if asa:
        sel = sel[sel["asa_klass"].isin(asa)]
    sel["region"] = sel["vardenhet_hsaid"].map(REGION)
    return sel


# ---------------------------------------------------------------------------
# The attacker's arithmetic
# ---------------------------------------------------------------------------

def assert_table_hides(units: dict, regions: dict, nation, truth: pd.DataFrame, where: str):
    """units/regions: id -> shown n (None = hidden); nation: shown n or None."""
    true_units = truth.groupby("vardenhet_hsaid").size().to_dict()
    true_regions = truth.groupby("region").size().to_dict()
    for table, true in ((units, true_units), (regions, true_regions)):
        for i, n in table.items():
            assert not small(n), f"{where}: {i} shows {n}"
            assert n is None or n == true[i], f"{where}: {i} shows {n}, truly {true[i]}"
    # a region less its units' shown counts
    for r, n in regions.items():
        if n is None:
            continue
        rest = n - sum(units[u] or 0 for u in units if REGION[u] == r)
        assert not small(rest), f"{where}: region {r} ({n}) less its shown units leaves {rest}"
    if nation is not None:
        for parts in (units, regions):
            rest = nation - sum(v or 0 for v in parts.values())
            assert not small(rest), f"{where}: the nation ({nation}) less its shown parts leaves {rest}"
    # a region hidden in the region answer must not be the sum of its units shown in the unit answer
    for r, n in regions.items():
        members = [u for u in units if REGION[u] == r]
        if n is None and members and all(units[u] is not None for u in members):
            raise AssertionError(f"{where}: region {r} is hidden but its units add up to it")
    # the nation less the shown regions less the units of the hidden regions that are shown
    if nation is not None:
        hidden_regions = [r for r, n in regions.items() if n is None]
        rest = nation - sum(n or 0 for n in regions.values()) - sum(
            units[u] or 0 for u in units if REGION[u] in hidden_regions)
        if 0 < rest < K:
            # only a leak if one hidden region is left to carry it
            left = [r for r in hidden_regions if not all(units[u] is not None for u in units if REGION[u] == r)]
            assert len(left) != 1, f"{where}: the nation less the shown regions and units gives {rest}"


def _n(value):
    """A count as the file or grid shows it: an int, or None for "<5"/"dold"/empty."""
    if value in (None, "", "<5", "dold"):
        return None
    return int(value)


def _nation_n(world, period, asa=None):
    """The nation's n as the question gives it (no route shows it yet; the
    national view will): it must not give a region or a unit away either."""
    from data import queries as Q
    from data.context import get_warehouse

    with world["server"].app_context():
        rows = Q.waits_table(get_warehouse(), "NGB", period, "nation",
                             Q.Filters(asa=asa) if asa else Q.NO_FILTERS).records()
    return rows[0]["n"] if rows else None


FILTER_SETS = [("", None), ("&asa=1,2,3", (1, 2, 3)), ("&asa=3,4", (3, 4))]


@pytest.mark.parametrize("period", [30, 90, 365])
@pytest.mark.parametrize("query,asa", FILTER_SETS)
def test_waits_api_json_and_csv_hide_every_small_count(world, period, query, asa):
    truth = _truth(world["ops"], period=period, asa=asa)
    answers = {}
    for level in ("unit", "region"):
        url = f"/api/v1/waits?kva=NGB&period={period}&level={level}{query}"
        resp = world["client"].get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        body = resp.get_json()
        answers[level] = {r["id"]: r for r in body["rows"]}
        for r in body["rows"]:
            if r["n"] is None:  # a share's denominator is the count: hidden with it
                assert r["andel_inom_90"] is None and r["asa34_andel"] is None, (url, r["id"])
        text = world["client"].get(url + "&format=csv").get_data(as_text=True).lstrip("\ufeff")
        lines = text.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith(("Enhet;", "Region;")))
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[header:])), delimiter=";"))
        id_col = "HSA-id" if level == "unit" else "Länskod"
        csv_n = {row[id_col]: _n(row["Antal operationer"]) for row in rows}
        assert csv_n == {i: r["n"] for i, r in answers[level].items()}, url
    nation = _nation_n(world, period, asa)
    assert_table_hides({i: r["n"] for i, r in answers["unit"].items()},
                       {i: r["n"] for i, r in answers["region"].items()}, nation, truth,
                       f"waits {period} {query}")


def test_the_pen_test_differencing_now_fails(world):
    """Region 01 = A (3) + B (6) + C: the region's n less B's and C's gave A's 3."""
    units = {r["id"]: r for r in world["client"].get("/api/v1/waits?kva=NGB&period=30").get_json()["rows"]}
    regions = {r["id"]: r for r in
               world["client"].get("/api/v1/waits?kva=NGB&period=30&level=region").get_json()["rows"]}
    assert units[A]["n"] is None and units[A]["suppressed"]
    shown = [units[u]["n"] for u in (B, C) if units[u]["n"] is not None]
    assert regions["01"]["n"] - sum(shown) >= K


@pytest.mark.parametrize("level", ["unit", "region"])
@pytest.mark.parametrize("period", [30, 365])
def test_the_table_callback_hides_every_small_count(world, level, period):
    values = {"jf-kva.value": "NGB", "jf-period.value": period, "jf-level.value": level, "jf-asa.value": [],
              "jf-prio.value": [], "jf-narkos.value": [], "jf-hem.value": None}
    grids = {}
    for lvl in ("unit", "region"):
        out = call(world["client"], world["server"], "jf-grid.rowData", {**values, "jf-level.value": lvl})
        grids[lvl] = out["jf-grid"]["rowData"]
        for row in grids[lvl]:
            assert not re.fullmatch(r"[1-4]", row["n_txt"]), row
            if row["n"] is None:
                assert row["andel_inom_90"] is None, row
    nation_n = _nation_n(world, period)
    assert_table_hides({r["id"]: r["n"] for r in grids["unit"]}, {r["id"]: r["n"] for r in grids["region"]},
                       nation_n, _truth(world["ops"], period=period), f"grid {period}")


@pytest.mark.parametrize("scope", ["unit", "region", "nation"])
def test_trend_api_hides_small_months(world, scope):
    truth = _truth(world["ops"])
    arg = {"unit": f"&unit={C}", "region": "&region=01", "nation": ""}[scope]
    body = world["client"].get(f"/api/v1/trend?kva=NGB{arg}").get_json()
    if scope == "unit":
        truth = truth[truth["vardenhet_hsaid"] == C]
    elif scope == "region":
        truth = truth[truth["region"] == "01"]
    true = truth.assign(m=pd.to_datetime(truth["operation_datum"]).dt.strftime("%Y-%m")).groupby("m").size()
    assert any(small(v) for v in true.values), "the crafted data must hold small months"
    for m in body["months"]:
        t = int(true.get(m["month"], 0))
        assert m["n"] == (None if small(t) else t), m


def _unit_callbacks(world):
    state = {"eh-kva.value": "NGB", "eh-hsa.data": {"id": C, "region_kod": "01", "region_namn": "Stockholm"}}
    trend = call(world["client"], world["server"], "eh-trend.figure", state)
    mix = call(world["client"], world["server"], "eh-casemix.children", state)
    return trend, mix


def test_unit_trend_chart_and_caption_hide_small_months(world):
    trend, _ = _unit_callbacks(world)
    fig = trend["eh-trend"]["figure"]
    bars = next(t for t in fig["data"] if t["type"] == "bar")
    truth = _truth(world["ops"])
    truth = truth[truth["vardenhet_hsaid"] == C]
    true = truth.assign(m=pd.to_datetime(truth["operation_datum"]).dt.strftime("%Y-%m")).groupby("m").size()
    shown = 0
    for x, y, hover in zip(bars["x"], bars["y"], bars.get("customdata") or bars.get("hovertext")):
        t = int(true.get(str(x)[:7], 0))
        if small(t):
            assert y is None, (x, y)
            assert "<5" in str(hover) and not re.search(rf"\b{t}\b", str(hover).replace("<5", "")), hover
        else:
            assert y in (t, None if t == 0 else t), (x, y, t)
        shown += y or 0
    caption = trend["eh-trend-source"]["children"]
    total = int(re.search(r"([\d ]+) operationer under de månader som visas", caption).group(1).replace(" ", ""))
    assert total == shown, "the caption's total is the sum of the bars shown: nothing hidden in it"


def _figures(node):
    if isinstance(node, dict):
        if node.get("type") == "Graph" or ("figure" in node.get("props", {})):
            yield node["props"]["id"], node["props"]["figure"]
        for v in node.values():
            yield from _figures(v)
    elif isinstance(node, list):
        for v in node:
            yield from _figures(v)


def _assert_mix_hides(fig, true_counts: list[int], where: str):
    """A share chart: hidden bars have no share; total = count / share of any
    shown bar; the total less the shown counts must not be small."""
    bar = fig["data"][0]
    hovers = bar["customdata"]
    counts = []
    for x, t, hover in zip(bar["x"], true_counts, hovers):
        m = re.search(r"\(([\d ]+) operationer\)", hover)
        counts.append(int(m.group(1).replace(" ", "")) if m else None)
        if small(t):
            assert x is None and counts[-1] is None, (where, hover)
    shown = [(c, x) for c, x in zip(counts, bar["x"]) if c and x]
    if shown:
        total = round(shown[0][0] * 100 / shown[0][1])
        rest = total - sum(c for c in counts if c)
        assert not small(rest), f"{where}: total {total} less the shown counts gives {rest}"


def test_unit_case_mix_hides_small_categories(world):
    _, mix = _unit_callbacks(world)
    figs = dict(_figures(mix["eh-casemix"]["children"]))
    truth = _truth(world["ops"], period=365)
    truth = truth[truth["vardenhet_hsaid"] == C]
    asa = [int((truth["asa_klass"] == c).sum()) for c in (1, 2, 3, 4, 5, 6)] + [int(truth["asa_klass"].isna().sum())]
    assert any(small(v) for v in asa)
    _assert_mix_hides(figs["eh-casemix-asa"], asa, "ASA")
    prio_order = ["1v", "2v", "4v", "3m", "6m", "12m"]
    prio = [int((truth["bortre_tidsgrans"] == p).sum()) for p in prio_order] + [0]
    _assert_mix_hides(figs["eh-casemix-prio"], prio, "prioritet")


def test_unit_group_mix_on_the_page_hides_a_small_group(world):
    out = call(world["client"], world["server"], "_pages_content.children",
               {"_pages_location.pathname": f"/enhet/{C}", "_pages_location.search": "?kva=NGB"})
    figs = dict(_figures(out["_pages_content"]["children"]))
    ops = world["ops"]
    year = ops[(ops["vardenhet_hsaid"] == C) & (ops["operation_datum"] > D - dt.timedelta(days=365))]
    groups = year["kva_kod"].str[:3].value_counts()
    fig = figs["eh-mix"]
    labels = fig["data"][0]["customdata"]
    true = [int(groups[h[:3]]) for h in labels]
    assert any(small(v) for v in true)
    _assert_mix_hides(fig, true, "grupper")
    assert fig["data"][0]["x"].count(None) == 2  # NFB (2) and the next-smallest, JAB (10)
    note = re.search(r"\(([\d ]+) operationer i de grupper som visas\)", str(out))
    if note:
        assert not small(sum(true) - int(note.group(1).replace(" ", "")))


def test_unit_wait_time_database_chart_and_kpi_hide_small_counts(world):
    _, mix = _unit_callbacks(world)
    fig = mix["eh-vtd"]["figure"]
    vtd = world["vtd"].set_index("period")
    traces = {t["name"]: t for t in fig["data"]}
    columns = {"Genomförda under månaden": "genomforda", "Väntande vid månadens slut": "vantande",
               "Varav väntat mer än 90 dagar": "vantande_over_90"}
    seen = {}
    for name, trace in traces.items():
        col = next((c for label, c in columns.items() if name.startswith(label[:12])), None)
        assert col, f"unknown trace {name}"
        for x, y in zip(trace["x"], trace["y"]):
            t = int(vtd.loc[str(x)[:7], col])
            assert not small(y) and (y is None or y == t), (name, x, y, t)
            seen[(col, str(x)[:7])] = y
    for p in vtd.index:
        v, o = seen.get(("vantande", p)), seen.get(("vantande_over_90", p))
        if v is not None and o is not None:
            assert not small(v - o), f"{p}: waiting less beyond 90 days gives {v - o}"
    kpi = mix["eh-vtd-kpi"]["children"]
    assert "färre än 5" in kpi  # the last month: 3 completed
    last = vtd.iloc[-1]
    assert f" {int(last['genomforda'])} genomförda" not in kpi
