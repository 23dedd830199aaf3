# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format audit bench install e2e-deps system-deps-run system-deps-test restore-drill clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Front-end test assets from the npm registry (axe-core), kept out of the repository.
node_modules/axe-core/axe.min.js: package.json $(wildcard package-lock.json)
	npm install --no-audit --no-fund --silent
	touch $@

# Debian packages (fonts, Pango, Chromium, LibreOffice Calc, slapd): installed when missing, or the
# exact apt-get command printed; one dpkg-query when all is there.
system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

e2e-deps: system-deps-test node_modules/axe-core/axe.min.js

run: system-deps-run $(STAMP)
	DJANGO_SETTINGS_MODULE=sns_training.settings.dev $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=sns_training.settings.dev $(PY) manage.py load_demo
	DJANGO_SETTINGS_MODULE=sns_training.settings.dev $(PY) manage.py runserver $(HOST):$(PORT)

test: system-deps-test $(STAMP) e2e-deps
	@scripts/redis-up.sh
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

audit: $(STAMP)
	$(PY) manage.py audit_questions --fail

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/exports.py
	$(PY) bench/reports.py
	$(PY) bench/roster.py --commit
	$(PY) bench/cycles.py

# Dump DATABASE_URL, restore into a scratch database, verify_records and row counts on the copy.
restore-drill: $(STAMP)
	PY=$(PY) scripts/restore-drill.sh

clean:
	rm -rf $(VENV) node_modules db.sqlite3 static_collected
