"""Call a registered Dash callback over HTTP as the browser does, from the
app's own callback map: name the output (e.g. "eh-trend.figure") and give
the values of its inputs and states by "id.property"."""
from __future__ import annotations

import json


def callback_for(server, output_part: str) -> tuple[str, dict]:
    """(the callback's output key, its map entry) for the callback whose
    output key contains ``output_part``."""
    app = server.extensions["dash_app"]
    found = [(key, cb) for key, cb in app.callback_map.items() if output_part in key and "callback" in cb]
    assert len(found) == 1, f"{output_part}: {[k for k, _ in found]}"
    return found[0]


def _outputs(key: str) -> list[dict]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


def body(server, output_part: str, values: dict) -> dict:
    key, cb = callback_for(server, output_part)
    outputs = _outputs(key)

    def items(kind):
        return [{"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
                for d in cb.get(kind, [])]

    inputs = items("inputs")
    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": items("state"), "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs]}


def call(client, server, output_part: str, values: dict) -> dict:
    """The callback's answer: {"id": {"property": value}}; asserts a 200."""
    r = client.post("/_dash-update-component", data=json.dumps(body(server, output_part, values)),
                    content_type="application/json")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()["response"]
