"""Per-app authentication state, kept in ``server.extensions["lagesbild_auth"]``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from auth.db import AuthDB


@dataclass
class AuthState:
    settings: object
    db: AuthDB
    networks: tuple
    cas: list  # trusted CA certificates (proxy mode), else []
    idle: timedelta
    # Failed dev logins allowed per window before the form is closed (per username / per address).
    max_failures_per_user: int = 5
    max_failures_per_addr: int = 20
    failure_window: timedelta = timedelta(minutes=15)
    verified: object = None  # certs.VerifiedCache in proxy mode

    def __post_init__(self):
        if self.verified is None and self.cas:
            from auth.certs import VerifiedCache

            self.verified = VerifiedCache(self.cas, ca_file=getattr(self.settings, "siths_ca_file", None))

    @property
    def mode(self) -> str:
        return self.settings.auth_mode


def get_state() -> AuthState:
    return current_app.extensions["lagesbild_auth"]


def get_db() -> AuthDB:
    return current_app.extensions["auth_db"]
