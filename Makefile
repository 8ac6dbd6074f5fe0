# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8050
export LAGESBILD_DATA_DIR ?= ./var

.PHONY: run test venv test-venv system-deps demo bench cluster lint clean

## Debian packages: Chromium, ChromeDriver and PostgreSQL for the tests (installed when missing).
system-deps:
	PYTHON=$(PYTHON) bash scripts/system-deps.sh test

$(VENV)/bin/activate:
	PYTHON=$(PYTHON) bash scripts/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt $(VENV)/.runtime-installed
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

venv: $(VENV)/.runtime-installed

test-venv: $(VENV)/.test-installed

## Serve the app on http://$(HOST):$(PORT); generates and loads the small demo delivery when no data is loaded.
run: venv
	$(PY) -m etl bootstrap
	$(PY) -m auth.devinfo --host $(HOST) --port $(PORT)
	$(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py --bind $(HOST):$(PORT) "app:create_app()"

## axe-core for the accessibility tests, from its npm package (pinned in tests/a11y/package-lock.json).
A11Y_DEPS := tests/a11y/node_modules/.installed
$(A11Y_DEPS): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --silent
	touch $@

## Run every test (unit, integration, browser in Debian's Chromium).
test: system-deps test-venv $(A11Y_DEPS)
	$(PY) -m pytest -q -n 2 --dist loadfile tests

## The whole set-up on loopback: nginx (SITHS front, test PKI) + 2 app servers + PostgreSQL + Redis; browser on http://127.0.0.1:8050/
CLUSTER_DIR ?= /tmp/lagesbild-cluster
cluster: system-deps test-venv
	$(PY) scripts/cluster.py --dir $(CLUSTER_DIR)

## Reproducible measurements with a naive baseline side by side (see benchmarks/README.md).
BENCH_DIR ?= /tmp/lagesbild-bench
bench: test-venv
	PYTHON=$(PYTHON) bash scripts/system-deps.sh bench
	$(PY) benchmarks/bench_etl.py --workdir $(BENCH_DIR)
	$(PY) benchmarks/bench_app.py --delivery $(BENCH_DIR)/delivery
	$(PY) benchmarks/bench_api.py --delivery $(BENCH_DIR)/delivery
	$(PY) benchmarks/bench_load.py --delivery $(BENCH_DIR)/delivery

clean:
	rm -rf $(VENV) .pytest_cache
