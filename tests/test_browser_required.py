"""A missing browser fails the browser tests loudly: reported as failed
tests with the reason, never skipped and never a setup error."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_browser_tests_fail_when_chromium_is_missing(tmp_path):
    env = {**os.environ, "LAGESBILD_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly",
         "tests/auth/test_browser.py::test_login_page_renders_under_the_csp"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    assert "1 failed" in out and "error" not in out.splitlines()[-1] and "skipped" not in out, out[-2000:]
    assert "Chromium saknas" in out
