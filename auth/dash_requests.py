"""A malformed Dash callback request is a 400 with a Swedish message.

Dash itself answers a body that names an unknown callback, or carries the
wrong number of inputs, with an exception deep in its dispatcher (a 500).
The browser never sends such a body; a script or a stale page might. This
check runs after the request guard (so only logged-in users reach it) and
before Dash's dispatcher, and compares the body with the callback Dash has
registered for the named output.
"""
from __future__ import annotations

from flask import abort, request

UPDATE_PATH = "/_dash-update-component"
RELOAD = " Ladda om sidan: den kan vara öppnad i en äldre version av appen."


def _same_dependency(sent, spec: dict) -> bool:
    """One input/state entry of the body against the registered dependency."""
    spec_id = spec.get("id")
    if isinstance(sent, list):  # pattern-matching (ALL / ALLSMALLER): a list of matches
        return not isinstance(spec_id, str) and all(isinstance(s, dict) for s in sent)
    if not isinstance(sent, dict):
        return False
    if isinstance(spec_id, str):
        return sent.get("id") == spec_id and sent.get("property") == spec.get("property")
    return isinstance(sent.get("id"), dict) and sent.get("property") == spec.get("property")


def check_callback_body(body, callback_map: dict) -> str | None:
    """None when ``body`` fits a registered server-side callback, else the reason (Swedish)."""
    if not isinstance(body, dict):
        return "Callback-anropet ska vara ett JSON-objekt."
    output = body.get("output")
    if not isinstance(output, str):
        return "Callback-anropet saknar 'output'."
    cb = callback_map.get(output)
    if cb is None or "callback" not in cb:
        return f"Okänd callback: {output[:200]!r}." + RELOAD
    for key, spec_key in (("inputs", "inputs"), ("state", "state")):
        sent = body.get(key, [])
        specs = cb.get(spec_key) or []
        if not isinstance(sent, list) or len(sent) != len(specs):
            return (f"Callbacken {output[:200]!r} väntar {len(specs)} värden i '{key}', "
                    f"fick {len(sent) if isinstance(sent, list) else 'inget'}." + RELOAD)
        for i, (s, spec) in enumerate(zip(sent, specs)):
            if not _same_dependency(s, spec):
                return f"'{key}'[{i}] ska vara {spec.get('id')!r}.{spec.get('property')}." + RELOAD
    outputs = body.get("outputs")
    if outputs is not None and not isinstance(outputs, (list, dict)):
        return "'outputs' ska vara en lista eller ett objekt."
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' ska vara en lista av strängar."
    return None


def init_callback_checks(app) -> None:
    """Register the check on the Flask server behind the Dash ``app``."""
    server = app.server
    path = app.config.routes_pathname_prefix.rstrip("/") + UPDATE_PATH

    def _check():
        if request.path != path or request.method != "POST":
            return None
        reason = check_callback_body(request.get_json(silent=True), app.callback_map)
        if reason:
            abort(400, description=reason)
        return None

    server.before_request(_check)
