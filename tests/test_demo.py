"""The demo delivery (etl/demo.py) against the rules of EXTRACTS.md.

Every check is written here independently with pandas and regular
expressions: nothing from the loader is imported. One small-scale generation
(plus one more for reproducibility and one with another seed) per module.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.schema import DEMO_HSA_PREFIX
from etl.demo import Calendar, DemoSummary, generate_demo

ROOT = Path(__file__).resolve().parent.parent

END = dt.date(2026, 11, 20)
SEED = 7

SPOR_COLUMNS = ["post_id", "vardenhet_hsaid", "kva_kod", "anmalan_datum", "operation_datum",
                "asa_klass", "bortre_tidsgrans", "akut", "patient_lan", "status"]
NCR_COLUMNS = ["post_id", "vardenhet_hsaid", "kva_kod", "beslut_datum", "operation_datum",
               "anestesi", "oga", "patient_lan", "status"]
VTD_COLUMNS = ["period", "vardenhet_hsaid", "mvo", "fas", "kva_grupp", "vantande", "vantande_over_90",
               "vantande_avvikelse", "nya", "genomforda", "genomforda_inom_90"]
UNIT_COLUMNS = ["vardenhet_hsaid", "namn", "sjukhus", "region_kod", "agarform", "ort", "lat", "lon"]
REGIONS = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14",
           "17", "18", "19", "20", "21", "22", "23", "24", "25"]
HSA = re.compile(r"SE\d{10}-[A-Za-z0-9]{1,20}")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
NCR_GROUPS = {"CJC", "CJD", "CJE"}


# ---------------------------------------------------------------------------
# fixtures: one generation, read once
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, DemoSummary, list[str]]:
    out = tmp_path_factory.mktemp("demo")
    messages: list[str] = []
    summary = generate_demo(out, scale="small", seed=SEED, end_date=END, progress=messages.append)
    return out, summary, messages


@pytest.fixture(scope="module")
def out(demo) -> Path:
    return demo[0]


def _read(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8", **kw)


def _file_date(path: Path) -> dt.date:
    return dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()


@pytest.fixture(scope="module")
def units(out) -> pd.DataFrame:
    return pd.read_csv(out / "vardenheter.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _register_rows(out: Path, source: str) -> pd.DataFrame:
    frames = []
    for path in sorted(out.glob(f"{source}_*.csv")):
        df = _read(path)
        df["file"] = path.name
        df["file_date"] = _file_date(path).isoformat()
        df["line"] = np.arange(2, len(df) + 2)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def spor_rows(out) -> pd.DataFrame:
    return _register_rows(out, "spor")


@pytest.fixture(scope="module")
def ncr_rows(out) -> pd.DataFrame:
    return _register_rows(out, "ncr")


def _current(rows: pd.DataFrame, start_col: str) -> pd.DataFrame:
    """Apply the file rules: files in date order, a post_id seen again replaces the earlier
    version, status = makulerad deletes it."""
    last = rows.sort_values(["file_date", "line"], kind="stable").drop_duplicates("post_id", keep="last")
    cur = last[last["status"] != "makulerad"].copy()
    cur["op"] = pd.to_datetime(cur["operation_datum"])
    cur["start"] = pd.to_datetime(cur[start_col])
    cur["wait"] = (cur["op"] - cur["start"]).dt.days
    cur["grupp"] = cur["kva_kod"].str[:3]
    return cur


@pytest.fixture(scope="module")
def spor(spor_rows, units) -> pd.DataFrame:
    cur = _current(spor_rows, "anmalan_datum")
    return cur.merge(units[["vardenhet_hsaid", "agarform", "region_kod"]], on="vardenhet_hsaid", how="left")


@pytest.fixture(scope="module")
def ncr(ncr_rows, units) -> pd.DataFrame:
    cur = _current(ncr_rows, "beslut_datum")
    return cur.merge(units[["vardenhet_hsaid", "agarform", "region_kod"]], on="vardenhet_hsaid", how="left")


@pytest.fixture(scope="module")
def vtd(out) -> pd.DataFrame:
    """Effective wait-time database rows: a later file for the same period and unit replaces the earlier rows."""
    frames = []
    for order, path in enumerate(sorted(out.glob("vtd_*.csv"))):
        df = _read(path)
        df["file"] = path.name
        df["order"] = order
        frames.append(df)
    allrows = pd.concat(frames, ignore_index=True)
    latest = allrows.groupby(["period", "vardenhet_hsaid"])["order"].transform("max")
    eff = allrows[allrows["order"] == latest].copy()
    for c in ["vantande", "vantande_over_90", "vantande_avvikelse", "nya", "genomforda", "genomforda_inom_90"]:
        eff[c] = eff[c].astype(int)
    return eff


# ---------------------------------------------------------------------------
# the interface
# ---------------------------------------------------------------------------

def test_summary_describes_what_was_written(demo):
    out, summary, messages = demo
    assert summary.scale == "small" and summary.seed == SEED and summary.end_date == END
    assert set(summary.files) == {p for p in out.iterdir()}
    assert all(p.exists() for p in summary.files)
    assert summary.spor_rows == sum(len(_read(p)) for p in out.glob("spor_*.csv"))
    assert summary.ncr_rows == sum(len(_read(p)) for p in out.glob("ncr_*.csv"))
    assert summary.vtd_rows == sum(len(_read(p)) for p in out.glob("vtd_*.csv"))
    assert summary.units == len(_read(out / "vardenheter.csv", ))
    assert 30 <= summary.units <= 50
    assert messages and messages[-1].startswith("Klart")


def test_small_scale_volumes(spor, ncr):
    years = (spor["op"].max() - spor["op"].min()).days / 365.25
    assert 18_000 < len(spor) / years < 32_000
    assert 3_500 < len(ncr) / years < 6_500


def test_same_seed_gives_identical_bytes_and_another_seed_differs(out, tmp_path):
    again = tmp_path / "again"
    other = tmp_path / "other"
    # in another process with another hash seed: nothing may depend on set or dict order
    code = ("import datetime as dt, pathlib, sys; from etl.demo import generate_demo; "
            f"generate_demo(pathlib.Path(sys.argv[1]), scale='small', seed={SEED}, end_date=dt.date.fromisoformat('{END}'))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(again)], check=True, cwd=ROOT, env=env, timeout=120)
    generate_demo(other, scale="small", seed=SEED + 1, end_date=END)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    differing = [n for n in names if (other / n).exists() and (other / n).read_bytes() != (out / n).read_bytes()]
    assert {"vardenheter.csv", "spor_20261024.csv", "ncr_20261024.csv"} <= set(differing)


def test_refuses_a_folder_with_other_deliveries(tmp_path):
    (tmp_path / "spor_20260101.csv").write_text("post_id\n", encoding="utf-8")
    with pytest.raises(ValueError, match="inte är demodata"):
        generate_demo(tmp_path, scale="small", seed=1, end_date=END)
    assert (tmp_path / "spor_20260101.csv").read_text(encoding="utf-8") == "post_id\n"


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Okänd skala"):
        generate_demo(tmp_path, scale="huge")


# ---------------------------------------------------------------------------
# formats of EXTRACTS.md
# ---------------------------------------------------------------------------

def test_file_set(out):
    names = {p.name for p in out.iterdir()}
    assert {"vardenheter.csv", "kva.csv", "LASMIG.txt"} <= names
    backfill = END - dt.timedelta(days=27)
    for source in ("spor", "ncr"):
        dates = sorted(_file_date(p) for p in out.glob(f"{source}_*.csv"))
        assert dates[0] == backfill
        assert dates == [backfill + dt.timedelta(days=i) for i in range(28)]
    for p in out.iterdir():
        raw = p.read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw, p.name
        if p.suffix == ".csv":
            assert b'"' not in raw, p.name
            assert raw.startswith(b"\xef\xbb\xbf") == (p.name == "vardenheter.csv"), p.name


def test_every_file_has_exactly_the_columns(out):
    expected = {"spor": SPOR_COLUMNS, "ncr": NCR_COLUMNS, "vtd": VTD_COLUMNS}
    for p in out.glob("*.csv"):
        header = p.read_bytes().decode("utf-8-sig").split("\n", 1)[0].split(";")
        kind = p.name.split("_")[0].removesuffix(".csv")
        want = expected.get(kind) or {"vardenheter": UNIT_COLUMNS, "kva": ["kod", "titel"]}[kind]
        assert header == want, p.name


def test_unit_catalogue(units):
    assert units["vardenhet_hsaid"].is_unique
    assert units["vardenhet_hsaid"].map(lambda s: bool(HSA.fullmatch(s)) and s.startswith(DEMO_HSA_PREFIX)).all()
    assert sorted(units["region_kod"].unique()) == REGIONS
    assert set(units["agarform"]) == {"offentlig", "privat", "ideburen"}
    share = (units["agarform"] != "offentlig").mean()
    assert 0.1 <= share <= 0.35
    assert (units["namn"].str.len() > 3).all() and (units["ort"].str.len() > 1).all()
    assert units["namn"].str.contains("[åäöÅÄÖ]").any()
    lat, lon = units["lat"].astype(float), units["lon"].astype(float)
    assert lat.between(55.0, 69.1).all() and lon.between(10.9, 24.2).all()


def test_units_lie_in_their_region(units):
    regions = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "reference" / "regioner.csv",
                          sep=";", dtype={"region_kod": str}).set_index("region_kod")

    def km(a_lat, a_lon, b_lat, b_lon):
        p1, p2 = math.radians(a_lat), math.radians(b_lat)
        dp, dl = p2 - p1, math.radians(b_lon - a_lon)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371 * math.asin(math.sqrt(h))

    for u in units.itertuples():
        r = regions.loc[u.region_kod]
        assert km(float(u.lat), float(u.lon), r.lat, r.lon) < 320, (u.namn, u.ort)


def test_national_scale_unit_catalogue_size():
    import numpy as np
    from etl.demo_units import build_units

    national = build_units("national", np.random.default_rng(3))
    assert 260 <= len(national) <= 340
    assert len({u.region_kod for u in national}) == 21
    assert 0.2 <= sum(u.agarform != "offentlig" for u in national) / len(national) <= 0.3
    assert all(u.hsaid.startswith(DEMO_HSA_PREFIX) for u in national)
    assert len({u.hsaid for u in national}) == len(national)


def test_every_catalogue_group_has_demo_parameters_and_units():
    from data.reference import kva_codes, kva_groups
    from etl import demo_model
    from etl.demo_units import build_units

    assert set(demo_model.GROUP_MODELS) == set(kva_groups())
    assert set(demo_model.MAIN_CODE.values()) <= set(kva_codes())
    operated = {g for u in build_units("national", np.random.default_rng(5)) for g in u.groups}
    assert operated == set(kva_groups())


def test_kva_file_matches_the_built_in_catalogue(out):
    from data.reference import kva_codes, kva_groups

    kva = _read(out / "kva.csv")
    assert dict(zip(kva["kod"], kva["titel"])) == {**kva_groups(), **kva_codes()}
    assert kva["kod"].str.fullmatch(r"[A-Z]{3}|[A-Z]{3}[0-9]{2}").all()


def _assert_register_rules(rows: pd.DataFrame, units: pd.DataFrame, start_col: str):
    assert (rows["post_id"].str.len() > 0).all()
    assert not rows.duplicated(["file", "post_id"]).any(), "post_id twice in one file"
    assert rows["vardenhet_hsaid"].isin(units["vardenhet_hsaid"]).all()
    assert rows["kva_kod"].str.fullmatch(r"[A-Z]{3}[0-9]{2}").all()
    for col in (start_col, "operation_datum"):
        assert rows[col].str.fullmatch(ISO.pattern).all()
        pd.to_datetime(rows[col], format="%Y-%m-%d")           # real dates
    assert (rows["operation_datum"] >= rows[start_col]).all()
    assert (rows["operation_datum"] <= rows["file_date"]).all(), "operation after the file date"
    assert rows["patient_lan"].isin(REGIONS + [""]).all()
    assert rows["status"].isin(["", "makulerad"]).all()


def test_spor_rows_follow_the_rules(spor_rows, units):
    _assert_register_rules(spor_rows, units, "anmalan_datum")
    assert not spor_rows["kva_kod"].str[:3].isin(NCR_GROUPS).any()
    assert spor_rows["asa_klass"].isin(["", "1", "2", "3", "4", "5", "6"]).all()
    assert spor_rows["bortre_tidsgrans"].isin(["", "1v", "2v", "4v", "3m", "6m", "12m"]).all()
    assert spor_rows["akut"].isin(["J", "N"]).all()


def test_ncr_rows_follow_the_rules(ncr_rows, units):
    _assert_register_rules(ncr_rows, units, "beslut_datum")
    assert ncr_rows["kva_kod"].str[:3].isin(NCR_GROUPS).all()
    assert ncr_rows["anestesi"].isin(["", "topikal", "lokal", "narkos"]).all()
    assert ncr_rows["oga"].isin(["", "H", "V"]).all()


def test_codes_come_from_the_catalogue(spor_rows, ncr_rows):
    from data.reference import kva_codes

    assert set(spor_rows["kva_kod"]) | set(ncr_rows["kva_kod"]) <= set(kva_codes())


def test_vtd_rows_follow_the_rules(out, units):
    from data.reference import kva_groups

    for p in sorted(out.glob("vtd_*.csv")):
        df = _read(p)
        month = p.stem.split("_")[1]
        assert (df["period"] == f"{month[:4]}-{month[4:]}").all(), p.name
        assert df["vardenhet_hsaid"].isin(units["vardenhet_hsaid"]).all()
        assert df["mvo"].str.fullmatch(r"\d{3}").all()
        assert df["fas"].isin(["1", "2"]).all()
        assert ((df["fas"] == "1") == (df["kva_grupp"] == "")).all()
        assert df.loc[df["fas"] == "2", "kva_grupp"].isin(list(kva_groups())).all()
        n = {c: df[c].astype(int) for c in VTD_COLUMNS[5:]}
        assert all((v >= 0).all() for v in n.values())
        assert (n["vantande_over_90"] <= n["vantande"]).all()
        assert (n["genomforda_inom_90"] <= n["genomforda"]).all()
        assert not df.duplicated(["vardenhet_hsaid", "fas", "kva_grupp"]).any()


def test_lasmig_says_it_is_fictional(out):
    text = (out / "LASMIG.txt").read_text(encoding="utf-8")
    assert "påhittat demodata" in text
    assert "SE0000000000-" in text


# ---------------------------------------------------------------------------
# coverage in time and space
# ---------------------------------------------------------------------------

def test_registers_cover_thirty_months(spor, ncr):
    for df in (spor, ncr):
        assert df["op"].max().date() == END or df["op"].max().date() >= END - dt.timedelta(days=3)
        first = df["op"].min().date()
        assert (END.year - first.year) * 12 + END.month - first.month >= 30


@pytest.mark.parametrize("end, first, last", [
    (dt.date(2026, 11, 20), "2024-05", "2026-10"),
    (dt.date(2026, 10, 31), "2024-05", "2026-10"),     # the end date completes its month
    (dt.date(2026, 11, 1), "2024-05", "2026-10"),
    (dt.date(2024, 3, 1), "2021-09", "2024-02"),
])
def test_calendar_months(end, first, last):
    cal = Calendar.for_end(end)
    assert len(cal.months) == 30
    assert (str(cal.months[0]), str(cal.months[-1])) == (first, last)
    assert cal.backfill == cal.end - 27
    assert cal.month_end[-1] <= cal.end


def test_thirty_vtd_months_up_to_the_last_complete_month(out):
    months = sorted({p.stem.split("_")[1] for p in out.glob("vtd_*.csv")})
    assert len(months) == 30
    periods = pd.PeriodIndex([f"{m[:4]}-{m[4:]}" for m in months], freq="M")
    assert list(periods.asi8) == list(range(periods.asi8[0], periods.asi8[0] + 30))
    assert periods[-1] == pd.Period(END, "M") - 1


def test_all_regions_operate(spor, ncr, units):
    assert sorted(spor["region_kod"].unique()) == REGIONS
    assert spor.loc[spor["grupp"] == "NGB", "vardenhet_hsaid"].nunique() >= 15
    assert ncr.loc[ncr["grupp"] == "CJC", "vardenhet_hsaid"].nunique() >= 8


# ---------------------------------------------------------------------------
# corrections, cancellations, units that stop reporting
# ---------------------------------------------------------------------------

def test_daily_files_correct_and_cancel_earlier_records(spor_rows, ncr_rows):
    for rows in (spor_rows, ncr_rows):
        first_seen = rows.groupby("post_id")["file_date"].transform("min")
        repeated = rows[rows["file_date"] > first_seen]
        daily = rows[rows["file_date"] > rows["file_date"].min()]
        corrections = repeated[repeated["status"] == ""]
        cancellations = repeated[repeated["status"] == "makulerad"]
        assert len(corrections) >= 5 and len(cancellations) >= 1
        assert 0.005 <= len(corrections) / len(daily) <= 0.05
        assert len(cancellations) / len(daily) <= 0.02
        # a correction changes at least one field of the earlier version
        fields = [c for c in rows.columns if c not in ("file", "file_date", "line", "status")]
        earlier = rows.sort_values("file_date").drop_duplicates("post_id", keep="first").set_index("post_id")
        for r in corrections.itertuples():
            before = earlier.loc[r.post_id]
            assert any(getattr(r, f) != before[f] for f in fields if f != "post_id"), r.post_id
        # a cancelled record is the same record, marked makulerad
        for r in cancellations.itertuples():
            assert earlier.loc[r.post_id, "vardenhet_hsaid"] == r.vardenhet_hsaid


def test_a_unit_stops_reporting_at_least_sixty_days_before_the_end(demo, spor, ncr, vtd):
    _, summary, _ = demo
    assert len(summary.stopped_units) == 1
    both = pd.concat([spor[["vardenhet_hsaid", "op"]], ncr[["vardenhet_hsaid", "op"]]])
    last = both.groupby("vardenhet_hsaid")["op"].max()
    stale = last[last < pd.Timestamp(END - dt.timedelta(days=60))]
    assert list(stale.index) == summary.stopped_units
    # its wait-time database rows stop too
    unit_periods = vtd.loc[vtd["vardenhet_hsaid"] == stale.index[0], "period"]
    assert unit_periods.max() < str(pd.Period(END, "M") - 1)


# ---------------------------------------------------------------------------
# plausible waits and production
# ---------------------------------------------------------------------------

def _planned(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["akut"] == "N"] if "akut" in df else df


def test_group_medians_range_from_weeks_to_many_months(spor):
    med = _planned(spor).groupby("grupp")["wait"].median()
    assert med["NGB"] > 90 and med["NFB"] > 90
    assert med[["NHK", "NHG"]].min() > 90
    assert med["HAB"] < 30 and med["JFB"] < 30


def test_private_units_wait_shorter_for_knee_prostheses(spor):
    ngb = _planned(spor)[lambda d: d["grupp"] == "NGB"]
    med = ngb.groupby("agarform")["wait"].median()
    assert med["privat"] < med["offentlig"]


def test_units_differ(spor):
    ngb = _planned(spor)[lambda d: d["grupp"] == "NGB"]
    per_unit = ngb.groupby("vardenhet_hsaid")["wait"].agg(["median", "size"])
    per_unit = per_unit[per_unit["size"] >= 50]
    assert per_unit["median"].max() > 1.6 * per_unit["median"].min()


def test_priority_and_asa_matter(spor):
    ngb = _planned(spor)[lambda d: d["grupp"] == "NGB"]
    by_prio = ngb.groupby("bortre_tidsgrans")["wait"].median()
    assert by_prio["1v"] < 0.5 * by_prio["12m"]
    assert by_prio["3m"] < by_prio["6m"] < by_prio["12m"]
    planned = _planned(spor)
    by_asa = planned[planned["asa_klass"].isin(["1", "3"])].groupby(["grupp", "asa_klass"])["wait"].median().unstack()
    assert (by_asa["3"] > by_asa["1"]).mean() > 0.6


def test_acute_rows_and_empty_optional_fields(spor):
    share = (spor["akut"] == "J").mean()
    assert 0.01 < share < 0.06
    assert spor.loc[spor["akut"] == "J", "wait"].max() <= 3
    for col in ("asa_klass", "bortre_tidsgrans", "patient_lan"):
        assert 0 < (spor[col] == "").mean() < 0.1, col


def test_out_of_region_patients_more_at_private_units(spor):
    known = spor[spor["patient_lan"] != ""]
    out_of_region = (known["patient_lan"] != known["region_kod"]).groupby(known["agarform"]).mean()
    assert 0 < out_of_region["offentlig"] < 0.1
    assert out_of_region["privat"] > out_of_region["offentlig"]


def test_cataract_anaesthesia_and_eye(ncr):
    shares = ncr["anestesi"].value_counts(normalize=True)
    assert shares["topikal"] > 0.7 and 0.01 < shares["narkos"] < 0.1
    med = ncr.groupby("anestesi")["wait"].median()
    assert med["narkos"] > med["topikal"]
    assert set(ncr["oga"]) <= {"H", "V", ""} and (ncr["oga"] == "H").mean() > 0.4


def test_summer_dip(spor):
    monthly = spor.groupby(spor["op"].dt.to_period("M")).size()
    for july in [p for p in monthly.index if p.month == 7]:
        around = monthly.get(july - 2, np.nan), monthly.get(july + 2, np.nan)
        assert monthly[july] < 0.6 * np.nanmean(around), str(july)


def test_slow_trends_in_waits(spor):
    planned = _planned(spor)
    planned = planned[planned["op"] >= planned["op"].min() + pd.Timedelta(days=180)]
    half = planned["op"] < planned["op"].min() + (planned["op"].max() - planned["op"].min()) / 2
    med = planned.groupby(["grupp", half])["wait"].median().unstack()
    change = (med[False] / med[True]).dropna()
    assert (change > 1.1).any() and (change < 0.9).any()


# ---------------------------------------------------------------------------
# the wait-time database agrees with the registers
# ---------------------------------------------------------------------------

def test_vtd_completed_operations_equal_register_counts(spor, ncr, vtd):
    ops = pd.concat([_planned(spor), ncr])
    ops = ops.assign(period=ops["op"].dt.to_period("M").astype(str), within_90=(ops["wait"] <= 90).astype(int))
    reg = ops.groupby(["vardenhet_hsaid", "grupp", "period"]).agg(
        reg_genomforda=("wait", "size"), reg_inom_90=("within_90", "sum"))
    fas2 = vtd[vtd["fas"] == "2"].set_index(["vardenhet_hsaid", "kva_grupp", "period"])
    fas2.index.names = ["vardenhet_hsaid", "grupp", "period"]
    joined = fas2[["genomforda", "genomforda_inom_90"]].join(reg, how="left").fillna(0)
    mismatch = joined[(joined["genomforda"] != joined["reg_genomforda"])
                      | (joined["genomforda_inom_90"] != joined["reg_inom_90"])]
    assert mismatch.empty, mismatch.head()
    assert joined["genomforda"].sum() > 10_000
    # and every register operation in the VTD months is in the database
    in_months = reg[reg.index.get_level_values("period").isin(set(vtd["period"]))]
    assert int(in_months["reg_genomforda"].sum()) == int(fas2["genomforda"].sum())


def test_vtd_waiting_list_contains_the_known_waiting_patients(spor, ncr, vtd):
    """At the last month end, everyone with a start before it and an operation after it (up to
    the end date) was waiting; the database may hold more (operated after the end date)."""
    last = pd.Period(END, "M") - 1
    month_end = last.to_timestamp(how="end").normalize()
    ops = pd.concat([_planned(spor), ncr])
    waiting = ops[(ops["start"] <= month_end) & (ops["op"] > month_end)]
    known = waiting.groupby(["vardenhet_hsaid", "grupp"]).size()
    fas2 = vtd[(vtd["fas"] == "2") & (vtd["period"] == str(last))].set_index(["vardenhet_hsaid", "kva_grupp"])["vantande"]
    fas2.index.names = ["vardenhet_hsaid", "grupp"]
    both = pd.concat([known.rename("known"), fas2.rename("vtd")], axis=1).fillna(0)
    assert (both["vtd"] >= both["known"]).all()
    assert both["vtd"].sum() > both["known"].sum()          # some wait beyond the end date
    # long waiters (more than 90 days at the month end) among the known ones
    long = waiting[(month_end - waiting["start"]).dt.days > 90].groupby(["vardenhet_hsaid", "grupp"]).size()
    over = vtd[(vtd["fas"] == "2") & (vtd["period"] == str(last))].set_index(["vardenhet_hsaid", "kva_grupp"])["vantande_over_90"]
    over.index.names = ["vardenhet_hsaid", "grupp"]
    both = pd.concat([long.rename("known"), over.rename("vtd")], axis=1).fillna(0)
    assert (both["vtd"] >= both["known"]).all()


def test_vtd_new_patients_match_register_referrals(spor, ncr, vtd):
    """nya counts referrals of the month; those operated by the end date are in the registers."""
    ops = pd.concat([_planned(spor), ncr])
    first = str(vtd["period"].min())
    ops = ops[ops["start"].dt.to_period("M").astype(str) >= first]
    known = ops.groupby(["vardenhet_hsaid", "grupp", ops["start"].dt.to_period("M").astype(str)]).size()
    fas2 = vtd[vtd["fas"] == "2"].set_index(["vardenhet_hsaid", "kva_grupp", "period"])["nya"]
    known.index.names = fas2.index.names
    both = pd.concat([known.rename("known"), fas2.rename("vtd")], axis=1).dropna(subset=["vtd"]).fillna(0)
    assert (both["vtd"] >= both["known"]).all()


def test_resubmission_replaces_some_units_of_an_earlier_month(out, vtd):
    resub = list(out.glob("vtd_*_omleverans.csv"))
    assert len(resub) == 1
    month = resub[0].stem.split("_")[1]
    original = _read(out / f"vtd_{month}.csv")
    new = _read(resub[0])
    assert 1 <= new["vardenhet_hsaid"].nunique() < original["vardenhet_hsaid"].nunique()
    key = ["vardenhet_hsaid", "fas", "kva_grupp"]
    merged = new.merge(original, on=key + ["period"], suffixes=("_ny", "_gammal"))
    assert len(merged) == len(new), "the resubmission covers rows of the original file"
    differs = (merged["genomforda_ny"] != merged["genomforda_gammal"]) | (merged["vantande_ny"] != merged["vantande_gammal"])
    assert differs.any()
    # the effective rows of those units are the resubmitted ones
    eff = vtd[(vtd["period"] == new["period"].iloc[0]) & vtd["vardenhet_hsaid"].isin(new["vardenhet_hsaid"])]
    assert set(eff["file"]) == {resub[0].name}
    # the resubmission sorts after the original, so loading files in name order applies it last
    assert sorted([f"vtd_{month}.csv", resub[0].name])[-1] == resub[0].name


def test_phase_one_rows_per_unit_and_month(vtd):
    fas1 = vtd[vtd["fas"] == "1"]
    assert not fas1.duplicated(["period", "vardenhet_hsaid"]).any()
    fas2_units = vtd[vtd["fas"] == "2"][["period", "vardenhet_hsaid"]].drop_duplicates()
    assert len(fas1) == len(fas2_units)
    assert (fas1["genomforda"] > 0).mean() > 0.8
