"""The person behind a request, as flask-login sees it."""
from __future__ import annotations

from flask_login import UserMixin


class StaffUser(UserMixin):
    """An authenticated member of staff: HSA-ID, display name, roles, how they logged in."""

    def __init__(self, hsa_id: str, name: str, roles: frozenset[str], method: str):
        self.hsa_id = hsa_id
        self.name = name
        self.roles = roles
        self.method = method  # "dev" | "certifikat"

    def get_id(self) -> str:
        return self.hsa_id

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def __repr__(self) -> str:
        return f"StaffUser({self.hsa_id!r}, roles={sorted(self.roles)!r}, method={self.method!r})"
