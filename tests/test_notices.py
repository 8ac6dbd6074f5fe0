"""Kapacitetsannonser (issue 13, parts 3-4): every field validated with a
Swedish message naming it, the role annonsör checked per unit on the server
for every write, withdrawn and expired notices hidden but kept, every write
audited; through the Flask test client."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from auth import notices
from tests.auth.support import ADMIN, READER, ensure_account, logged_in_client

POSTER = ("annonsor", "annonsor-losenord-1")
OTHER = ("annonsor2", "annonsor2-losenord-1")
HEADERS = {"X-Requested-With": "lagesbild"}
TODAY = dt.date.today()


@pytest.fixture
def world(app, data_dir):
    from tests.factories import build_random_warehouse

    ds = build_random_warehouse(data_dir, seed=3, demo=True)
    units = list(ds.units["vardenhet_hsaid"])
    db = app.extensions["auth_db"]
    poster = ensure_account(app, *POSTER)
    other = ensure_account(app, *OTHER)
    notices.grant_unit(db, poster, units[0], by="test")
    notices.grant_unit(db, other, units[1], by="test")
    return {"app": app, "db": db, "units": units, "poster": logged_in_client(app, *POSTER),
            "other": logged_in_client(app, *OTHER), "reader": logged_in_client(app, *READER),
            "admin": logged_in_client(app, *ADMIN, role="admin"), "anon": app.test_client()}


def _body(unit, **changes):
    body = {"enhet": unit, "kva": ["NGB"], "typ": "erbjuder", "antal": 20,
            "fran": (TODAY + dt.timedelta(days=10)).isoformat(), "till": (TODAY + dt.timedelta(days=40)).isoformat(),
            "asa_max": 3, "villkor": "Patienter med BMI under 35.", "kontakt": "ortopedi.planering@region.se",
            "giltig_till": (TODAY + dt.timedelta(days=30)).isoformat()}
    body.update(changes)
    return body


def _post(client, body, headers=HEADERS):
    return client.post("/api/v1/annonser", data=json.dumps(body), content_type="application/json", headers=headers)


def test_an_annonsor_posts_for_their_unit_and_every_reader_sees_it(world):
    unit = world["units"][0]
    resp = _post(world["poster"], _body(unit))
    assert resp.status_code == 201, resp.get_json()
    stored = resp.get_json()
    assert stored["enhet"] == unit and stored["kva"] == ["NGB"] and stored["typ"] == "erbjuder"
    listed = world["reader"].get("/api/v1/annonser?kva=NGB").get_json()["annonser"]
    assert [n["id"] for n in listed] == [stored["id"]]
    assert set(listed[0]) == {"id", "enhet", "namn", "region_kod", "kva", "typ", "antal", "fran", "till", "asa_max",
                              "villkor", "kontakt", "giltig_till", "skapad", "skapad_av"}
    from auth.models import AuditEntry
    from sqlalchemy import select

    with world["db"].session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.subject == unit))]
    assert "notice_created" in actions


@pytest.mark.parametrize("who,status", [("reader", 403), ("other", 403), ("admin", 403), ("anon", 401)])
def test_nobody_else_may_post_for_the_unit(world, who, status):
    resp = _post(world[who], _body(world["units"][0]))
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert notices.current(world["db"]) == []


def test_a_write_needs_the_header_and_json(world):
    unit = world["units"][0]
    assert _post(world["poster"], _body(unit), headers={}).status_code == 403
    form = world["poster"].post("/api/v1/annonser", data=_body(unit), headers=HEADERS)
    assert form.status_code == 415
    assert notices.current(world["db"]) == []


@pytest.mark.parametrize("changes,field", [
    ({"giltig_till": (TODAY - dt.timedelta(days=1)).isoformat()}, "giltig_till"),
    ({"giltig_till": (TODAY + dt.timedelta(days=91)).isoformat()}, "giltig_till"),
    ({"till": (TODAY + dt.timedelta(days=5)).isoformat()}, "till"),
    ({"kva": ["ZZZ"]}, "kva"), ({"kva": []}, "kva"), ({"typ": "säljer"}, "typ"),
    ({"antal": 0}, "antal"), ({"antal": "många"}, "antal"), ({"asa_max": 7}, "asa_max"),
    ({"villkor": "x" * 501}, "villkor"), ({"kontakt": ""}, "kontakt"),
    ({"kontakt": "Anna 19121212-1212"}, "kontakt"), ({"fran": "2027-13-01"}, "fran"),
    ({"okant": 1}, "okant"), ({"enhet": "SE2321000016-NOPE"}, "enhet"),
])
def test_every_field_is_validated_and_a_refused_write_changes_nothing(world, changes, field):
    resp = _post(world["poster"], _body(world["units"][0], **changes))
    assert resp.status_code == 400, resp.get_json()
    body = resp.get_json()
    assert body["parameter"] == field and body["fel"]
    assert notices.current(world["db"]) == []
    # The API names a field by its key; the message is whole (no marker left for the form's label).
    assert "{" not in body["fel"] and (field in body["fel"] or field in {"till", "giltig_till", "okant"})


def test_the_form_names_a_field_by_its_label_and_the_api_by_its_key():
    from pages.annonser import AN_LABELS

    known = {"known_group": lambda g: g == "NGB", "known_unit": lambda u: True, "may_post_for": lambda u: True}
    payload = {"enhet": "SE2321000016-E001", "kva": ["NGB"], "typ": "erbjuder", "antal": 3, "fran": "2027-13-01",
               "till": "2027-01-10", "kontakt": "planering@region.se", "giltig_till": TODAY.isoformat()}
    with pytest.raises(notices.NoticeError) as refused:
        notices.validate(payload, today=TODAY, **known)
    exc = refused.value
    assert exc.field == "fran" and exc.message.startswith("Fältet fran är inget datum: '2027-13-01'")
    assert exc.named("”Från (ÅÅÅÅ-MM-DD)”").startswith("Fältet ”Från (ÅÅÅÅ-MM-DD)” är inget datum")
    # every field the validation can name has a label in the form
    assert set(notices.FIELDS) <= set(AN_LABELS)
    # a value typed as the mark itself is quoted as typed, not replaced by the field's name
    with pytest.raises(notices.NoticeError) as odd:
        notices.validate({**payload, "fran": "{fält}"}, today=TODAY, **known)
    assert odd.value.named("”Från”") == "Fältet ”Från” är inget datum: '{fält}' (ange ÅÅÅÅ-MM-DD)."


def test_html_is_kept_as_text(world):
    resp = _post(world["poster"], _body(world["units"][0], villkor="<script>alert(1)</script> ASA ≤ 3"))
    assert resp.status_code == 201
    listed = world["reader"].get("/api/v1/annonser")
    # JSON, never sniffed as HTML; the text itself is kept exactly as typed (the pages show it as text)
    assert listed.mimetype == "application/json" and listed.headers["X-Content-Type-Options"] == "nosniff"
    assert listed.get_json()["annonser"][0]["villkor"] == "<script>alert(1)</script> ASA ≤ 3"


def test_withdraw_by_the_unit_or_an_admin_only_and_expiry_hides(world):
    unit = world["units"][0]
    first = _post(world["poster"], _body(unit)).get_json()
    second = _post(world["poster"], _body(unit, antal=5)).get_json()
    url = f"/api/v1/annonser/{first['id']}"
    assert world["reader"].delete(url, headers=HEADERS).status_code == 403
    assert world["other"].delete(url, headers=HEADERS).status_code == 403
    assert world["poster"].delete(url).status_code == 403                      # no header
    assert world["poster"].delete(url, headers=HEADERS).status_code == 204
    assert world["admin"].delete(f"/api/v1/annonser/{second['id']}", headers=HEADERS).status_code == 204
    assert world["poster"].delete("/api/v1/annonser/99999", headers=HEADERS).status_code == 404
    assert notices.current(world["db"]) == []
    assert notices.get(world["db"], first["id"]) is not None                 # kept, only hidden
    third = _post(world["poster"], _body(unit)).get_json()
    assert [n["id"] for n in notices.current(world["db"])] == [third["id"]]
    assert notices.current(world["db"], today=TODAY + dt.timedelta(days=31)) == []   # expired


def test_the_cli_grants_annonsor_per_unit(app, data_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "grant", "SE2321000016-PER1", "annonsor"])
    assert result.exit_code != 0 and "--enhet" in result.output
    result = runner.invoke(args=["users", "grant", "SE2321000016-PER1", "annonsor", "--enhet", "SE2321000016-E001",
                                 "--enhet", "SE2321000016-E002"])
    assert result.exit_code == 0, result.output
    assert notices.units_for(app.extensions["auth_db"], "SE2321000016-PER1") == {"SE2321000016-E001",
                                                                                  "SE2321000016-E002"}
    result = runner.invoke(args=["users", "revoke", "SE2321000016-PER1", "annonsor", "--enhet", "SE2321000016-E001"])
    assert result.exit_code == 0
    assert notices.units_for(app.extensions["auth_db"], "SE2321000016-PER1") == {"SE2321000016-E002"}
    listing = runner.invoke(args=["users", "list"]).output
    assert "annonsor för SE2321000016-E002" in listing


def test_edit_by_the_unit_only_audited_with_what_changed(world):
    unit = world["units"][0]
    stored = _post(world["poster"], _body(unit)).get_json()
    url = f"/api/v1/annonser/{stored['id']}"

    def put(client, body, headers=HEADERS):
        return client.put(url, data=json.dumps(body), content_type="application/json", headers=headers)

    assert put(world["other"], _body(unit, antal=30)).status_code == 403
    assert put(world["reader"], _body(unit, antal=30)).status_code == 403
    assert put(world["poster"], _body(unit, antal=30), headers={}).status_code == 403
    assert put(world["poster"], _body(unit, antal=0)).status_code == 400
    assert notices.get(world["db"], stored["id"])["antal"] == 20                 # refused: nothing changed
    resp = put(world["poster"], _body(unit, antal=30, villkor="Nya villkor"))
    assert resp.status_code == 200 and resp.get_json()["antal"] == 30
    from auth.models import AuditEntry
    from sqlalchemy import select

    with world["db"].session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "notice_changed")).one()
    assert "antal: 20 → 30" in entry.detail and "villkor" in entry.detail
    assert put(world["poster"], _body(world["units"][1])).status_code == 403    # not their unit
    world["poster"].delete(url, headers=HEADERS)
    assert put(world["poster"], _body(unit, antal=40)).status_code == 409      # withdrawn: not editable


@pytest.mark.parametrize("query,parameter", [("kva=ZZZ", "kva"), ("region=99", "region"), ("enhet=nej", "enhet"),
                                             ("typ=x", "typ")])
def test_the_list_refuses_bad_parameters_naming_them(world, query, parameter):
    resp = world["reader"].get(f"/api/v1/annonser?{query}")
    assert resp.status_code == 400 and resp.get_json()["parameter"] == parameter
