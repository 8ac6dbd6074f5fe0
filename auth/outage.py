"""The app database down (issue 15): the statistics keep serving.

The warehouse (DuckDB) holds the statistics; the app database (SQLite or
PostgreSQL) holds accounts, roles, sessions, notices and the audit log. When
it cannot be reached:

- a person already logged in keeps reading: the signed session cookie's own
  idle time (``seen``) stands in for the server-side record, which cannot be
  checked (so a logout or revoke made elsewhere takes effect when the
  database is back), with no roles (no Admin, no notices' writes);
  In proxy mode the card is still verified on every request (no database
  needed), and the cookie's idle time stands in for the record the same way;
- a new login (dev form or a card without a session) is refused with a
  Swedish message (503) instead of a stack trace, since neither the session
  nor the login's audit entry can be recorded;
- the log says so, once a minute.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("lagesbild.auth")
_WARNED = {"at": 0.0}

MSG_LOGIN_DOWN = ("Inloggningen fungerar inte just nu: behörighetsdatabasen svarar inte. Den som redan är "
                  "inloggad kan fortsätta läsa statistiken. Försök igen om en stund.")


def database_down(exc: Exception) -> None:
    now = time.monotonic()
    if now - _WARNED["at"] > 60:
        _WARNED["at"] = now
        log.error("Appdatabasen svarar inte (%s); inloggade läser vidare utan roller, nya inloggningar "
                  "nekas tills den är tillbaka.", type(exc).__name__)
