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


# ---- the values: type and size of every input and state the app declares --

MAX_TEXT = 200      # any text property
MAX_SEARCH = 100    # the KVÅ search box, as the API's q
MAX_ITEMS = 5000    # lists (grid rows, column state)


def _text(limit=MAX_TEXT, required=False):
    def check(v):
        if (v is None and not required) or (isinstance(v, str) and len(v) <= limit):
            return None
        return f"text på högst {limit} tecken" if isinstance(v, str) else "text"
    return check


def _path(v):
    if isinstance(v, str) and v.startswith("/") and len(v) <= 2000:
        return None
    return "en sökväg som börjar med /"


def _count(v):
    return None if v is None or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**31) \
        else "ett heltal ≥ 0"


def _list_of(kinds: tuple, what: str, limit=MAX_ITEMS):
    def check(v):
        if v is None or (isinstance(v, list) and len(v) <= limit
                         and all(isinstance(x, kinds) and not isinstance(x, bool) for x in v)):
            return None
        return what
    return check


def _one_of(kinds: tuple, what: str):
    def check(v):
        if v is None or (isinstance(v, kinds) and not isinstance(v, bool)
                         and (not isinstance(v, str) or len(v) <= MAX_TEXT)):
            return None
        return what
    return check


def _mapping(v):
    return None if v is None or isinstance(v, dict) else "ett objekt"


def _unit_store(v):
    if v is None:
        return None
    if isinstance(v, dict) and isinstance(v.get("id"), str) and len(v["id"]) <= MAX_TEXT and all(
            x is None or (isinstance(x, str) and len(x) <= 2000) for x in v.values()):
        return None
    return "ett objekt med enhetens id"


#: Rules by property, then by "id.property" (which wins). A rule returns None
#: or what the value should have been (Swedish).
PROPERTY_RULES = {
    "pathname": _path, "search": _text(2000), "hash": _text(2000), "href": _text(2000),
    "search_value": _text(MAX_SEARCH), "n_clicks": _count,
    "columnState": _list_of((dict,), "en lista av kolumner"), "columnDefs": _list_of((dict,), "en lista av kolumner"),
    "virtualRowData": _list_of((dict,), "en lista av rader"), "rowData": _list_of((dict,), "en lista av rader"),
    "filterModel": _mapping, "options": _list_of((dict, str), "en lista av val"),
}
VALUE_RULES = {
    "jf-kva.value": _text(), "jf-period.value": _one_of((int, str), "ett antal dagar"),
    "jf-level.value": _text(), "jf-asa.value": _list_of((int, str), "en lista av ASA-klasser", 6),
    "jf-prio.value": _list_of((str,), "en lista av prioriteringar", 6),
    "jf-narkos.value": _list_of((int, str), "en lista", 1), "jf-hem.value": _text(),
    "jf-state.data": _text(4000), "eh-kva.value": _text(), "eh-hsa.data": _unit_store, "eh-state.data": _text(4000),
    "admin-audit-action.value": _text(), "admin-audit-text.value": _text(),
}


def _value_problem(dep: dict) -> str | None:
    ident, prop = dep.get("id"), dep.get("property")
    key = f"{ident}.{prop}" if isinstance(ident, str) else None
    rule = VALUE_RULES.get(key) or PROPERTY_RULES.get(prop)
    if rule is None:
        return None
    wanted = rule(dep.get("value"))
    if wanted:
        return f"Värdet för {key or prop!r} ska vara {wanted}."
    return None


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
            for dep in (s if isinstance(s, list) else [s]):
                problem = _value_problem(dep)
                if problem:
                    return problem
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
