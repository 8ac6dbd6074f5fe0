"""Reproducible demo delivery in exactly the formats of EXTRACTS.md.

``generate_demo(out, scale, seed, end_date)`` writes into ``out``:

- ``vardenheter.csv`` (UTF-8 with BOM, like Excel's "CSV UTF-8") and ``kva.csv``;
- ``spor_YYYYMMDD.csv`` / ``ncr_YYYYMMDD.csv``: one backfill file dated
  end_date − 27 days with everything until then, then one file per day up to
  end_date; the daily files also correct (same ``post_id``, a changed field)
  and cancel (``status = makulerad``) earlier records;
- ``vtd_YYYYMM.csv`` for the 30 complete months before end_date, consistent
  with the registers, and one resubmission ``vtd_YYYYMM_omleverans.csv``;
- ``LASMIG.txt`` saying (in Swedish) that everything is fictional.

How it works: operations are drawn per unit × KVÅ group × day (Poisson, with
weekdays, a summer dip and slow trends), each gets a wait (log-normal around
the group's median, shifted by unit, ownership, priority, ASA class, trend).
Operations after the end date are simulated too, so the waiting list at every
month end is complete; they are never written. Same seed, scale and end date
give byte-identical files. Import-light: numpy, pyarrow and data.reference only.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from data.reference import NCR_GROUPS, kva_codes, kva_groups, regions
from etl import demo_model as M
from etl.demo_units import Unit, build_units

DAILY_FILES = 27          # daily files after the backfill file
VTD_MONTHS = 30
FUTURE_DAYS = 730         # simulated beyond the last month end (never written)
MAX_WAIT = 700
CORRECTION_RATE = 0.01
DELETION_RATE = 0.002

SPOR_COLUMNS = ["post_id", "vardenhet_hsaid", "kva_kod", "anmalan_datum", "operation_datum",
                "asa_klass", "bortre_tidsgrans", "akut", "patient_lan", "status"]
NCR_COLUMNS = ["post_id", "vardenhet_hsaid", "kva_kod", "beslut_datum", "operation_datum",
               "anestesi", "oga", "patient_lan", "status"]
VTD_COLUMNS = ["period", "vardenhet_hsaid", "mvo", "fas", "kva_grupp", "vantande", "vantande_over_90",
               "vantande_avvikelse", "nya", "genomforda", "genomforda_inom_90"]
UNIT_COLUMNS = ["vardenhet_hsaid", "namn", "sjukhus", "region_kod", "agarform", "ort", "lat", "lon"]

ANESTESI = ("topikal", "lokal", "narkos")
ANESTESI_P = (0.835, 0.125, 0.04)
OGA = ("H", "V")


@dataclass(frozen=True)
class Scale:
    spor_per_year: int
    ncr_per_year: int
    stopped_units: int
    resubmitted_units: int


SCALES = {
    "small": Scale(spor_per_year=25_000, ncr_per_year=5_000, stopped_units=1, resubmitted_units=2),
    "national": Scale(spor_per_year=700_000, ncr_per_year=140_000, stopped_units=3, resubmitted_units=5),
}

_DEMO_FILE = re.compile(r"^(spor_\d{8}|ncr_\d{8}|vtd_\d{6}(_omleverans)?|vardenheter|kva)\.csv$|^LASMIG\.txt$")


@dataclass
class DemoSummary:
    out: Path
    scale: str
    seed: int
    end_date: dt.date
    files: list[Path] = field(default_factory=list)
    spor_rows: int = 0            # rows written to spor_ files (operations + corrections + cancellations)
    ncr_rows: int = 0
    vtd_rows: int = 0
    units: int = 0
    spor_operations: int = 0      # distinct operations written
    ncr_operations: int = 0
    corrections: int = 0
    cancellations: int = 0
    stopped_units: list[str] = field(default_factory=list)
    resubmitted_period: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------------------
# calendar
# ---------------------------------------------------------------------------

def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


@dataclass
class Calendar:
    end: int                      # end_date as days since 1970
    backfill: int                 # date of the backfill file
    months: np.ndarray            # datetime64[M] of the VTD months
    month_start: np.ndarray       # int days
    month_end: np.ndarray         # int days (last day)
    sim_start: int
    sim_end: int

    @classmethod
    def for_end(cls, end_date: dt.date) -> "Calendar":
        end = _day(end_date)
        end_month = np.datetime64(end_date, "M")
        last_complete = end_date == (end_month + 1).astype("datetime64[D]").astype(dt.date) - dt.timedelta(days=1)
        last = end_month if last_complete else end_month - 1
        months = np.arange(last - (VTD_MONTHS - 1), last + 1)
        starts = months.astype("datetime64[D]").astype(np.int64)
        ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
        return cls(end=end, backfill=end - DAILY_FILES, months=months, month_start=starts, month_end=ends,
                   sim_start=int(starts[0]), sim_end=int(ends[-1]) + FUTURE_DAYS)


def _weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _day_profile(days: np.ndarray) -> np.ndarray:
    """Relative production per day: weekdays, the summer dip, Christmas."""
    d64 = days.astype("datetime64[D]")
    month = d64.astype("datetime64[M]").astype(np.int64) % 12
    dom = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
    f = np.asarray(M.MONTH_FACTOR)[month]
    f = f * np.where(_weekday(days) >= 5, 0.04, 1.0)
    christmas = ((month == 11) & (dom >= 23)) | ((month == 0) & (dom <= 1))
    return np.where(christmas, f * 0.3, f)


# ---------------------------------------------------------------------------
# simulation of operations
# ---------------------------------------------------------------------------

@dataclass
class Records:
    """One row per operation (truth), sorted by operation date."""
    source: str
    pair: np.ndarray
    unit: np.ndarray
    group: np.ndarray          # index into the group list
    code: np.ndarray           # index into the code list
    op: np.ndarray             # int days
    start: np.ndarray          # int days
    akut: np.ndarray           # bool
    asa: np.ndarray            # 0 = empty, else 1..4
    prio: np.ndarray           # -1 = empty, else index into PRIO_CODES
    anestesi: np.ndarray       # -1 = empty, else index into ANESTESI
    oga: np.ndarray            # -1 = empty, else index into OGA
    lan: np.ndarray            # -1 = empty, else index into region list

    def take(self, idx: np.ndarray) -> "Records":
        return Records(self.source, *(getattr(self, f)[idx] for f in _RECORD_FIELDS))


_RECORD_FIELDS = ("pair", "unit", "group", "code", "op", "start", "akut", "asa", "prio", "anestesi", "oga", "lan")


class _World:
    """Units, groups, codes and unit × group pairs with their parameters."""

    def __init__(self, units: list[Unit], rng: np.random.Generator):
        self.units = units
        self.group_codes = sorted(kva_groups())
        self.group_index = {g: i for i, g in enumerate(self.group_codes)}
        self.region_codes = list(regions())
        self.region_index = {r: i for i, r in enumerate(self.region_codes)}
        # codes grouped by KVÅ group, each group's most common code first
        codes = sorted(kva_codes(), key=lambda c: (c[:3], c != M.MAIN_CODE.get(c[:3]), c))
        self.codes = codes
        # code choice within each group: decreasing weights, padded to 4 columns
        self.code_cum = np.ones((len(self.group_codes), 4))
        self.code_first = np.zeros(len(self.group_codes), dtype=np.int64)
        self.code_count = np.zeros(len(self.group_codes), dtype=np.int64)
        for gi, g in enumerate(self.group_codes):
            idx = [i for i, c in enumerate(codes) if c.startswith(g)]
            w = np.array([0.6, 0.25, 0.1, 0.05][: len(idx)])
            self.code_cum[gi, : len(idx)] = np.cumsum(w / w.sum())
            self.code_first[gi] = idx[0]
            self.code_count[gi] = len(idx)
        models = [M.GROUP_MODELS[g] for g in self.group_codes]
        self.median = np.array([m.median_days for m in models])
        self.acute = np.array([m.acute_share for m in models])
        self.sigma = np.array([M.WAIT_SIGMA[m.kind] for m in models])
        self.prio_cum = np.array([np.cumsum(M.PRIO_DIST[m.kind]) for m in models])
        self.asa_cum = np.array([np.cumsum(M.ASA_DIST[m.kind]) for m in models])
        rel = np.log(np.asarray(M.PRIO_REL))
        self.prio_norm = np.exp(np.array([np.dot(M.PRIO_DIST[m.kind], rel) for m in models]))
        self.is_ncr = np.array([g in NCR_GROUPS for g in self.group_codes])
        # slow trend of each group's waits over the whole period (relative change)
        self.group_wait_trend = rng.uniform(-0.25, 0.35, len(self.group_codes))
        # units
        n = len(units)
        self.unit_region = np.array([self.region_index[u.region_kod] for u in units])
        self.unit_owner_wait = np.array([M.OWNER_WAIT[u.agarform] for u in units])
        self.unit_out = np.array([M.OWNER_OUT_OF_REGION[u.agarform] for u in units])
        self.unit_wait = rng.lognormal(0.0, 0.28, n)
        self.unit_wait_trend = rng.uniform(-0.2, 0.2, n)
        # pairs
        pu, pg = [], []
        for ui, u in enumerate(units):
            for g in sorted(u.groups):
                pu.append(ui)
                pg.append(self.group_index[g])
        self.pair_unit = np.array(pu)
        self.pair_group = np.array(pg)
        self.pair_wait = rng.lognormal(0.0, 0.12, len(pu))
        self.pair_size = np.array([units[i].size for i in pu]) * rng.lognormal(0.0, 0.3, len(pu))
        self.pair_trend = rng.uniform(-0.15, 0.2, len(pu))
        pop = np.array([M.REGION_POPULATION[r] for r in self.region_codes], dtype=float)
        self.region_p = pop / pop.sum()

    def pair_annual(self, scale: Scale) -> np.ndarray:
        """Expected operations a year for every pair (SPOR and NCR volumes calibrated separately)."""
        annual = np.zeros(len(self.pair_unit))
        for ncr, total in ((False, scale.spor_per_year), (True, scale.ncr_per_year)):
            sel = self.is_ncr[self.pair_group] == ncr
            groups = np.unique(self.pair_group[sel])
            weights = np.array([M.GROUP_MODELS[self.group_codes[g]].weight for g in groups])
            group_total = dict(zip(groups, total * weights / weights.sum()))
            for g in groups:
                p = np.flatnonzero(self.pair_group == g)
                annual[p] = group_total[g] * self.pair_size[p] / self.pair_size[p].sum()
        return annual


def _categorical(u: np.ndarray, cum: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index of the category each uniform ``u`` falls in, with per-group cumulative
    probabilities ``cum[group]`` (column by column, to keep memory at O(n))."""
    idx = np.zeros(len(u), dtype=np.int64)
    for j in range(cum.shape[1] - 1):
        idx += u > cum[group, j]
    return idx


def _simulate(world: _World, cal: Calendar, scale: Scale, stop_day: np.ndarray,
              rng: np.random.Generator) -> Records:
    """Every operation from the first VTD month to FUTURE_DAYS after the last month end."""
    days = np.arange(cal.sim_start, cal.sim_end + 1)
    profile = _day_profile(days)
    hist = days <= cal.end
    base = world.pair_annual(scale) / 365.0 / profile[hist].mean()
    frac = (days - cal.sim_start) / max(1, cal.end - cal.sim_start)
    lam = base[:, None] * profile[None, :] * np.clip(1.0 + world.pair_trend[:, None] * frac[None, :], 0.3, None)
    lam[days[None, :] > stop_day[world.pair_unit][:, None]] = 0.0
    counts = rng.poisson(lam)
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    del lam, counts
    pair = cells // len(days)
    op = cal.sim_start + cells % len(days)
    order = np.lexsort((pair, op))
    pair, op = pair[order], op[order]
    n = len(op)
    unit = world.pair_unit[pair]
    group = world.pair_group[pair]
    ncr = world.is_ncr[group]
    # code within the group
    code = world.code_first[group] + _categorical(rng.random(n), world.code_cum, group)
    code = np.minimum(code, world.code_first[group] + world.code_count[group] - 1)
    akut = (rng.random(n) < world.acute[group]) & ~ncr
    # priority and ASA class (SPOR)
    prio = np.minimum(_categorical(rng.random(n), world.prio_cum, group), 5)
    prio = np.where(rng.random(n) < 0.05, -1, prio)
    prio = np.where(akut, np.where(rng.random(n) < 0.7, -1, 0), prio)
    asa = np.minimum(_categorical(rng.random(n), world.asa_cum, group) + 1, 4)
    asa = np.where(rng.random(n) < 0.03, 0, asa)
    prio = np.where(ncr, -1, prio)
    asa = np.where(ncr, 0, asa)
    # anaesthesia and eye (NCR)
    an = np.searchsorted(np.cumsum(ANESTESI_P), rng.random(n) * sum(ANESTESI_P), side="right")
    an = np.minimum(an, 2)
    an = np.where(rng.random(n) < 0.01, -1, an)
    anestesi = np.where(ncr, an, -1)
    oga = np.where(ncr, np.where(rng.random(n) < 0.01, -1, (rng.random(n) < 0.5).astype(np.int64)), -1)
    # the wait
    frac_op = (op - cal.sim_start) / max(1, cal.end - cal.sim_start)
    median = (world.median[group] * world.unit_wait[unit] * world.pair_wait[pair] * world.unit_owner_wait[unit]
              * (1.0 + world.group_wait_trend[group] * frac_op) * (1.0 + world.unit_wait_trend[unit] * frac_op))
    prio_rel = np.where(prio >= 0, np.asarray(M.PRIO_REL)[np.maximum(prio, 0)] / world.prio_norm[group], 1.0)
    asa_rel = np.where(asa > 0, np.asarray(M.ASA_REL)[np.maximum(asa - 1, 0)], 1.0)
    median = median * np.where(ncr, np.where(anestesi == 2, 1.8, 1.0), prio_rel * asa_rel)
    wait = np.rint(median * np.exp(world.sigma[group] * rng.standard_normal(n)))
    wait = np.clip(wait, 0, MAX_WAIT).astype(np.int64)
    wait = np.where(akut, rng.integers(0, 3, n), wait)
    start = op - wait
    wd = _weekday(start)
    start = np.where((wd >= 5) & ~akut, start - (wd - 4), start)   # referrals are written on weekdays
    # the patient's home region
    home = world.unit_region[unit]
    other = rng.choice(len(world.region_codes), size=n, p=world.region_p)
    lan = np.where(rng.random(n) < world.unit_out[unit], other, home)
    lan = np.where(rng.random(n) < 0.015, -1, lan)
    i8, i16, i32 = np.int8, np.int16, np.int32
    return Records("", pair.astype(i32), unit.astype(i16), group.astype(i16), code.astype(i16), op.astype(i32),
                   start.astype(i32), akut, asa.astype(i8), prio.astype(i8), anestesi.astype(i8), oga.astype(i8),
                   lan.astype(i8))


# ---------------------------------------------------------------------------
# corrections and cancellations
# ---------------------------------------------------------------------------

def _stochastic_round(x: float, rng: np.random.Generator) -> int:
    return int(np.floor(x + rng.random()))


@dataclass
class Revisions:
    corrected: np.ndarray      # record indices
    corrected_on: np.ndarray   # file day of the correction
    deleted: np.ndarray
    deleted_on: np.ndarray


def _choose_revisions(rec: Records, cal: Calendar, rng: np.random.Generator) -> Revisions:
    taken = np.zeros(len(rec.op), dtype=bool)
    out = {"c": [], "cd": [], "d": [], "dd": []}

    def pick(k: int, lo: int, hi: int) -> list[int]:
        chosen: list[int] = []
        while len(chosen) < k and hi > 0:
            recent = rng.random() < 0.85 and hi - lo > 0
            i = int(rng.integers(lo, hi)) if recent else int(rng.integers(0, hi))
            if not taken[i]:
                taken[i] = True
                chosen.append(i)
        return chosen

    file_days = [cal.backfill + j for j in range(1, DAILY_FILES + 1)]
    n_deleted = 0
    for j, day in enumerate(file_days):
        hi = int(np.searchsorted(rec.op, day, side="left"))          # first shown in an earlier file
        lo = int(np.searchsorted(rec.op, day - 60, side="left"))
        n_new = int(np.count_nonzero(rec.op == day))
        n_corr = _stochastic_round(CORRECTION_RATE * n_new, rng)
        n_del = _stochastic_round(DELETION_RATE * n_new, rng)
        if n_new + n_corr + n_del == 0:
            n_corr = 1                                                # never an empty file
        if j == len(file_days) - 1 and n_deleted + n_del == 0:
            n_del = 1                                                 # always at least one cancellation
        c = pick(n_corr, lo, hi)
        d = pick(n_del, lo, hi)
        n_deleted += len(d)
        out["c"] += c
        out["cd"] += [day] * len(c)
        out["d"] += d
        out["dd"] += [day] * len(d)
    return Revisions(np.array(out["c"], dtype=np.int64), np.array(out["cd"], dtype=np.int64),
                     np.array(out["d"], dtype=np.int64), np.array(out["dd"], dtype=np.int64))


def _perturbed(rec: Records, world: _World, idx: np.ndarray, rng: np.random.Generator) -> Records:
    """The first, later corrected, version of the records ``idx``: one field differs."""
    first = rec.take(np.arange(len(rec.op)))           # a copy
    field_choice = rng.integers(0, 5, len(idx))
    ncr = world.is_ncr[rec.group[idx]]
    for k, i in enumerate(idx):
        f = field_choice[k]
        if f == 0:
            if ncr[k]:
                first.anestesi[i] = (rec.anestesi[i] + 1) % 3 if rec.anestesi[i] >= 0 else 0
            else:
                first.asa[i] = 2 if rec.asa[i] == 0 else (rec.asa[i] % 4) + 1
        elif f == 1:
            if ncr[k]:
                first.oga[i] = 1 - rec.oga[i] if rec.oga[i] >= 0 else 0
            else:
                first.prio[i] = 3 if rec.prio[i] < 0 else (rec.prio[i] + 1) % 6
        elif f == 2:
            home = world.unit_region[rec.unit[i]]
            first.lan[i] = (home + 1) % len(world.region_codes) if rec.lan[i] == home else home
        elif f == 3:
            g = rec.group[i]
            c0, cn = world.code_first[g], world.code_count[g]
            first.code[i] = c0 + (rec.code[i] - c0 + 1) % cn
        else:
            shift = int(rng.integers(1, 15))
            first.start[i] = rec.start[i] + shift if rec.start[i] + shift <= rec.op[i] else rec.start[i] - shift
    return first


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

_WRITE = pacsv.WriteOptions(delimiter=";", quoting_style="none", quoting_header="none")


def _dict_column(indices: np.ndarray, values: list[str]) -> pa.Array:
    """String column from integer codes; negative codes become empty (null)."""
    mask = indices < 0
    arr = pa.array(np.where(mask, 0, indices).astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(arr, pa.array(values, pa.string())).dictionary_decode()


def _date_column(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"))


def _post_ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width=8, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def _write_csv(table: pa.Table, path: Path, bom: bool = False) -> None:
    with open(path, "wb") as fh:
        if bom:
            fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh, write_options=_WRITE)


def _register_table(source: str, rows_rec: np.ndarray, rows_kind: np.ndarray, rec: Records,
                    first: Records, corrected_mask: np.ndarray, world: _World) -> pa.Table:
    """The rows of the register files: kind 0 = first version, 1 = correction, 2 = cancellation."""
    use_first = (rows_kind == 0) & corrected_mask[rows_rec]

    def col(name: str) -> np.ndarray:
        return np.where(use_first, getattr(first, name)[rows_rec], getattr(rec, name)[rows_rec])

    hsaids = [u.hsaid for u in world.units]
    columns = {
        "post_id": _post_ids("SP" if source == "spor" else "NC", rows_rec + 1),
        "vardenhet_hsaid": _dict_column(rec.unit[rows_rec], hsaids),
        "kva_kod": _dict_column(col("code"), world.codes),
        "anmalan_datum" if source == "spor" else "beslut_datum": _date_column(col("start")),
        "operation_datum": _date_column(rec.op[rows_rec]),
    }
    if source == "spor":
        asa = col("asa")
        columns["asa_klass"] = pa.array(asa.astype(np.int8), mask=asa == 0)
        columns["bortre_tidsgrans"] = _dict_column(col("prio"), list(M.PRIO_CODES))
        columns["akut"] = _dict_column(rec.akut[rows_rec].astype(np.int64), ["N", "J"])
    else:
        columns["anestesi"] = _dict_column(col("anestesi"), list(ANESTESI))
        columns["oga"] = _dict_column(col("oga"), list(OGA))
    columns["patient_lan"] = _dict_column(col("lan"), world.region_codes)
    columns["status"] = _dict_column(np.where(rows_kind == 2, 0, -1), ["makulerad"])
    return pa.table(columns)


def _write_register(source: str, rec: Records, world: _World, cal: Calendar, rng: np.random.Generator,
                    out: Path, progress: Callable[[str], None]) -> tuple[list[Path], int, Revisions]:
    """Write spor_/ncr_ files for the records with operation_datum <= end. Returns files, rows, revisions."""
    rev = _choose_revisions(rec, cal, rng)
    corrected_mask = np.zeros(len(rec.op), dtype=bool)
    corrected_mask[rev.corrected] = True
    first = _perturbed(rec, world, rev.corrected, rng)
    first_day = np.maximum(rec.op, cal.backfill)
    rows_rec = np.concatenate([np.arange(len(rec.op)), rev.corrected, rev.deleted])
    rows_day = np.concatenate([first_day, rev.corrected_on, rev.deleted_on])
    rows_kind = np.concatenate([np.zeros(len(rec.op), np.int64), np.ones(len(rev.corrected), np.int64),
                                np.full(len(rev.deleted), 2, np.int64)])
    order = np.lexsort((rows_rec, rows_day))
    rows_rec, rows_day, rows_kind = rows_rec[order], rows_day[order], rows_kind[order]
    table = _register_table(source, rows_rec, rows_kind, rec, first, corrected_mask, world)
    files = []
    for day in range(cal.backfill, cal.end + 1):
        lo = int(np.searchsorted(rows_day, day, side="left"))
        hi = int(np.searchsorted(rows_day, day, side="right"))
        path = out / f"{source}_{_date(day):%Y%m%d}.csv"
        _write_csv(table.slice(lo, hi - lo), path)
        files.append(path)
        if day == cal.backfill:
            progress(f"Skrev {path.name} ({_fmt(hi - lo)} rader, allt till och med {_date(day).isoformat()})")
    progress(f"Skrev {DAILY_FILES} dagliga {source.upper()}-filer med {_fmt(len(rev.corrected))} rättelser "
             f"och {_fmt(len(rev.deleted))} makuleringar")
    return files, len(rows_rec), rev


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# ---------------------------------------------------------------------------
# wait-time database
# ---------------------------------------------------------------------------

def _vtd_counts(world: _World, cal: Calendar, recs: list[Records]) -> dict[str, np.ndarray]:
    """Per pair × month: genomforda, inom_90, nya, vantande, over_90 (planned operations only)."""
    n_pairs, n_m = len(world.pair_unit), VTD_MONTHS
    me = cal.month_end
    out = {k: np.zeros((n_pairs, n_m + 1), dtype=np.int64) for k in ("genomforda", "inom_90", "nya", "vantande", "over_90")}
    for rec in recs:
        planned = ~rec.akut
        pair, op, start = rec.pair[planned], rec.op[planned], rec.start[planned]
        wait = op - start
        k_op = np.searchsorted(me, op, side="left")
        ok = (op >= cal.month_start[0]) & (k_op < n_m)
        np.add.at(out["genomforda"], (pair[ok], k_op[ok]), 1)
        ok90 = ok & (wait <= 90)
        np.add.at(out["inom_90"], (pair[ok90], k_op[ok90]), 1)
        k_st = np.searchsorted(me, start, side="left")
        ok = (start >= cal.month_start[0]) & (k_st < n_m)
        np.add.at(out["nya"], (pair[ok], k_st[ok]), 1)
        last = np.searchsorted(me, op, side="left") - 1            # last month end before the operation
        for key, first_end in (("vantande", start), ("over_90", start + 91)):
            a = np.searchsorted(me, first_end, side="left")        # first month end counted
            ok = a <= last
            np.add.at(out[key], (pair[ok], a[ok]), 1)
            np.add.at(out[key], (pair[ok], last[ok] + 1), -1)
    for key in ("vantande", "over_90"):
        out[key] = np.cumsum(out[key], axis=1)
    return {k: v[:, :n_m] for k, v in out.items()}


def _vtd_tables(world: _World, cal: Calendar, counts: dict[str, np.ndarray], stop_day: np.ndarray,
                rng: np.random.Generator) -> list[dict]:
    """One dict of columns per month (true rows), fas 1 and fas 2."""
    n_units = len(world.units)
    n_m = VTD_MONTHS
    avv = rng.binomial(counts["vantande"], 0.04)
    # phase 1 (first visit): per unit and month, plausible counts from the unit's operations
    unit_sum = {k: np.zeros((n_units, n_m), dtype=np.int64) for k in counts}
    for k in counts:
        np.add.at(unit_sum[k], world.pair_unit, counts[k])
    f_new = rng.uniform(1.2, 2.0, n_units)[:, None]
    f_q = rng.uniform(0.5, 1.0, n_units)[:, None]
    p_in = rng.uniform(0.6, 0.95, n_units)[:, None]
    p_over = rng.uniform(0.05, 0.35, n_units)[:, None]
    nya1 = np.rint(unit_sum["nya"] * f_new * rng.uniform(0.9, 1.1, (n_units, n_m))).astype(np.int64)
    gen1 = np.rint(nya1 * rng.uniform(0.92, 1.08, (n_units, n_m))).astype(np.int64)
    in1 = rng.binomial(gen1, np.broadcast_to(p_in, gen1.shape))
    van1 = np.rint(unit_sum["vantande"] * f_q * rng.uniform(0.9, 1.1, (n_units, n_m))).astype(np.int64)
    over1 = rng.binomial(van1, np.broadcast_to(p_over, van1.shape))
    avv1 = rng.binomial(van1, 0.04)
    hsaids = np.array([u.hsaid for u in world.units], dtype=object)
    mvos = np.array([u.mvo for u in world.units], dtype=object)
    groups = np.array(world.group_codes, dtype=object)
    months = []
    for k in range(n_m):
        active_u = stop_day >= cal.month_start[k]
        u_idx = np.flatnonzero(active_u)
        p_idx = np.flatnonzero(active_u[world.pair_unit])
        # rows: fas 1 per unit, then fas 2 per pair; ordered by unit, fas, group
        unit_of_row = np.concatenate([u_idx, world.pair_unit[p_idx]])
        fas = np.concatenate([np.ones(len(u_idx), np.int64), np.full(len(p_idx), 2, np.int64)])
        group_key = np.concatenate([np.full(len(u_idx), -1), world.pair_group[p_idx]])
        order = np.lexsort((group_key, fas, unit_of_row))

        def both(a1, a2):
            return np.concatenate([a1[u_idx, k], a2[p_idx, k]])[order]

        months.append({
            "period": str(cal.months[k]),
            "unit": unit_of_row[order],
            "vardenhet_hsaid": hsaids[unit_of_row[order]],
            "mvo": mvos[unit_of_row[order]],
            "fas": fas[order],
            "kva_grupp": np.concatenate([np.full(len(u_idx), None, dtype=object), groups[world.pair_group[p_idx]]])[order],
            "vantande": both(van1, counts["vantande"]),
            "vantande_over_90": both(over1, counts["over_90"]),
            "vantande_avvikelse": both(avv1, avv),
            "nya": both(nya1, counts["nya"]),
            "genomforda": both(gen1, counts["genomforda"]),
            "genomforda_inom_90": both(in1, counts["inom_90"]),
        })
    return months


def _vtd_arrow(m: dict, rows: np.ndarray | slice = slice(None)) -> pa.Table:
    cols = {}
    for c in VTD_COLUMNS:
        v = m[c] if c == "period" else m[c][rows]
        if c == "period":
            cols[c] = pa.array([v] * len(m["fas"][rows]), pa.string())
        elif c in ("vardenhet_hsaid", "mvo", "kva_grupp"):
            cols[c] = pa.array(list(v), pa.string())
        else:
            cols[c] = pa.array(np.asarray(v, dtype=np.int64))
    return pa.table(cols)


def _write_vtd(months: list[dict], world: _World, scale: Scale, rng: np.random.Generator, out: Path,
               progress: Callable[[str], None]) -> tuple[list[Path], int, str]:
    """vtd_YYYYMM.csv for every month; in one earlier month a few units first deliver wrong
    numbers and then resubmit the true ones in vtd_YYYYMM_omleverans.csv."""
    files, n_rows = [], 0
    k_resub = VTD_MONTHS - 4
    m = months[k_resub]
    units_in_month = np.unique(m["unit"])
    resub_units = rng.choice(units_in_month, size=min(scale.resubmitted_units, len(units_in_month)), replace=False)
    for k, m in enumerate(months):
        path = out / f"vtd_{m['period'].replace('-', '')}.csv"
        if k == k_resub:
            wrong = dict(m)
            sel = np.isin(m["unit"], resub_units)
            for c in ("genomforda", "vantande", "nya"):
                v = np.array(m[c], dtype=np.int64)
                v[sel] = np.rint(v[sel] * rng.uniform(0.7, 0.95, sel.sum()) + rng.integers(0, 3, sel.sum()))
                wrong[c] = v
            wrong["genomforda_inom_90"] = np.minimum(m["genomforda_inom_90"], wrong["genomforda"])
            wrong["vantande_over_90"] = np.minimum(m["vantande_over_90"], wrong["vantande"])
            _write_csv(_vtd_arrow(wrong), path)
            resub_path = out / f"vtd_{m['period'].replace('-', '')}_omleverans.csv"
            _write_csv(_vtd_arrow(m, np.flatnonzero(sel)), resub_path)
            n_rows += int(sel.sum())
            resub_period = m["period"]
            files.append(path)
            files.append(resub_path)
        else:
            _write_csv(_vtd_arrow(m), path)
            files.append(path)
        n_rows += len(m["fas"])
    progress(f"Skrev {len(months)} månadsfiler från väntetidsdatabasen ({_fmt(n_rows)} rader) "
             f"och en omleverans för {resub_period}")
    return files, n_rows, resub_period


# ---------------------------------------------------------------------------
# catalogues and the read-me
# ---------------------------------------------------------------------------

def _write_units(units: list[Unit], out: Path) -> Path:
    table = pa.table({
        "vardenhet_hsaid": [u.hsaid for u in units],
        "namn": [u.namn for u in units],
        "sjukhus": [u.sjukhus for u in units],
        "region_kod": [u.region_kod for u in units],
        "agarform": [u.agarform for u in units],
        "ort": [u.ort for u in units],
        "lat": [f"{u.lat:.5f}" for u in units],
        "lon": [f"{u.lon:.5f}" for u in units],
    })
    path = out / "vardenheter.csv"
    _write_csv(table, path, bom=True)
    return path


def _write_kva(out: Path) -> Path:
    rows = sorted(kva_groups().items()) + sorted(kva_codes().items())
    table = pa.table({"kod": [k for k, _ in rows], "titel": [t for _, t in rows]})
    path = out / "kva.csv"
    _write_csv(table, path)
    return path


def _write_readme(out: Path, summary: DemoSummary, cal: Calendar) -> Path:
    text = f"""LÄS MIG – DEMODATA

Allt i den här mappen är påhittat demodata. Det beskriver inga verkliga
vårdenheter, patienter eller väntetider och får inte användas för beslut.

Enheterna har påhittade namn och HSA-id som börjar med SE0000000000-, ett
organisationsnummer som aldrig delas ut. Appen visar därför etiketten
"Demodata" när de här filerna är inlästa.

Skapat av: python -m etl demo --scale {summary.scale} --seed {summary.seed} --end-date {summary.end_date.isoformat()}
Samma kommando ger byte för byte samma filer.

Innehåll (format enligt EXTRACTS.md):
- vardenheter.csv: {summary.units} påhittade vårdenheter i alla 21 regioner (UTF-8 med BOM)
- kva.csv: den inbyggda KVÅ-katalogen (grupper och koder)
- spor_ÅÅÅÅMMDD.csv och ncr_ÅÅÅÅMMDD.csv: en första fil med allt till och med
  {_date(cal.backfill).isoformat()}, sedan en fil per dag till och med {summary.end_date.isoformat()};
  de dagliga filerna innehåller också rättelser (samma post_id igen) och
  makuleringar (status = makulerad)
- vtd_ÅÅÅÅMM.csv: väntetidsdatabasens månadsbilder {cal.months[0]} – {cal.months[-1]},
  och en omleverans (vtd_{summary.resubmitted_period.replace('-', '')}_omleverans.csv) som ersätter
  några enheters rader för {summary.resubmitted_period}

Läs in allt med: python -m etl load <den här mappen>
"""
    path = out / "LASMIG.txt"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------

def _prepare_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    existing = [p for p in out.iterdir() if p.is_file() and _DEMO_FILE.match(p.name)]
    if existing and not (out / "LASMIG.txt").exists():
        raise ValueError(
            f"Mappen {out} innehåller redan leveransfiler ({existing[0].name} m.fl.) som inte är demodata. "
            "Välj en tom mapp för demoleveransen.")
    for p in existing:           # an earlier demo delivery: replace it completely
        p.unlink()


def generate_demo(out: Path, scale: str = "small", seed: int = 1, end_date: dt.date | None = None,
                  progress: Callable[[str], None] | None = None) -> DemoSummary:
    """Write a reproducible demo delivery into ``out`` and return what was written."""
    t0 = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"Okänd skala {scale!r}: välj small eller national.")
    progress = progress or (lambda _msg: None)
    end_date = end_date or (dt.date.today() - dt.timedelta(days=1))
    out = Path(out)
    _prepare_out(out)
    sc = SCALES[scale]
    rng = np.random.default_rng([int(seed), list(SCALES).index(scale)])
    cal = Calendar.for_end(end_date)
    summary = DemoSummary(out=out, scale=scale, seed=int(seed), end_date=end_date)

    units = build_units(scale, rng)
    world = _World(units, rng)
    summary.units = len(units)
    progress(f"Skapade {len(units)} påhittade vårdenheter i {len({u.region_kod for u in units})} regioner")
    # a few units stop reporting at least 60 days before the end date
    stop_day = np.full(len(units), np.iinfo(np.int64).max // 4, dtype=np.int64)
    candidates = [i for i, u in enumerate(units)
                  if sum(v.region_kod == u.region_kod for v in units) > 1 and "NGB" not in u.groups]
    for i in rng.choice(candidates, size=sc.stopped_units, replace=False):
        stop_day[i] = cal.end - int(rng.integers(60, 150))
        summary.stopped_units.append(units[i].hsaid)
    summary.stopped_units.sort()

    truth = _simulate(world, cal, sc, stop_day, rng)
    progress(f"Simulerade {_fmt(len(truth.op))} operationer (även efter slutdatum, för väntelistorna)")
    files: list[Path] = [_write_units(units, out), _write_kva(out)]

    vtd_sets = []
    for source in ("spor", "ncr"):
        sel = world.is_ncr[truth.group] == (source == "ncr")
        rec = truth.take(np.flatnonzero(sel & (truth.op <= cal.end)))
        rec.source = source
        future = truth.take(np.flatnonzero(sel & (truth.op > cal.end)))
        written, n_rows, rev = _write_register(source, rec, world, cal, rng, out, progress)
        files += written
        keep = np.ones(len(rec.op), dtype=bool)
        keep[rev.deleted] = False                  # cancelled records never happened
        vtd_sets += [rec.take(np.flatnonzero(keep)), future]
        summary.corrections += len(rev.corrected)
        summary.cancellations += len(rev.deleted)
        if source == "spor":
            summary.spor_rows, summary.spor_operations = n_rows, len(rec.op)
        else:
            summary.ncr_rows, summary.ncr_operations = n_rows, len(rec.op)

    counts = _vtd_counts(world, cal, vtd_sets)
    months = _vtd_tables(world, cal, counts, stop_day, rng)
    vtd_files, summary.vtd_rows, summary.resubmitted_period = _write_vtd(months, world, sc, rng, out, progress)
    files += vtd_files
    files.append(_write_readme(out, summary, cal))
    summary.files = sorted(files)
    summary.seconds = time.perf_counter() - t0
    seconds = f"{summary.seconds:.1f}".replace(".", ",")
    progress(f"Klart: {len(files)} filer i {out} på {seconds} s")
    return summary
