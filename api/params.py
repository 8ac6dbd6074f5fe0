"""Validation of /api/v1 query parameters: pure functions, no Flask, no warehouse.

Each ``parse_*`` takes the query arguments as a mapping of name -> list of
values (``request.args.to_dict(flat=False)``) and the look-ups it needs as
plain callables, and returns a frozen dataclass — or raises
:class:`ParamError` naming the parameter with a Swedish message that says
what is wrong and what to send instead. The view turns it into
``400 {"fel": ..., "parameter": ...}``.

Rules (PRODUCT.md "HTTP", METRICS.md "Filters"):

- ``kva``: required; a three-letter KVÅ group the catalogue knows (case-insensitive).
- ``period``: 30, 90 or 365 (default 90); ``level``: unit or region (default unit).
- ``asa``: comma-separated ASA classes 1..6; ``prio``: comma-separated
  ``1v 2v 4v 3m 6m 12m`` — SPOR groups only. ``narkos``: 0 or 1; ``narkos=1``
  only for the cataract groups (NCR). ``narkos=0`` means no filter and is
  accepted for every group.
- ``unit`` (HSA-ID) or ``region`` (two-digit county code), not both (trend only).
- ``format``: json (default), csv or xlsx.
- Every parameter at most once; an empty value is a bad value; unknown
  parameters are refused (a misspelt ``perod=30`` must not silently give 90 days).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from data import params as shared
from data.params import Filters, ParamError  # noqa: F401  (ParamError: the API's 400)

FORMATS = ("json", "csv", "xlsx")
HSA_RE = re.compile(r"^SE\d{10}-[A-Za-z0-9]{1,20}$")
REGION_RE = re.compile(r"^\d{2}$")
KVA_LIMIT_MAX = 100

WAITS_PARAMS = ("kva", "period", "level", "asa", "prio", "narkos", "format")
TREND_PARAMS = ("kva", "unit", "region", "asa", "prio", "narkos", "format")
KVA_PARAMS = ("q", "limit")
NATIONAL_PARAMS = ("kva", "source", "period", "format")
CAPACITY_PARAMS = ("region", "kva", "period", "format")
QUALITY_PARAMS = ("fil", "limit", "offset", "format")
QUALITY_LIMIT_MAX = 1000
FORECAST_PARAMS = ("kva", "unit", "region")
META_PARAMS = ()


@dataclass(frozen=True)
class WaitsParams:
    kva: str
    period: int = shared.DEFAULT_PERIOD
    level: str = "unit"
    filters: Filters = field(default_factory=Filters)
    format: str = "json"


@dataclass(frozen=True)
class TrendParams:
    kva: str
    unit: str | None = None
    region: str | None = None
    filters: Filters = field(default_factory=Filters)
    format: str = "json"


@dataclass(frozen=True)
class KvaParams:
    q: str
    limit: int = 20


Args = Mapping[str, list[str] | str]


def _values(args: Args, name: str) -> list[str]:
    value = args.get(name)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _single(args: Args, name: str) -> str | None:
    """The one value of a parameter, None when absent; repeated or empty is an error."""
    values = _values(args, name)
    if not values:
        return None
    if len(values) > 1:
        raise ParamError(name, f"Parametern {name} får bara anges en gång.")
    value = values[0].strip()
    if value == "":
        raise ParamError(name, f"Parametern {name} är tom; ange ett värde eller utelämna den.")
    return value


def check_known(args: Args, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        name = unknown[0]
        tillatna = ", ".join(allowed) if allowed else "inga"
        raise ParamError(name, f"Okänd parameter {name!r}. Tillåtna parametrar här: {tillatna}.")


def parse_kva(args: Args, known_group: Callable[[str], bool]) -> str:
    kva = shared.parse_kva(_single(args, "kva"), strict=True)
    if not known_group(kva):
        raise ParamError("kva", f"Okänd KVÅ-grupp i parametern kva: {kva!r}. Sök bland grupperna med /api/v1/kva?q=…")
    return kva


def parse_format(args: Args) -> str:
    raw = _single(args, "format")
    if raw is None:
        return "json"
    if raw.lower() not in FORMATS:
        raise ParamError("format", f"Parametern format måste vara json, csv eller xlsx, fick {raw!r}.")
    return raw.lower()


def parse_filters(args: Args, kva: str) -> Filters:
    return shared.parse_filters(kva, _single(args, "asa"), _single(args, "prio"), _single(args, "narkos"),
                                strict=True)


def parse_waits(args: Args, known_group: Callable[[str], bool]) -> WaitsParams:
    check_known(args, WAITS_PARAMS)
    kva = parse_kva(args, known_group)
    return WaitsParams(kva=kva, period=shared.parse_period(_single(args, "period"), strict=True),
                       level=shared.parse_level(_single(args, "level"), strict=True),
                       filters=parse_filters(args, kva), format=parse_format(args))


def parse_trend(args: Args, known_group: Callable[[str], bool], known_unit: Callable[[str], bool],
                known_region: Callable[[str], bool]) -> TrendParams:
    check_known(args, TREND_PARAMS)
    kva = parse_kva(args, known_group)
    unit, region = parse_unit_or_region(args, known_unit, known_region)
    return TrendParams(kva=kva, unit=unit, region=region, filters=parse_filters(args, kva), format=parse_format(args))


def parse_unit_or_region(args: Args, known_unit: Callable[[str], bool],
                         known_region: Callable[[str], bool]) -> tuple[str | None, str | None]:
    """(unit, region): an HSA-ID of the catalogue or a county code, not both; neither is the nation."""
    unit, region = _single(args, "unit"), _single(args, "region")
    if unit is not None and region is not None:
        raise ParamError("unit", "Ange antingen unit (en vårdenhet) eller region, inte båda.")
    if unit is not None:
        if not HSA_RE.match(unit):
            raise ParamError("unit", "Parametern unit måste vara ett HSA-id, SE + 10 siffror + '-' + 1–20 "
                                     f"bokstäver eller siffror (t.ex. SE2321000016-ABC1), fick {unit!r}.")
        if not known_unit(unit):
            raise ParamError("unit", f"Okänd vårdenhet i parametern unit: {unit!r} finns inte i enhetskatalogen.")
    if region is not None:
        if not REGION_RE.match(region) or not known_region(region):
            raise ParamError("region", "Parametern region måste vara en av de 21 regionernas tvåsiffriga länskoder "
                                       f"(t.ex. 01 Stockholm, 14 Västra Götaland), fick {region!r}.")
    return unit, region


def parse_kva_search(args: Args) -> KvaParams:
    check_known(args, KVA_PARAMS)
    q = _single(args, "q")
    if q is None:
        raise ParamError("q", "Parametern q saknas: ange sökord (t.ex. q=knä) eller en KVÅ-grupp (q=NGB).")
    if len(q) > 100:
        raise ParamError("q", "Parametern q får vara högst 100 tecken.")
    limit = _single(args, "limit")
    if limit is None:
        return KvaParams(q=q)
    if not limit.isdigit() or not 1 <= int(limit) <= KVA_LIMIT_MAX:
        raise ParamError("limit", f"Parametern limit måste vara ett heltal 1–{KVA_LIMIT_MAX}, fick {limit!r}.")
    return KvaParams(q=q, limit=int(limit))


def parse_meta(args: Args) -> None:
    check_known(args, META_PARAMS)


@dataclass(frozen=True)
class NationalParams:
    kva: str | None
    source: str | None
    period: int = 365
    format: str = "json"


@dataclass(frozen=True)
class CapacityParams:
    region: str
    kva: str | None = None
    period: int = shared.DEFAULT_PERIOD
    format: str = "json"


@dataclass(frozen=True)
class QualityParams:
    file: str | None = None
    limit: int = 100
    offset: int = 0
    format: str = "json"


def parse_national(args: Args, known_group: Callable[[str], bool]) -> NationalParams:
    check_known(args, NATIONAL_PARAMS)
    source = _single(args, "source")
    has_kva = _single(args, "kva") is not None
    if has_kva and source is not None:
        raise ParamError("source", "Ange antingen kva (en KVÅ-grupp) eller source (alla grupper i en källa), inte båda.")
    if not has_kva and source is None:
        raise ParamError("kva", "Ange kva (t.ex. kva=NGB) eller source=spor|ncr för alla grupper i en källa.")
    if source is not None and source.lower() not in ("spor", "ncr"):
        raise ParamError("source", f"Parametern source måste vara spor eller ncr, fick {source!r}.")
    period = _single(args, "period")
    return NationalParams(kva=parse_kva(args, known_group) if has_kva else None,
                          source=source.lower() if source else None,
                          period=365 if period is None else shared.parse_period(period, strict=True),
                          format=parse_format(args))


def parse_region(args: Args, known_region: Callable[[str], bool]) -> str:
    region = _single(args, "region")
    if region is None:
        raise ParamError("region", "Parametern region saknas: ange en tvåsiffrig länskod (t.ex. region=07 Kronoberg).")
    if not REGION_RE.match(region) or not known_region(region):
        raise ParamError("region", "Parametern region måste vara en av de 21 regionernas tvåsiffriga länskoder "
                                   f"(t.ex. 01 Stockholm, 14 Västra Götaland), fick {region!r}.")
    return region


def parse_capacity(args: Args, known_group: Callable[[str], bool], known_region: Callable[[str], bool]) -> CapacityParams:
    check_known(args, CAPACITY_PARAMS)
    region = parse_region(args, known_region)
    kva = parse_kva(args, known_group) if _single(args, "kva") is not None else None
    return CapacityParams(region=region, kva=kva, period=shared.parse_period(_single(args, "period"), strict=True),
                          format=parse_format(args))


def _bounded_int(args: Args, name: str, default: int, low: int, high: int) -> int:
    raw = _single(args, name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ParamError(name, f"Parametern {name} måste vara ett heltal {low}–{high}, fick {raw!r}.")
    return int(raw)


def parse_quality(args: Args) -> QualityParams:
    check_known(args, QUALITY_PARAMS)
    file = _single(args, "fil")
    if file is not None and (len(file) > 255 or "/" in file or "\\" in file):
        raise ParamError("fil", "Parametern fil är ett filnamn utan katalog (t.ex. fil=spor_20261120.csv).")
    return QualityParams(file=file, limit=_bounded_int(args, "limit", 100, 1, QUALITY_LIMIT_MAX),
                         offset=_bounded_int(args, "offset", 0, 0, 10**9), format=parse_format(args))


@dataclass(frozen=True)
class ForecastParams:
    kva: str
    unit: str | None = None
    region: str | None = None


def parse_forecast(args: Args, known_group: Callable[[str], bool], known_unit: Callable[[str], bool],
                   known_region: Callable[[str], bool]) -> ForecastParams:
    """kva and one scope: unit (an HSA-ID) or region (a county code); neither is the nation."""
    check_known(args, FORECAST_PARAMS)
    kva = parse_kva(args, known_group)
    unit, region = parse_unit_or_region(args, known_unit, known_region)
    return ForecastParams(kva=kva, unit=unit, region=region)


@dataclass(frozen=True)
class NoticesParams:
    kva: str | None = None
    region: str | None = None
    enhet: str | None = None


def parse_notices(args: Args, known_group: Callable[[str], bool], known_region: Callable[[str], bool]) -> NoticesParams:
    check_known(args, ("kva", "region", "enhet"))
    kva = parse_kva(args, known_group) if _single(args, "kva") is not None else None
    region = _single(args, "region")
    if region is not None and (not REGION_RE.match(region) or not known_region(region)):
        raise ParamError("region", f"Parametern region måste vara en tvåsiffrig länskod (t.ex. 07), fick {region!r}.")
    enhet = _single(args, "enhet")
    if enhet is not None and not HSA_RE.match(enhet):
        raise ParamError("enhet", f"Parametern enhet måste vara ett HSA-id (t.ex. SE2321000016-ABC1), fick {enhet!r}.")
    return NoticesParams(kva=kva, region=region, enhet=enhet)
