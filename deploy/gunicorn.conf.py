"""gunicorn settings for the lägesbild (used by `make run` and in production).

    gunicorn --config deploy/gunicorn.conf.py --bind 127.0.0.1:8050 "app:create_app()"
    gunicorn --config deploy/gunicorn.conf.py --bind 127.0.0.1:8050 app:server   # Dash's convention, same app

Bind to loopback (or a private interface) only: TLS and client certificates
are terminated by nginx (see deploy/nginx.conf.example), which forwards the
verified certificate in X-SSL-Client-Cert. The app honours that header only
from LAGESBILD_TRUSTED_PROXIES and applies ProxyFix only to those addresses
(auth/proxy.py), so gunicorn's own forwarded-header handling is limited to
the same addresses here.
"""
import multiprocessing
import os

# Two worker processes (one per core on the reference machine), each with a
# few threads: callbacks mostly wait on DuckDB, which releases the GIL.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A slow statistics query may take a few seconds; nothing legitimate takes a minute.
timeout = 60
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak can never grow without bound.
# Not too often: a worker's start (app, warm-up, per-snapshot look-ups) costs
# 1–2 s of CPU, and at 500 requests/s a limit of 2 000 recycled each worker
# every few seconds (benchmarks/bench_load.py: a quarter of the throughput).
max_requests = 50000
max_requests_jitter = 5000

# A SITHS certificate as URL-encoded PEM is 3–5 kB; leave room for it.
limit_request_field_size = 16384
limit_request_line = 8190

# Only the reverse proxy may set X-Forwarded-Proto (gunicorn's own check;
# ProxyFix in auth/proxy.py does the same for the app).
forwarded_allow_ips = os.environ.get("LAGESBILD_TRUSTED_PROXIES", "127.0.0.1,::1") or "127.0.0.1,::1"

# Logs to stdout/stderr (journald or the container runtime keeps them).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# No query strings with personal data exist, but keep the line short: no
# headers (the certificate header is long), response time in microseconds.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sµs "%(a)s"'

proc_name = "lagesbild"

# Never more workers than cores × 2 + 1 even if configured higher by mistake.
workers = max(1, min(workers, multiprocessing.cpu_count() * 2 + 1))


def post_worker_init(worker):
    """Finish Dash's first-request setup in this worker before it takes
    traffic (plotly/dash#3971: parallel first requests of a fresh worker,
    also after max_requests recycling, got 404 for the component bundles)."""
    from app import warm_up

    warm_up(worker.wsgi)


def worker_exit(server, worker):
    """A worker stopping gracefully writes the audit entries still pending in it."""
    from auth import audit

    audit.flush_all()
