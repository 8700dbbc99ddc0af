# Causeway: `make run` serves a hub on http://127.0.0.1:8000, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= $(or $(HUB_TEST_POSTGRES_URL),postgres://root@127.0.0.1:5432/test)
PYTEST_ARGS ?=
# The suite runs in PYTEST_WORKERS processes (pytest-xdist), a test file per process at a time (module fixtures
# stay in one process); 0 runs it in this one. Most tests wait on hub processes, so 3 keep 2 cores busy.
PYTEST_WORKERS ?= 3
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
PG_TESTS := (db and not integration) or postgres

.PHONY: run test test-sqlite test-postgres venv venv-test browser nginx pg-client axe catalogues clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installed once, and again when pyproject.toml changes (the stamps), so `make run` starts at once the second time.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

venv-test: $(VENV)/.installed-test

# The hub's settings default to this address (HUB_DOMAIN=127.0.0.1:8000); HUB_DATA_DIR moves the data.
run: venv
	$(BIN)/hub migrate
	@echo "Causeway: open http://127.0.0.1:8000 (http://localhost:8000 leads there too). The command line is $(BIN)/hub;"
	@echo "          \`source $(BIN)/activate\` lets you type just \`hub\`. Stop with Ctrl-C."
	$(BIN)/hub serve --example-group --host 127.0.0.1 --port 8000

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and apt-get is not usable: browser tests will be skipped"; fi; \
	fi

# Debian's nginx for the deployment-recipe test (tests/deploy: the repo's site file in front of `hub serve`).
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "nginx is missing and apt-get is not usable: the deployment-recipe test will be skipped"; fi; \
	fi

# pg_dump/pg_restore for `hub backup`/`hub restore` on PostgreSQL (installed only when missing).
pg-client:
	@if ! command -v pg_dump >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; \
	  else echo "pg_dump is missing and apt-get is not usable: PostgreSQL backup tests will fail"; fi; \
	fi

# axe-core for the browser tests' accessibility checks (pinned by tests/browser/package-lock.json).
axe:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the accessibility checks will be skipped"; fi

test: venv-test browser nginx pg-client axe
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$HUB_TEST_REQUIRE_POSTGRES" ] || $(BIN)/python -c "import psycopg2,sys; psycopg2.connect(sys.argv[1].replace('postgres://','postgresql://',1), connect_timeout=3).close()" "$(PG_URL)" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL is not reachable at $(PG_URL): skipped the PostgreSQL run"; fi

test-sqlite:
	HUB_TEST_DATABASE=sqlite $(BIN)/pytest -q $(XDIST) -m "not alone" $(PYTEST_ARGS)
	HUB_TEST_DATABASE=sqlite $(BIN)/pytest -q -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

# HUB_TEST_ALLOW_PG_RESTART=1 lets tests/integration/test_faults.py restart the local cluster serving PG_URL
# (pg_ctlcluster) mid-fan-out; set it to 0 when other sessions share that server. Tests marked `alone` (the
# restart) run after the others, by themselves: a restart would cut every other worker's connections, and
# a timing check (the event loop during password hashing) wants the cores to itself. Exit status 5 (no test
# selected, e.g. with PYTEST_ARGS naming a folder without such tests) is not a failure.
PG_ENV = HUB_TEST_DATABASE=postgres HUB_TEST_POSTGRES_URL=$(PG_URL) HUB_TEST_ALLOW_PG_RESTART=$(or $(HUB_TEST_ALLOW_PG_RESTART),1)
test-postgres:
	$(PG_ENV) $(BIN)/pytest -q $(XDIST) -m "($(PG_TESTS)) and not alone" $(PYTEST_ARGS)
	$(PG_ENV) $(BIN)/pytest -q -m "($(PG_TESTS)) and alone" $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Translations: extract every message (hub, federation, web) into hub/locale/causeway.pot, merge it into each
# language's catalogue (new entries come untranslated: translate them, then run this again to compile).
LANGS := en es pt de sw ar
catalogues: venv-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o hub/locale/causeway.pot --no-location --omit-header --sort-output \
	  --project Causeway --version 0.1.0 .
	@for lang in $(LANGS); do \
	  if [ -f hub/locale/$$lang/LC_MESSAGES/causeway.po ]; then \
	    $(BIN)/pybabel update -i hub/locale/causeway.pot -d hub/locale -D causeway -l $$lang --no-fuzzy-matching; \
	  else $(BIN)/pybabel init -i hub/locale/causeway.pot -d hub/locale -D causeway -l $$lang; fi; \
	done
	$(BIN)/pybabel compile -d hub/locale -D causeway --statistics

clean:
	rm -rf $(VENV) .venv-bovine .pytest_cache
