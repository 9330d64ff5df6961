# WarmBee: `make run` starts the platform with demo data; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test lint lock messages check-python bench clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "WarmBee needs Python 3.11 or newer (set PYTHON=...)")'

$(VENV)/.runtime: requirements.lock pyproject.toml | check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.lock
	touch $@

run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_regions --townships 2306
	$(PY) manage.py demo
	@echo ""
	@echo "WarmBee is starting at http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	@echo "Demo accounts and their passwords: $$($(PY) -c 'from django.conf import settings; import django, os; os.environ.setdefault("DJANGO_SETTINGS_MODULE","warmbee.settings"); django.setup(); print(settings.DEMO_CREDENTIALS_FILE)')"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker & \
	$(PY) manage.py run_schedule & \
	$(VENV)/bin/gunicorn warmbee.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --access-logformat '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss' \
	  --error-logfile - --log-level warning

test: $(VENV)/.dev
	$(PY) -m pytest -q -n auto

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check warmbee tools bench conftest.py
	$(VENV)/bin/ruff format --check warmbee tools bench conftest.py

# Performance benchmarks (bench/README.md): finder vs PostGIS KNN, the nearby endpoint and
# check-ins over HTTP, page weight. Needs PostgreSQL at 127.0.0.1; installs wrk and PostGIS.
# BENCH_SIZES=200000,1000000 BENCH_SECONDS=20 BENCH_DIR=/tmp/warmbee-bench
bench: $(VENV)/.runtime
	PY=$(PY) bash bench/run.sh

# Regenerate the lock files from pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile -q pyproject.toml -o requirements.lock --python-version 3.11
	uv pip compile -q pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11

messages: $(VENV)/.dev
	cd warmbee && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --no-location
	cd warmbee && ../$(PY) ../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var
