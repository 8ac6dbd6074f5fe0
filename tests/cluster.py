"""A whole lägesbild on loopback, for tests and `make cluster`.

    browser ──HTTP──► card reader stand-in ──TLS + card──► nginx (shipped config)
                                                             │ round robin
                                        ┌────────────────────┴───────────────────┐
                                  gunicorn app1 (own var/)              gunicorn app2 (own var/)
                                        └──── PostgreSQL (app database) ─ Redis (cache) ───┘
    loader (own var/) ── python -m etl load / publish --to app1 --to app2

Every part is the real program from Debian's packages (PostgreSQL, Redis,
nginx) or this repository (gunicorn, the ETL CLI); nothing is faked.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import ROOT, free_port

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def pg_bin() -> Path | None:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists() and (cand / "pg_ctl").exists():
            return cand
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


class Postgres:
    """A throwaway PostgreSQL cluster (initdb) in a directory of its own under
    /tmp (removed at the end), served on a free loopback port. As root the
    cluster runs as the user postgres (initdb refuses root), who must be able
    to reach the directory: pytest's own temporary directories are private."""

    def __init__(self):
        self.bindir = pg_bin()
        assert self.bindir is not None, "PostgreSQL-servern (initdb, pg_ctl) saknas: make test installerar Debians postgresql"
        base = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            base.mkdir(parents=True, exist_ok=True)
            os.chown(base, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def __enter__(self):
        self.base.mkdir(parents=True, exist_ok=True)
        subprocess.run([*self.as_user, str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--locale=C"], check=True, capture_output=True, timeout=120)
        self.start()
        return self

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.base} "
                "-c fsync=off")
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                        str(self.base / "log"), "-w", "-t", "60", "start"], check=True, capture_output=True,
                       timeout=90)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop"],
                       capture_output=True, timeout=60)

    def __exit__(self, *exc):
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


class Redis:
    """Debian's redis-server on a free loopback port, nothing kept on disk."""

    def __init__(self, base: Path):
        assert Path(REDIS).exists(), "redis-server saknas: make test installerar Debians redis-server"
        self.base = base
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self):
        self.base.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.base)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                assert time.time() < deadline, "redis-server startade inte"
                time.sleep(0.05)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def etl(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The ETL CLI on a data directory (the loader's own)."""
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"etl {' '.join(args)} gav {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@contextlib.contextmanager
def cluster(base: Path, *, workers: int = 1, threads: int = 4, card_port: int | None = None,
            scale: str = "small", delivery: Path | None = None):
    """Start everything; yields a dict with the addresses and the parts. The
    loader loads ``delivery``, or a demo delivery of ``scale`` it generates."""
    from tests.front import card_reader, nginx_front, proxy_env, write_pki
    from tests.servers import Gunicorn

    base.mkdir(parents=True, exist_ok=True)
    pki = base / "pki"
    if not (pki / "valid.pem").exists():
        pki.mkdir(exist_ok=True)
        write_pki(pki)
    loader, apps = base / "loader", [base / "app1", base / "app2"]
    if not (loader / "warehouse").exists():
        if delivery is None:
            delivery = base / "leverans"
            etl(loader, "demo", "--out", str(delivery), "--scale", scale)
        etl(loader, "load", str(delivery))
    etl(loader, "publish", *sum((["--to", str(d)] for d in apps), []))
    with Postgres() as pg, Redis(base / "redis") as redis:
        # One secret for every server: a session cookie signed by one is valid on the others.
        secret = (base / "secret-key.txt")
        if not secret.exists():
            import secrets

            secret.write_text(secrets.token_urlsafe(48))
            secret.chmod(0o600)
        env = lambda d: {**proxy_env(pki, d), "LAGESBILD_DATABASE_URL": pg.url,  # noqa: E731
                         "LAGESBILD_REDIS_URL": redis.url, "LAGESBILD_SECRET_KEY": secret.read_text()}
        with Gunicorn(env(apps[0]), workers=workers, threads=threads) as a, \
                Gunicorn(env(apps[1]), workers=workers, threads=threads) as b:
            with nginx_front(pki, [a.port, b.port], name="nginx-front") as front:
                with card_reader(pki, front["https"], "valid", port=card_port) as browser_url:
                    yield {"base": base, "pki": pki, "loader": loader, "apps": apps, "servers": (a, b),
                           "postgres": pg, "redis": redis, "https": front["https"], "browser_url": browser_url}


def next_daily_file(delivery: Path, out_dir: Path) -> Path:
    """One more day's SPOR file: the newest day's rows again under new post ids
    and the next date (a realistic daily delivery of the same size)."""
    import datetime as dt

    newest = sorted(delivery.glob("spor_*.csv"))[-1]
    text = newest.read_text(encoding="utf-8").splitlines()
    day = dt.date.fromisoformat(f"{newest.stem[5:9]}-{newest.stem[9:11]}-{newest.stem[11:13]}")
    header, rows = text[0], text[1:]
    pid = header.split(";").index("post_id")
    out_rows = []
    for row in rows:
        cells = row.split(";")
        cells[pid] = "X" + cells[pid]
        out_rows.append(";".join(cells))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"spor_{day:%Y%m%d}.csv"
    path.write_text("\n".join([header, *out_rows]) + "\n", encoding="utf-8")
    return path
