"""The one launcher of the real app under gunicorn on loopback for tests
(deploy/gunicorn.conf.py, so the workers are warmed like in production).

Every test that needs a server (certificates, browser tests, serving) uses
:class:`Gunicorn`; ``wait="port"`` returns as soon as the port accepts
connections, before any request has reached a worker (for tests of a
worker's very first requests)."""
from __future__ import annotations

import http.client
import socket
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, free_port


class Gunicorn:
    def __init__(self, env: dict, workers: int = 2, threads: int = 4, target: str = "app:create_app()",
                 wait: str = "healthz"):
        self.port = free_port()
        self.env = {**os.environ, **env, "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads),
                    "GUNICORN_LOGLEVEL": "warning", "PYTHONPATH": str(ROOT)}
        self.target = target
        self.wait = wait
        self.proc: subprocess.Popen | None = None
        self.log = Path(env["LAGESBILD_DATA_DIR"]) / "gunicorn.log"

    def __enter__(self):
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        cmd = [str(gunicorn) if gunicorn.exists() else sys.executable, *([] if gunicorn.exists() else ["-m", "gunicorn"]),
               "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{self.port}",
               self.target]
        Path(self.env["LAGESBILD_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        self._logfh = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._logfh, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            try:
                if self.wait == "port":
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                status, _, _ = self.request("GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.proc.kill()
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-3000:]}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._logfh.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
                source: str = "127.0.0.1"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()
