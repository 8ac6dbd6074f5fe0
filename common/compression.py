"""Compressed responses (Flask-Compress): scripts, styles and JSON only.

The page bundles are ~3,7 MB of JavaScript; compressed (zstd, br or gzip, as
the browser accepts) a first visit moves a fraction of it
(benchmarks/bench_first_load.py). HTML is left uncompressed on purpose: the
pages carry the CSRF token next to text an address can put there, the
combination that lets a compression side channel (BREACH) read a secret. The
JSON answers (Dash callbacks, /api/v1) carry no secret.
"""
from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIMETYPES = ["text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml"]


def init_compression(server: Flask) -> None:
    server.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    server.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    server.config.setdefault("COMPRESS_BR_LEVEL", 5)
    Compress(server)
