"""Kapacitetsannonser: short-lived notices in which a unit offers (erbjuder)
or asks for (efterfrågar) capacity for one or more KVÅ groups. Stored in the
app database (auth/models.py CapacityNotice, migration 0003).

- A person with the role ``annonsor`` for a unit (unit_grants; granted with
  ``flask --app app users grant <hsa-id> annonsor --enhet <unit>``, several
  units possible) posts and withdraws that unit's notices; every reader sees
  the current ones (not withdrawn, giltig_till today or later).
- Every field is validated with a Swedish message naming it
  (:class:`NoticeError`); a refused write changes nothing.
- Withdrawn and expired notices are kept, only hidden; every write is audited
  by the caller (who, when, what).
- Text is stored as typed and always shown as text (Dash and JSON escape it).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from auth.certs import is_valid_hsa_id
from auth.db import AuthDB
from auth.models import CapacityNotice, UnitGrant, utcnow

ROLE = "annonsor"
TYPES = {"erbjuder": "erbjuder", "efterfragar": "efterfrågar", "efterfrågar": "efterfrågar"}
MAX_DAYS_AHEAD = 90
MAX_TEXT = 500
MAX_CONTACT = 200
MAX_PATIENTS = 10_000
FIELDS = ("enhet", "kva", "typ", "antal", "fran", "till", "asa_max", "villkor", "kontakt", "giltig_till")
_KVA = re.compile(r"^[A-Za-z]{3}$")
_PERSONAL_NUMBER = re.compile(r"\b(19|20)?\d{6}[-+ ]?\d{4}\b")


class NoticeError(ValueError):
    """A field that cannot be accepted: ``field`` names it, the message says why in Swedish."""

    #: where a message names its field: the key in the API ("fran"), the label in the form ("Från")
    MARK = "{fält}"

    def __init__(self, field: str, message: str):
        self.field = field
        self.template = message
        self.message = self.named(field)
        super().__init__(self.message)

    def named(self, name: str) -> str:
        """The message with the field called ``name`` (the form passes its label).
        The mark comes before any quoted input, so only its first place is the
        field's: a value typed as "{fält}" is quoted as typed."""
        return self.template.replace(self.MARK, name, 1)


class NoticeForbidden(NoticeError):
    """The person may not post for the unit (the API answers 403, not 400)."""


@dataclass(frozen=True)
class NoticeInput:
    enhet: str
    kva: tuple[str, ...]
    typ: str
    antal: int
    fran: dt.date
    till: dt.date
    asa_max: int | None
    villkor: str | None
    kontakt: str
    giltig_till: dt.date


def _date(payload: Mapping, field: str) -> dt.date:
    raw = payload.get(field)
    if raw in (None, ""):
        raise NoticeError(field, "Fältet {fält} saknas: ange ett datum ÅÅÅÅ-MM-DD.")
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise NoticeError(field, f"Fältet {{fält}} är inget datum: {str(raw)[:20]!r} (ange ÅÅÅÅ-MM-DD).") from None


def validate(payload: Mapping, *, known_group: Callable[[str], bool], known_unit: Callable[[str], bool],
             may_post_for: Callable[[str], bool], today: dt.date | None = None) -> NoticeInput:
    """A notice from a JSON body or a form, every field checked; raises NoticeError."""
    today = today or dt.date.today()
    if not isinstance(payload, Mapping):
        raise NoticeError("body", "Innehållet måste vara ett JSON-objekt med annonsens fält.")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise NoticeError(unknown[0], f"Okänt fält {unknown[0]!r}. Tillåtna fält: {', '.join(FIELDS)}.")
    enhet = str(payload.get("enhet") or "").strip()
    if not is_valid_hsa_id(enhet) or not known_unit(enhet):
        raise NoticeError("enhet", f"Okänd vårdenhet i fältet {{fält}}: {enhet[:40]!r} (ange enhetens HSA-id).")
    if not may_post_for(enhet):
        raise NoticeForbidden("enhet", f"Du har inte rollen annonsör för enheten {enhet}; be förvaltningen om den.")
    raw_kva = payload.get("kva")
    groups = raw_kva if isinstance(raw_kva, list) else str(raw_kva or "").replace(";", ",").split(",")
    kva = tuple(dict.fromkeys(str(g).strip().upper() for g in groups if str(g).strip()))
    if not kva:
        raise NoticeError("kva", "Fältet {fält} saknas: ange en eller flera KVÅ-grupper, t.ex. NGB.")
    for g in kva:
        if not _KVA.match(g) or not known_group(g):
            raise NoticeError("kva", f"Okänd KVÅ-grupp i fältet {{fält}}: {g[:10]!r}.")
    typ = TYPES.get(str(payload.get("typ") or "").strip().lower())
    if typ is None:
        raise NoticeError("typ", "Fältet {fält} måste vara erbjuder (enheten erbjuder kapacitet) eller efterfragar.")
    try:
        antal = int(str(payload.get("antal")).strip())
    except ValueError:
        raise NoticeError("antal", "Fältet {fält} måste vara ett heltal (antal patienter).") from None
    if not 1 <= antal <= MAX_PATIENTS:
        raise NoticeError("antal", f"Fältet {{fält}} måste vara 1–{MAX_PATIENTS}, fick {antal}.")
    fran, till, giltig = _date(payload, "fran"), _date(payload, "till"), _date(payload, "giltig_till")
    if till < fran:
        raise NoticeError("till", f"Perioden slutar ({till}) före den börjar ({fran}).")
    if till < today:
        raise NoticeError("till", f"Perioden har redan slutat ({till}).")
    if giltig < today:
        raise NoticeError("giltig_till", f"Annonsen måste gälla till i dag eller senare, fick {giltig}.")
    if giltig > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise NoticeError("giltig_till", f"En annons får gälla högst {MAX_DAYS_AHEAD} dagar framåt "
                                         f"(till {today + dt.timedelta(days=MAX_DAYS_AHEAD)}).")
    asa = payload.get("asa_max")
    if asa in (None, ""):
        asa_max = None
    else:
        try:
            asa_max = int(str(asa))
        except ValueError:
            raise NoticeError("asa_max", "Fältet {fält} måste vara en ASA-klass 1–6.") from None
        if not 1 <= asa_max <= 6:
            raise NoticeError("asa_max", f"Fältet {{fält}} måste vara en ASA-klass 1–6, fick {asa_max}.")
    villkor = str(payload.get("villkor") or "").strip() or None
    if villkor and len(villkor) > MAX_TEXT:
        raise NoticeError("villkor", f"Fältet {{fält}} får vara högst {MAX_TEXT} tecken (fick {len(villkor)}).")
    kontakt = str(payload.get("kontakt") or "").strip()
    if not kontakt:
        raise NoticeError("kontakt", "Fältet {fält} saknas: ange en funktionsbrevlåda eller växel, "
                                     "aldrig en enskild person.")
    if len(kontakt) > MAX_CONTACT:
        raise NoticeError("kontakt", f"Fältet {{fält}} får vara högst {MAX_CONTACT} tecken.")
    for field, text in (("kontakt", kontakt), ("villkor", villkor or "")):
        if _PERSONAL_NUMBER.search(text) or is_valid_hsa_id(text.strip()):
            raise NoticeError(field, "Fältet {fält} ser ut att innehålla ett personnummer eller en persons "
                                     "HSA-id; ange en funktionell kontakt (enhetens brevlåda eller växel).")
    return NoticeInput(enhet, kva, typ, antal, fran, till, asa_max, villkor, kontakt, giltig)


# ---- who may post ---------------------------------------------------------------------------

def grant_unit(db: AuthDB, hsa_id: str, enhet: str, by: str) -> bool:
    """Give the role annonsör for a unit; False when already held."""
    with db.session() as s:
        exists = s.scalar(select(UnitGrant).where(UnitGrant.hsa_id == hsa_id, UnitGrant.role == ROLE,
                                                  UnitGrant.enhet == enhet))
        if exists:
            return False
        s.add(UnitGrant(hsa_id=hsa_id, role=ROLE, enhet=enhet, granted_by=by[:200]))
        s.commit()
        return True


def revoke_unit(db: AuthDB, hsa_id: str, enhet: str) -> bool:
    with db.session() as s:
        result = s.execute(delete(UnitGrant).where(UnitGrant.hsa_id == hsa_id, UnitGrant.role == ROLE,
                                                   UnitGrant.enhet == enhet))
        s.commit()
        return bool(result.rowcount)


def units_for(db: AuthDB, hsa_id: str) -> frozenset[str]:
    """The units a person may post notices for."""
    with db.session() as s:
        return frozenset(s.scalars(select(UnitGrant.enhet).where(UnitGrant.hsa_id == hsa_id,
                                                                UnitGrant.role == ROLE)))


def unit_grants(db: AuthDB) -> list[UnitGrant]:
    with db.session() as s:
        return list(s.scalars(select(UnitGrant).order_by(UnitGrant.hsa_id, UnitGrant.enhet)))


# ---- the notices ----------------------------------------------------------------------------

def create(db: AuthDB, notice: NoticeInput, *, namn: str, region_kod: str, by: str) -> dict:
    with db.session() as s:
        row = CapacityNotice(enhet=notice.enhet, namn=namn[:200], region_kod=region_kod, kva=",".join(notice.kva),
                             typ=notice.typ, antal=notice.antal, fran=notice.fran, till=notice.till,
                             asa_max=notice.asa_max, villkor=notice.villkor, kontakt=notice.kontakt,
                             giltig_till=notice.giltig_till, skapad_av=by)
        s.add(row)
        s.commit()
        s.refresh(row)
        return as_dict(row)


EDITABLE = ("kva", "typ", "antal", "fran", "till", "asa_max", "villkor", "kontakt", "giltig_till")


def update(db: AuthDB, notice_id: int, notice: NoticeInput) -> tuple[dict, dict] | None:
    """Change a current notice of the same unit: (the stored notice, {field: (old, new)}); None when it
    does not exist or is no longer current. The caller audits what changed."""
    with db.session() as s:
        row = s.get(CapacityNotice, notice_id)
        if row is None or row.tillbakadragen is not None or row.enhet != notice.enhet:
            return None
        before = as_dict(row)
        row.kva, row.typ, row.antal = ",".join(notice.kva), notice.typ, notice.antal
        row.fran, row.till, row.asa_max = notice.fran, notice.till, notice.asa_max
        row.villkor, row.kontakt, row.giltig_till = notice.villkor, notice.kontakt, notice.giltig_till
        s.commit()
        after = as_dict(row)
    changed = {f: (before[f], after[f]) for f in EDITABLE if before[f] != after[f]}
    return after, changed


def changes_text(changed: dict) -> str:
    return "; ".join(f"{f}: {old!r} → {new!r}" for f, (old, new) in changed.items()) or "inga ändringar"


def get(db: AuthDB, notice_id: int) -> dict | None:
    with db.session() as s:
        row = s.get(CapacityNotice, notice_id)
        return as_dict(row) if row else None


def withdraw(db: AuthDB, notice_id: int, by: str) -> dict | None:
    """Hide a notice (kept, with who withdrew it when); None when it does not exist."""
    with db.session() as s:
        row = s.get(CapacityNotice, notice_id)
        if row is None:
            return None
        if row.tillbakadragen is None:
            row.tillbakadragen, row.tillbakadragen_av = utcnow(), by
            s.commit()
        return as_dict(row)


def current(db: AuthDB, *, kva: str | None = None, region: str | None = None, enhet: str | None = None,
            typ: str | None = None, today: dt.date | None = None) -> list[dict]:
    """The notices every reader sees: not withdrawn and valid today or later, newest first."""
    today = today or dt.date.today()
    with db.session() as s:
        q = select(CapacityNotice).where(CapacityNotice.tillbakadragen.is_(None),
                                         CapacityNotice.giltig_till >= today)
        if region:
            q = q.where(CapacityNotice.region_kod == region)
        if enhet:
            q = q.where(CapacityNotice.enhet == enhet)
        if typ:
            q = q.where(CapacityNotice.typ == typ)
        rows = [as_dict(r) for r in s.scalars(q.order_by(CapacityNotice.skapad.desc(), CapacityNotice.id.desc()))]
    if kva:
        rows = [r for r in rows if kva.upper() in r["kva"]]
    return rows


def as_dict(row: CapacityNotice) -> dict:
    return {"id": row.id, "enhet": row.enhet, "namn": row.namn, "region_kod": row.region_kod,
            "kva": row.kva.split(","), "typ": row.typ, "antal": row.antal, "fran": row.fran.isoformat(),
            "till": row.till.isoformat(), "asa_max": row.asa_max, "villkor": row.villkor, "kontakt": row.kontakt,
            "giltig_till": row.giltig_till.isoformat(),
            "skapad": row.skapad.isoformat(timespec="seconds") if row.skapad else None, "skapad_av": row.skapad_av}


def summary(notice: dict) -> str:
    """One line in Swedish: "Erbjuder 20 patienter NGB 2027-01-01 – 2027-01-31, ASA ≤ 3"."""
    typ = "Erbjuder" if notice["typ"] == "erbjuder" else "Efterfrågar"
    text = (f"{typ} {notice['antal']} {'patient' if notice['antal'] == 1 else 'patienter'} "
            f"{', '.join(notice['kva'])} {notice['fran']} – {notice['till']}")
    if notice.get("asa_max"):
        text += f", ASA ≤ {notice['asa_max']}"
    return text


def by_unit(notices: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for n in notices:
        out.setdefault(n["enhet"], []).append(n)
    return out

