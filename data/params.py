"""The parameters every question shares — KVÅ group, window, level and the
filters — parsed once, for the API, the URL state and the Dash callbacks alike.

Each ``parse_*`` takes the raw value as it comes (a query-string value such
as ``"3,4"``, a list from a Dash control such as ``[3, 4]``, or None) and
either

- ``strict=True`` (the API): raises :class:`ParamError` naming the parameter
  with a Swedish message that says what is wrong and what to send instead; or
- ``strict=False`` (a link, the controls): never raises; an unknown or
  malformed value falls back to the default, so an old or hand-edited link
  still opens a sensible view.

Both modes give the same :class:`Filters` for the same valid input. METRICS.md
decides the ASA case: a set of classes counts only operations with a class in
the set, so all six classes are a filter too (operations without a recorded
class drop out), never the same as no filter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from data.reference import NCR_GROUPS, source_for_group
from data.vocabulary import (ASA_CLASSES, DEFAULT_LEVEL, DEFAULT_PERIOD, LEVELS, PERIODS, PRIO_CATEGORIES,
                             source_full)

KVA_RE = re.compile(r"^[A-Za-z]{3}$")  # KVÅ codes are Latin letters


class ParamError(ValueError):
    """A bad parameter: ``parameter`` names it, ``message`` (Swedish) explains."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message

    def as_json(self) -> dict:
        return {"fel": self.message, "parameter": self.parameter}


class FilterNotApplicable(ParamError):
    """A filter that does not fit the group's source (METRICS.md: not offered there)."""

    def __init__(self, parameter: str, kva: str, source: str):
        if source == "ncr":
            message = (f"Parametern {parameter} gäller bara SPOR-grupper; {kva} är en kataraktgrupp som hämtas "
                       f"från {source_full('ncr')}. Utelämna {parameter}.")
        else:
            message = (f"Parametern {parameter} gäller bara kataraktgrupperna ({', '.join(sorted(NCR_GROUPS))}); "
                       f"{kva} hämtas från {source_full('spor')}. Utelämna {parameter}.")
        super().__init__(parameter, message)
        self.kva, self.source = kva, source


@dataclass(frozen=True)
class Filters:
    """The table-view filters, normalised: sorted, de-duplicated, empty -> None.

    ``asa``: ASA classes 1..6 (SPOR); ``prio``: bortre_tidsgrans categories
    (SPOR), in their natural order 1v < 2v < 4v < 3m < 6m < 12m; ``narkos``:
    only operations under general anaesthesia (NCR)."""

    asa: tuple[int, ...] | None = None
    prio: tuple[str, ...] | None = None
    narkos: bool = False

    def __post_init__(self):
        asa = self.asa
        if asa is not None:
            values = sorted({int(a) for a in asa})
            bad = [a for a in values if a not in ASA_CLASSES]
            if bad:
                raise ValueError(f"ASA class out of range 1..6: {bad}")
            asa = tuple(values) or None
        prio = self.prio
        if prio is not None:
            values = {str(p).strip().lower() for p in prio}
            bad = sorted(values - set(PRIO_CATEGORIES))
            if bad:
                raise ValueError(f"unknown bortre_tidsgrans: {bad}")
            prio = tuple(p for p in PRIO_CATEGORIES if p in values) or None
        object.__setattr__(self, "asa", asa)
        object.__setattr__(self, "prio", prio)
        object.__setattr__(self, "narkos", bool(self.narkos))

    @property
    def active(self) -> bool:
        return bool(self.asa or self.prio or self.narkos)

    def check(self, kva: str, source: str) -> None:
        """Raise FilterNotApplicable for a filter that does not fit the source."""
        if source == "ncr":
            if self.asa:
                raise FilterNotApplicable("asa", kva, source)
            if self.prio:
                raise FilterNotApplicable("prio", kva, source)
        elif self.narkos:
            raise FilterNotApplicable("narkos", kva, source)

    def for_source(self, source: str | None) -> "Filters":
        """Only the filters offered for the source (SPOR: asa, prio; NCR: narkos)."""
        if source == "ncr":
            return Filters(narkos=self.narkos)
        if source == "spor":
            return Filters(asa=self.asa, prio=self.prio)
        return NO_FILTERS

    def sql(self) -> tuple[str, dict]:
        """An SQL condition (starting with AND, or empty) and its named parameters."""
        parts, params = [], {}
        if self.asa:
            names = [f"asa{i}" for i in range(len(self.asa))]
            parts.append(f"asa_klass IN ({', '.join('$' + n for n in names)})")
            params.update(zip(names, self.asa))
        if self.prio:
            names = [f"prio{i}" for i in range(len(self.prio))]
            parts.append(f"bortre_tidsgrans IN ({', '.join('$' + n for n in names)})")
            params.update(zip(names, self.prio))
        if self.narkos:
            parts.append("anestesi = 'narkos'")
        return "".join(f" AND {p}" for p in parts), params

    def to_params(self) -> list[tuple[str, str]]:
        """The filters as query parameters (the API's names and forms)."""
        out = []
        if self.asa:
            out.append(("asa", ",".join(str(a) for a in self.asa)))
        if self.prio:
            out.append(("prio", ",".join(self.prio)))
        if self.narkos:
            out.append(("narkos", "1"))
        return out

    def as_json(self) -> dict:
        return {"asa": list(self.asa) if self.asa else None,
                "prio": list(self.prio) if self.prio else None,
                "narkos": self.narkos}


NO_FILTERS = Filters()


# ---- parsing -----------------------------------------------------------------

def _items(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [str(x).strip() for x in raw]
    return [p.strip() for p in str(raw).split(",")]


def _text(raw) -> str | None:
    if raw is None:
        return None
    value = str(raw).strip()
    return value or None


def parse_kva(raw, *, strict: bool) -> str | None:
    """A three-letter KVÅ group, upper case. Whether the catalogue knows it is the caller's look-up."""
    value = _text(raw)
    if value is None:
        if strict:
            raise ParamError("kva", "Parametern kva saknas: ange en KVÅ-grupp med tre bokstäver, t.ex. kva=NGB.")
        return None
    if not KVA_RE.match(value):
        if strict:
            raise ParamError("kva", "Parametern kva måste vara en KVÅ-grupp med tre bokstäver (t.ex. NGB), "
                                    f"fick {value!r}.")
        return None
    return value.upper()


def parse_period(raw, *, strict: bool) -> int:
    value = _text(raw)
    if value is None:
        return DEFAULT_PERIOD
    if value not in {str(p) for p in PERIODS}:
        if strict:
            raise ParamError("period", f"Parametern period måste vara 30, 90 eller 365 (dagar), fick {value!r}.")
        return DEFAULT_PERIOD
    return int(value)


def parse_level(raw, *, strict: bool) -> str:
    value = _text(raw)
    if value is None:
        return DEFAULT_LEVEL
    if value not in LEVELS:
        if strict:
            raise ParamError("level", f"Parametern level måste vara unit (enheter) eller region, fick {value!r}.")
        return DEFAULT_LEVEL
    return value


def parse_asa(raw, *, strict: bool) -> tuple[int, ...] | None:
    items = _items(raw)
    allowed = {str(a) for a in ASA_CLASSES}
    if strict and raw is not None and (not items or any(i not in allowed for i in items)):
        raise ParamError("asa", "Parametern asa måste vara ASA-klasser 1–6 åtskilda med komma, "
                                f"t.ex. asa=3,4; fick {raw!r}.")
    classes = sorted({int(i) for i in items if i in allowed})
    return tuple(classes) or None


def parse_prio(raw, *, strict: bool) -> tuple[str, ...] | None:
    items = [i.lower() for i in _items(raw)]
    if strict and raw is not None and (not items or any(i not in PRIO_CATEGORIES for i in items)):
        raise ParamError("prio", "Parametern prio (bortre tidsgräns) måste vara några av "
                                 f"{', '.join(PRIO_CATEGORIES)} åtskilda med komma, t.ex. prio=3m,6m; fick {raw!r}.")
    return tuple(p for p in PRIO_CATEGORIES if p in items) or None


def parse_narkos(raw, *, strict: bool) -> bool:
    if isinstance(raw, (list, tuple)):  # a Dash switch: [] or [1]
        return bool(raw)
    value = _text(raw)
    if value is None:
        return False
    if strict:
        if value not in ("0", "1"):
            raise ParamError("narkos", f"Parametern narkos måste vara 0 eller 1, fick {value!r}.")
        return value == "1"
    return value.lower() in {"1", "true", "ja", "on"}


def parse_filters(kva: str | None, asa=None, prio=None, narkos=None, *, strict: bool) -> Filters:
    """The filters for a group. Strict: a filter that does not fit the group's
    source is refused (FilterNotApplicable). Lenient: it is dropped."""
    filters = Filters(asa=parse_asa(asa, strict=strict), prio=parse_prio(prio, strict=strict),
                      narkos=parse_narkos(narkos, strict=strict))
    if not kva:
        return filters if strict else NO_FILTERS
    source = source_for_group(kva)
    if strict:
        filters.check(kva, source)
        return filters
    return filters.for_source(source)

