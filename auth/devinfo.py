"""`python -m auth.devinfo` (run by `make run`): how to log in locally.

In dev mode it makes sure the local account ``dev`` exists, with a random
password generated once and kept (mode 0600) in the data directory, grants it
the role admin so the Admin page can be tried, and prints in Swedish how to
log in. In proxy mode it prints what the server expects. No password ever
exists in production: dev mode is refused there.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

DEV_USERNAME = "dev"
PASSWORD_FILE = "dev-password.txt"


def dev_password(data_dir: Path) -> str:
    """The local dev password: generated once, then read back (0600)."""
    path = data_dir / PASSWORD_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(12) + "\n")
    os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def ensure_dev_account(settings, db) -> tuple[str, str, str]:
    """(username, password, pseudo HSA-ID) of the local admin account."""
    from werkzeug.security import check_password_hash

    from auth import devusers, roles
    from auth.models import DevUser
    from sqlalchemy import select

    password = dev_password(settings.data_dir)
    with db.session() as s:
        user = s.scalar(select(DevUser).where(DevUser.username == DEV_USERNAME))
        current = user.password_hash if user else None
    if current is None or not check_password_hash(current, password):
        devusers.create_or_update(db, DEV_USERNAME, password, display_name="Lokal utvecklare")
    hsa_id = devusers.pseudo_hsa_id(DEV_USERNAME)
    roles.grant(db, hsa_id, "admin", by="make run (auth.devinfo)")
    return DEV_USERNAME, password, hsa_id


def _parser():
    import argparse

    from common.cli_sv import install_argparse

    install_argparse()
    parser = argparse.ArgumentParser(prog="python -m auth.devinfo",
                                     description="Hur man loggar in lokalt (körs av make run).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                        help="adressen servern lyssnar på (standard 127.0.0.1, eller HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8050),
                        help="porten servern lyssnar på (standard 8050, eller PORT)")
    return parser


def main(argv=None) -> int:
    from auth.db import open_db
    from config.settings import SettingsError, load_settings

    args = _parser().parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Fel i inställningarna: {exc}", file=sys.stderr)
        return 2
    host, port = args.host, args.port
    if settings.auth_mode == "dev":
        db = open_db(settings)
        try:
            username, password, hsa_id = ensure_dev_account(settings, db)
        finally:
            db.dispose()
        print("Inloggning (utvecklarläge, bara för lokal användning):")
        print(f"  Öppna   http://{host}:{port}/")
        print(f"  Användarnamn: {username}")
        print(f"  Lösenord:     {password}")
        print(f"  (lösenordet finns i {settings.data_dir / PASSWORD_FILE}; kontot har rollen admin,"
              f" pseudo-HSA-id {hsa_id})")
    else:
        print("Inloggning med SITHS-certifikat (proxy-läge):")
        print(f"  Betrodda proxyadresser: {', '.join(settings.trusted_proxies) or '(inga – ingen kan logga in)'}")
        print(f"  SITHS-utfärdare:        {settings.siths_ca_file}")
        print("  Tilldela roller med:    flask --app app users grant <HSA-id> admin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
