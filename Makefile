# Causeway: `make run` serves a hub on http://127.0.0.1:8000, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= $(or $(HUB_TEST_POSTGRES_URL),postgres://root@127.0.0.1:5432/test)
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres venv venv-test browser axe clean

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

# axe-core for the browser tests' accessibility checks (pinned by tests/browser/package-lock.json).
axe:
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the accessibility checks will be skipped"; fi

test: venv-test browser axe
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$HUB_TEST_REQUIRE_POSTGRES" ] || $(BIN)/python -c "import psycopg2,sys; psycopg2.connect(sys.argv[1].replace('postgres://','postgresql://',1), connect_timeout=3).close()" "$(PG_URL)" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL is not reachable at $(PG_URL): skipped the PostgreSQL run"; fi

test-sqlite:
	HUB_TEST_DATABASE=sqlite $(BIN)/pytest -q $(PYTEST_ARGS)

# HUB_TEST_ALLOW_PG_RESTART=1 lets tests/integration/test_faults.py restart the local cluster serving PG_URL
# (pg_ctlcluster) mid-fan-out; set it to 0 when other sessions share that server.
test-postgres:
	HUB_TEST_DATABASE=postgres HUB_TEST_POSTGRES_URL=$(PG_URL) HUB_TEST_ALLOW_PG_RESTART=$(or $(HUB_TEST_ALLOW_PG_RESTART),1) \
	  $(BIN)/pytest -q -m "(db and not integration) or postgres" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-bovine .pytest_cache
