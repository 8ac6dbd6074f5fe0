"""Typed settings read once from ``LAGESBILD_*`` environment variables.

Safe defaults for local use; unsafe combinations are refused in production
(see :func:`Settings.validate`).
"""
from __future__ import annotations

import os
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
    siths_ca_file: Path | None = None
    session_idle_minutes: int = 30
    suppress_below: int = 5
    stale_days: int = 42
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


def load_settings(environ=None) -> Settings:
    """Read the settings from the environment (or a given mapping)."""
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
        siths_ca_file=Path(ca) if ca else None,
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 30, environ),
        suppress_below=_int("SUPPRESS_BELOW", 5, environ),
        stale_days=_int("STALE_DAYS", 42, environ),
        cache_type=_env("CACHE_TYPE", "FileSystemCache", environ) or "FileSystemCache",
        cache_dir=Path(cache_dir) if cache_dir else None,
        redis_url=_env("REDIS_URL", None, environ),
    )
    settings.validate()
    return settings
