"""Helpers for tests that need a logged-in person (used by tests/conftest.py)."""
from __future__ import annotations

import re
from functools import lru_cache

from werkzeug.security import generate_password_hash

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"')
READER = ("lasare", "lasare-losenord-123")
ADMIN = ("admin", "admin-losenord-123")


@lru_cache(maxsize=None)
def cheap_hash(password: str) -> str:
    """A quick pbkdf2 hash for fixture accounts (the app itself always hashes with scrypt)."""
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def ensure_account(app, username: str, password: str, role: str | None = None) -> str:
    """Create a dev account (and role); returns its pseudo HSA-ID."""
    from auth import devusers, roles

    db = app.extensions["auth_db"]
    account = devusers.create_or_update(db, username, password, password_hash=cheap_hash(password))
    if role:
        roles.grant(db, account.hsa_id, role, by="test")
    return account.hsa_id


def login(client, username: str, password: str, next_path: str = "/", **environ):
    """Log in through the real form (CSRF token and all); returns the POST response."""
    page = client.get("/login", environ_base=environ)
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "next": next_path,
                                       "csrf_token": token}, environ_base=environ)


def logged_in_client(app, username: str, password: str, role: str | None = None):
    ensure_account(app, username, password, role)
    client = app.test_client()
    resp = login(client, username, password)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client
