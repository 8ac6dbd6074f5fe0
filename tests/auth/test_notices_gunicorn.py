"""The capacity notices' write routes through a real gunicorn in proxy mode
(SITHS certificate header from the trusted proxy): the role annonsör is
checked on the server for every write, whichever worker answers."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.auth.pki import HSA_ID
from tests.servers import Gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki):
    from auth import notices
    from auth.db import open_db
    from tests.conftest import make_settings
    from tests.factories import build_random_warehouse

    data_dir = tmp_path_factory.mktemp("gunicorn-notices") / "var"
    ds = build_random_warehouse(data_dir, seed=4, demo=True)
    units = list(ds.units["vardenhet_hsaid"])
    db = open_db(make_settings(data_dir))
    notices.grant_unit(db, HSA_ID, units[0], by="test")
    db.dispose()
    env = {"LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1", "LAGESBILD_SITHS_CA_FILE": str(pki.ca_file)}
    with Gunicorn(env) as srv:
        srv.units = units
        yield srv


def _body(unit):
    today = dt.date.today()
    return json.dumps({"enhet": unit, "kva": ["NGB"], "typ": "erbjuder", "antal": 8, "fran": today.isoformat(),
                       "till": (today + dt.timedelta(days=20)).isoformat(), "kontakt": "vaxel@region.se",
                       "giltig_till": (today + dt.timedelta(days=20)).isoformat()}).encode()


def test_the_role_is_checked_for_every_write_on_every_worker(server, pki):
    cert = {"X-SSL-Client-Cert": pki.header("valid")}
    write = {**cert, "Content-Type": "application/json", "X-Requested-With": "lagesbild"}
    for _ in range(3):   # two workers: each must refuse on its own
        status, _, body = server.request("POST", "/api/v1/annonser", write, _body(server.units[1]))
        assert status == 403, body
        status, _, body = server.request("POST", "/api/v1/annonser",
                                         {**cert, "Content-Type": "application/json"}, _body(server.units[0]))
        assert status == 403, body                                   # no X-Requested-With
    status, _, body = server.request("POST", "/api/v1/annonser", write, _body(server.units[0]))
    assert status == 201, body
    notice = json.loads(body)
    status, _, body = server.request("GET", "/api/v1/annonser?kva=NGB", cert)
    assert status == 200 and [n["id"] for n in json.loads(body)["annonser"]] == [notice["id"]]
    status, _, _ = server.request("PUT", f"/api/v1/annonser/{notice['id']}", write, _body(server.units[1]))
    assert status == 403                                             # not the person's unit
    status, _, body = server.request("PUT", f"/api/v1/annonser/{notice['id']}", write, _body(server.units[0]))
    assert status == 200, body
    status, _, _ = server.request("DELETE", f"/api/v1/annonser/{notice['id']}", cert)
    assert status == 403                                             # no X-Requested-With
    status, _, _ = server.request("DELETE", f"/api/v1/annonser/{notice['id']}", write)
    assert status == 204
    status, _, _ = server.request("POST", "/api/v1/annonser", {"Content-Type": "application/json",
                                                               "X-Requested-With": "lagesbild"}, _body(server.units[0]))
    assert status == 401                                             # no certificate
