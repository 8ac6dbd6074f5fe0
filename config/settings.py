"""Typed settings read once from ``LAGESBILD_*`` environment variables.

Safe defaults for local use; unsafe combinations are refused in production
(see :func:`Settings.validate`).
"""
from __future__ import annotations

import ipaddress
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(RuntimeError):
    """A configuration that must not be started."""


def _env(name: str, default: str | None = None, environ=None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(f"LAGESBILD_{name}")
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _int(name: str, default: int, environ=None) -> int:
    raw = _env(name, None, environ)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"LAGESBILD_{name} måste vara ett heltal, fick {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    env: str = "development"  # development | production | test
    data_dir: Path = Path("./var")
    auth_mode: str = "dev"  # dev | proxy
    secret_key: str | None = None
    database_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    proxy_secret: str | None = None
    siths_ca_file: Path | None = None
    session_idle_minutes: int = 30
    suppress_below: int = 5
    stale_days: int = 42
    audit_retention_days: int = 730
    cache_type: str = "FileSystemCache"
    cache_dir: Path | None = None
    redis_url: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'app.db').resolve()}"

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir or (self.data_dir / "cache")

    def validate(self) -> None:
        if self.env not in {"development", "production", "test"}:
            raise SettingsError(
                f"LAGESBILD_ENV måste vara development, production eller test, fick {self.env!r}"
            )
        if self.auth_mode not in {"dev", "proxy"}:
            raise SettingsError(f"LAGESBILD_AUTH_MODE måste vara dev eller proxy, fick {self.auth_mode!r}")
        if self.audit_retention_days < 0:
            raise SettingsError("LAGESBILD_AUDIT_RETENTION_DAYS måste vara 0 (spara allt) eller fler dagar")
        if self.suppress_below < 1:
            raise SettingsError("LAGESBILD_SUPPRESS_BELOW måste vara minst 1")
        if self.production:
            if self.auth_mode == "dev":
                raise SettingsError(
                    "LAGESBILD_AUTH_MODE=dev är inte tillåtet när LAGESBILD_ENV=production; "
                    "använd proxy (SITHS-certifikat)."
                )
            if not self.secret_key or len(self.secret_key) < 32:
                raise SettingsError(
                    "LAGESBILD_SECRET_KEY (minst 32 tecken) krävs när LAGESBILD_ENV=production."
                )
            if self.auth_mode == "proxy" and not self.siths_ca_file:
                raise SettingsError("LAGESBILD_SITHS_CA_FILE krävs i proxy-läge.")
            if self.auth_mode == "proxy" and not self.trusted_proxies:
                raise SettingsError("LAGESBILD_TRUSTED_PROXIES krävs i proxy-läge.")
            self._refuse_weak_production()

    #: The most a production session may stay idle (LAGESBILD_SESSION_IDLE_MINUTES).
    MAX_IDLE_MINUTES = 12 * 60
    #: The least a production suppression threshold may be (LAGESBILD_SUPPRESS_BELOW).
    MIN_SUPPRESS_BELOW = 5

    def _refuse_weak_production(self) -> None:
        """What a penetration test found production would start with, silently."""
        if not strong_secret(self.secret_key):
            raise SettingsError(
                "LAGESBILD_SECRET_KEY är för lätt att gissa (för få olika tecken eller upprepningar). "
                "Använd ett slumpat värde, t.ex. python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            )
        if self.suppress_below < self.MIN_SUPPRESS_BELOW:
            raise SettingsError(
                f"LAGESBILD_SUPPRESS_BELOW={self.suppress_below} är inte tillåtet när LAGESBILD_ENV=production: "
                f"små tal under {self.MIN_SUPPRESS_BELOW} skulle visas."
            )
        if self.session_idle_minutes > self.MAX_IDLE_MINUTES:
            raise SettingsError(
                f"LAGESBILD_SESSION_IDLE_MINUTES={self.session_idle_minutes} är för långt när "
                f"LAGESBILD_ENV=production (högst {self.MAX_IDLE_MINUTES} minuter, 12 timmar)."
            )
        if self.auth_mode == "proxy":
            for entry in self.trusted_proxies:
                problem = proxy_network_problem(entry)
                if problem:
                    raise SettingsError(f"LAGESBILD_TRUSTED_PROXIES: {entry!r} {problem}")
            if not strong_secret(self.proxy_secret):
                raise SettingsError(
                    "LAGESBILD_PROXY_SECRET krävs i proxy-läge när LAGESBILD_ENV=production: ett slumpat värde "
                    "(minst 32 tecken) som bara nginx känner och skickar i X-Lagesbild-Proxy-Secret, så att "
                    "ingen annan på nätet kan lämna ett certifikathuvud (se deploy/README.md)."
                )


def strong_secret(value: str | None) -> bool:
    """At least 32 characters and about 128 bits by the characters' own
    distribution (32 x "a" has none; a token_hex(32) has ~250)."""
    if not value or len(value) < 32:
        return False
    counts = Counter(value)
    if len(counts) < 8:
        return False
    entropy = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
    return entropy * len(value) >= 128


def proxy_network_problem(entry: str) -> str | None:
    """Why a trusted-proxy entry must not be used in production (None if fine):
    a wildcard, a network wider than /24 (IPv4) or /64 (IPv6), or public addresses."""
    try:
        net = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return "är varken en IP-adress eller ett nät (CIDR)."
    if net.prefixlen == 0:
        return "betrodde alla adresser: ange den omvända proxyns egen adress (t.ex. 127.0.0.1)."
    if (net.version == 4 and net.prefixlen < 24) or (net.version == 6 and net.prefixlen < 64):
        return "är ett för stort nät: ange den omvända proxyns egen adress."
    if not (net.is_private or net.is_loopback):
        return "är en publik adress: den omvända proxyn ska nå appen över loopback eller ett internt nät."
    return None


def refuse_sub_path(environ) -> None:
    """The app is served at the root of its own host name only. A sub-path
    (gunicorn's SCRIPT_NAME, or LAGESBILD_URL_PREFIX) is refused at start:
    Dash's pages, the navigation, logout and the unit links would leave the
    prefix (a unit link even gave a 500)."""
    for name in ("SCRIPT_NAME", "LAGESBILD_URL_PREFIX"):
        value = (environ.get(name) or "").strip()
        if value and value != "/":
            raise SettingsError(
                f"{name}={value!r}: appen kan bara köras i roten av ett eget värdnamn "
                "(t.ex. https://lagesbild.region.se/), inte under en undersökväg som /lagesbild/. "
                "Ge tjänsten ett eget namn i nginx (server_name) i stället (se deploy/README.md)."
            )


def load_settings(environ=None) -> Settings:
    """Read the settings from the environment (or a given mapping)."""
    refuse_sub_path(os.environ if environ is None else environ)
    proxies = _env("TRUSTED_PROXIES", "", environ) or ""
    ca = _env("SITHS_CA_FILE", None, environ)
    cache_dir = _env("CACHE_DIR", None, environ)
    settings = Settings(
        env=(_env("ENV", "development", environ) or "development").lower(),
        data_dir=Path(_env("DATA_DIR", "./var", environ)),
        auth_mode=(_env("AUTH_MODE", "dev", environ) or "dev").lower(),
        secret_key=_env("SECRET_KEY", None, environ),
        database_url=_env("DATABASE_URL", None, environ),
        trusted_proxies=tuple(p.strip() for p in proxies.split(",") if p.strip()),
        proxy_secret=_env("PROXY_SECRET", None, environ),
        siths_ca_file=Path(ca) if ca else None,
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 30, environ),
        suppress_below=_int("SUPPRESS_BELOW", 5, environ),
        stale_days=_int("STALE_DAYS", 42, environ),
        audit_retention_days=_int("AUDIT_RETENTION_DAYS", 730, environ),
        cache_type=_env("CACHE_TYPE", "FileSystemCache", environ) or "FileSystemCache",
        cache_dir=Path(cache_dir) if cache_dir else None,
        redis_url=_env("REDIS_URL", None, environ),
    )
    settings.validate()
    return settings
