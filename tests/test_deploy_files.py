"""The operator's files in deploy/ are sound (issue 15, part 3): the systemd
units pass `systemd-analyze verify`, the example environment names only
settings the app reads and, with its placeholders filled in, passes the
production checks of create_app."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from config.settings import load_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("lagesbild.service", "lagesbild-etl.service", "lagesbild-etl.timer")


def _example_env() -> dict:
    env = {}
    for line in (DEPLOY / "lagesbild.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze saknas: make test installerar Debians systemd"
    env_file = tmp_path / "lagesbild.env"
    env_file.write_text("LAGESBILD_ENV=test\n")
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/opt/lagesbild/current", str(ROOT))
        text = re.sub(r"EnvironmentFile=\S+", f"EnvironmentFile={env_file}", text)
        (tmp_path / name).write_text(text, encoding="utf-8")
    venv_gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    assert venv_gunicorn.exists(), "make test skapar .venv med gunicorn"
    proc = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_the_app_servers_unit_runs_what_make_run_runs():
    unit = (DEPLOY / "lagesbild.service").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--config deploy/gunicorn.conf.py" in unit and "app:create_app()" in unit
    assert "--config deploy/gunicorn.conf.py" in makefile and '"app:create_app()"' in makefile
    assert "--bind 127.0.0.1:" in unit                                   # never exposed directly
    assert "ReadWritePaths=/var/lib/lagesbild" in unit and "LAGESBILD_DATA_DIR=/var/lib/lagesbild" in \
        (DEPLOY / "lagesbild.env.example").read_text(encoding="utf-8")


def test_the_example_environment_names_only_real_settings():
    read = set(re.findall(r'_(?:env|int)\("([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text()))
    gunicorn = set(re.findall(r'environ\.get\("([A-Z_]+)"', (DEPLOY / "gunicorn.conf.py").read_text()))
    for key in _example_env():
        if key.startswith("LAGESBILD_"):
            assert key.removeprefix("LAGESBILD_") in read, f"{key} läses inte av config/settings.py"
        else:
            assert key in gunicorn, f"{key} läses inte av deploy/gunicorn.conf.py"


def test_the_example_environment_filled_in_passes_the_production_checks(tmp_path):
    import secrets

    from tests.auth.pki import build_pki

    pki = build_pki(tmp_path)

    env = _example_env()
    filled = {}
    for key, value in env.items():
        if key == "LAGESBILD_SECRET_KEY" or key == "LAGESBILD_PROXY_SECRET":
            value = secrets.token_urlsafe(48)
        value = value.replace("<password>", "x")
        assert "<" not in value, f"{key}: okänd platshållare {value}"
        filled[key] = value
    filled["LAGESBILD_SITHS_CA_FILE"] = str(pki.ca_file)       # the one path that must exist here
    filled["LAGESBILD_DATA_DIR"] = str(tmp_path / "var")
    settings = load_settings(filled)
    assert settings.env == "production" and settings.auth_mode == "proxy"
    assert settings.redis_url and settings.database_url.startswith("postgresql+psycopg://")
