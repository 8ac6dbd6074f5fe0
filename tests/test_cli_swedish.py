"""The command lines speak Swedish (issue 11, part 8): argparse's and click's
own headings, usage lines and errors; `etl status --rejections` documented;
`auth.devinfo` prints the port it will serve on; the Admin page's load
history shows the first reasons of rejected rows."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

ENGLISH = ("usage:", "Usage:", "options:", "Options:", "positional arguments", "show this help",
           "the following arguments are required", "unrecognized arguments", "invalid choice",
           "Missing argument", "Show this message", "Try '", "Error:", "[OPTIONS]", "COMMAND [ARGS]")


def _run(args: list[str], data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "LAGESBILD_ENV": "test", "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _says_in_swedish(proc: subprocess.CompletedProcess, code: int, words) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    for w in words:
        assert w in out, (w, out)
    for w in ENGLISH:
        assert w not in out, (w, out)


@pytest.mark.parametrize("args,code,words", [
    (["--help"], 0, ("användning: python -m etl", "flaggor:", "visa den här hjälpen", "kommandon:")),
    (["status", "--help"], 0, ("--rejections FILNAMN", "varje avvisad rad")),
    (["load"], 2, ("de här argumenten krävs: SÖKVÄG", "Se `python -m etl load --help`")),
    (["status", "--bogus"], 2, ("okända argument: --bogus", "Se `python -m etl --help`")),
    (["demo", "--out", "x", "--scale", "stor"], 2, ("ogiltigt val: 'stor'",)),
    (["status", "--last", "tio"], 2, ("ogiltigt värde: 'tio'",)),
])
def test_the_etl_command_line_is_swedish(tmp_path, args, code, words):
    _says_in_swedish(_run([sys.executable, "-m", "etl", *args], tmp_path), code, words)


FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "app", "users"]   # the venv's own script


@pytest.mark.parametrize("args,code,words", [
    (["--help"], 0, ("Användning: flask users [FLAGGOR] KOMMANDO [ARGUMENT]...", "Flaggor:", "Kommandon:",
                     "Visa den här hjälpen och avsluta.")),
    (["grant"], 2, ("Argument saknas 'HSA_ID'", "Skriv 'flask users grant --help' för hjälp.", "Fel:")),
    (["grant", "a", "b", "c"], 2, ("Oväntat extra argument (c)",)),
    (["nosuch"], 2, ("Kommandot 'nosuch' finns inte.",)),
])
def test_the_users_command_line_is_swedish(tmp_path, args, code, words):
    _says_in_swedish(_run([*FLASK, *args], tmp_path), code, words)


def test_devinfo_prints_the_port_it_will_serve_on(tmp_path):
    proc = _run([sys.executable, "-m", "auth.devinfo", "--host", "127.0.0.1", "--port", "9123"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "http://127.0.0.1:9123/" in proc.stdout and "8050" not in proc.stdout
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "auth.devinfo --host $(HOST) --port $(PORT)" in makefile


def test_the_admin_load_history_shows_the_first_reasons(tmp_path):
    import sys as _sys

    from data.questions import loads
    from data.warehouse import Warehouse
    from tests.etl import helpers

    data_dir = tmp_path / "var"
    helpers.load(data_dir, helpers.write_base_delivery(tmp_path / "leverans"))
    rows = [helpers.spor_row(500 + i) for i in range(60)]
    rows[3][helpers.SPOR_HEADER.index("kva_kod")] = "XX"
    rows[7][helpers.SPOR_HEADER.index("anmalan_datum")] = "2026-13-01"
    helpers.write_csv(tmp_path / "spor_20261120.csv", helpers.SPOR_HEADER, rows)
    helpers.load(data_dir, tmp_path / "spor_20261120.csv")
    wh = Warehouse(helpers.warehouse_dir(data_dir))
    latest = next(r for r in loads.recent_loads(wh, 10) if r["file_name"] == "spor_20261120.csv")
    assert latest["rejected"] == 2 and [r["line"] for r in latest["first_rejections"]] == [5, 9]
    admin = _sys.modules.get("pages.admin")
    if admin is None:
        from app import create_app
        from tests.conftest import make_settings

        create_app(make_settings(data_dir))
        admin = _sys.modules["pages.admin"]
    text = admin.load_message(latest)
    assert text.startswith("Första avvisade raderna: rad 5, kva_kod: ") and "rad 9, anmalan_datum: " in text
    wh.close()
