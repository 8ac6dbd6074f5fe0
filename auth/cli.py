"""`flask --app app users grant|revoke|list|dev-add`: roles by HSA-ID, dev accounts."""
from __future__ import annotations

import getpass
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from auth import audit, devusers, roles
from common import format as fmt
from common.cli_sv import install_click

install_click()  # click's "Usage:", "Options", "Missing argument" ... in Swedish

users_cli = AppGroup("users", help="Roller (per HSA-id) och lokala utvecklarkonton.")


def _db():
    return current_app.extensions["auth_db"]


def _operator() -> str:
    """Who runs the command, for the audit log's actor: LAGESBILD_OPERATOR (the
    operator's HSA-ID, when the runbook sets it), else the login behind sudo,
    else the process's user — "cli:<who>"."""
    named = (os.environ.get("LAGESBILD_OPERATOR") or "").strip()
    if named:
        return f"cli:{named}"[:40]
    try:
        who = os.environ.get("SUDO_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001
        who = str(os.getuid())
    return f"cli:{who}"[:40]


def _unit_role(hsa_id: str, role: str, units: tuple[str, ...], grant: bool) -> None:
    """The role annonsor is held per unit (--enhet, repeatable): auth/notices.py."""
    from auth import notices
    from auth.certs import is_valid_hsa_id

    if not is_valid_hsa_id(hsa_id):
        raise click.ClickException(f"{hsa_id!r} är inget giltigt HSA-id (t.ex. SE2321000016-ABC1).")
    if not units:
        raise click.ClickException("Rollen annonsor gäller per enhet: ange --enhet <enhetens HSA-id> "
                                   "(flera gånger för flera enheter).")
    for unit in units:
        if not is_valid_hsa_id(unit):
            raise click.ClickException(f"--enhet {unit!r} är inget giltigt HSA-id.")
    for unit in units:
        changed = (notices.grant_unit(_db(), hsa_id, unit, by=_operator()) if grant
                   else notices.revoke_unit(_db(), hsa_id, unit))
        action = "role_granted" if grant else "role_revoked"
        if changed:
            audit.record(_db(), action, actor=_operator(), actor_name=_operator(), subject=hsa_id,
                         detail=f"roll annonsor för enheten {unit}", path="cli")
            click.echo(f"Rollen annonsor för {unit} är {'tilldelad' if grant else 'återkallad från'} {hsa_id}.")
        else:
            click.echo(f"{hsa_id} {'hade redan' if grant else 'hade inte'} rollen annonsor för {unit}; inget ändrat.")


@users_cli.command("grant", help="Tilldela en roll: users grant SE2321000016-ABC1 admin, eller "
                                 "users grant SE2321000016-ABC1 annonsor --enhet SE2321000016-E001")
@click.argument("hsa_id", metavar="HSA_ID")
@click.argument("role", metavar="ROLL")
@click.option("--enhet", "units", multiple=True, metavar="HSA_ID",
              help="Enheten som rollen annonsor gäller (kan anges flera gånger).")
def grant_cmd(hsa_id: str, role: str, units: tuple[str, ...] = ()):
    if role == "annonsor":
        _unit_role(hsa_id, role, units, grant=True)
        return
    try:
        added = roles.grant(_db(), hsa_id, role, by=_operator())
    except roles.RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    if added:
        audit.record(_db(), "role_granted", actor=_operator(), actor_name=_operator(), subject=hsa_id,
                     detail=f"roll {role}", path="cli")
        click.echo(f"Rollen {role} är tilldelad {hsa_id}.")
    else:
        click.echo(f"{hsa_id} hade redan rollen {role}; inget ändrat.")


@users_cli.command("revoke", help="Återkalla en roll: users revoke SE2321000016-ABC1 admin "
                                  "(annonsor: --enhet <HSA-id>)")
@click.argument("hsa_id", metavar="HSA_ID")
@click.argument("role", metavar="ROLL")
@click.option("--enhet", "units", multiple=True, metavar="HSA_ID", help="Enheten (för rollen annonsor).")
def revoke_cmd(hsa_id: str, role: str, units: tuple[str, ...] = ()):
    if role == "annonsor":
        _unit_role(hsa_id, role, units, grant=False)
        return
    try:
        removed = roles.revoke(_db(), hsa_id, role)
    except roles.RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    if removed:
        audit.record(_db(), "role_revoked", actor=_operator(), actor_name=_operator(), subject=hsa_id,
                     detail=f"roll {role}", path="cli")
        click.echo(f"Rollen {role} är återkallad från {hsa_id}.")
    else:
        click.echo(f"{hsa_id} hade inte rollen {role}; inget ändrat.")
        sys.exit(1)


@users_cli.command("list", help="Visa tilldelade roller.")
def list_cmd():
    grants = roles.list_grants(_db())
    if not grants:
        click.echo("Inga roller är tilldelade. Alla inloggade kan läsa; rollen admin ger Admin-sidan.")
    else:
        click.echo(f"{'HSA-id':<34} {'roll':<8} {'tilldelad':<17} av")
        for g in grants:
            when = fmt.fmt_local_time(g.granted_at, seconds=False)
            click.echo(f"{g.hsa_id:<34} {g.role:<8} {when:<17} {g.granted_by}")
        click.echo(f"{len(grants)} roll{'er' if len(grants) != 1 else ''}.")
    from auth import notices

    per_unit = notices.unit_grants(_db())
    for g in per_unit:
        when = fmt.fmt_local_time(g.granted_at, seconds=False)
        click.echo(f"{g.hsa_id:<34} annonsor för {g.enhet} {when:<17} {g.granted_by}")


@users_cli.command("dev-add", help="Skapa eller byt lösenord för ett lokalt utvecklarkonto (endast dev-läge).")
@click.argument("username", metavar="ANVÄNDARNAMN")
@click.option("--password-stdin", is_flag=True, help="Läs lösenordet från standard in.")
@click.option("--name", default=None, help="Namn som visas.")
def dev_add_cmd(username: str, password_stdin: bool, name: str | None):
    settings = current_app.config["LAGESBILD_SETTINGS"]
    if settings.auth_mode != "dev" or settings.production:
        raise click.ClickException("Utvecklarkonton finns bara i dev-läge (LAGESBILD_AUTH_MODE=dev, inte production).")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
        "Lösenord", hide_input=True, confirmation_prompt="Upprepa lösenordet")
    try:
        account = devusers.create_or_update(_db(), username, password, display_name=name)
    except devusers.DevUserError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(_db(), "dev_user_saved", actor=_operator(), actor_name=_operator(), subject=account.hsa_id,
                 detail=f"användarnamn {account.username}", path="cli")
    click.echo(f"Kontot {account.username} är sparat (pseudo-HSA-id {account.hsa_id}).")


@users_cli.command("revoke-sessions", help="Avsluta alla sessioner för en person: users revoke-sessions SE2321000016-ABC1")
@click.argument("hsa_id", metavar="HSA_ID")
def revoke_sessions_cmd(hsa_id: str):
    from auth import sessions

    ended = sessions.revoke_person(_db(), hsa_id)
    audit.record(_db(), "sessions_revoked", actor=_operator(), actor_name=_operator(), subject=hsa_id,
                 detail=f"{ended} sessioner avslutade", path="cli")
    click.echo(f"{ended} öppna sessioner för {hsa_id} är avslutade på alla servrar.")


# The usage lines in Swedish too ("flask users grant [FLAGGOR] HSA_ID ROLL").
users_cli.options_metavar = "[FLAGGOR]"
users_cli.subcommand_metavar = "KOMMANDO [ARGUMENT]..."
for _command in users_cli.commands.values():
    _command.options_metavar = "[FLAGGOR]"
