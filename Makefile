# Channelport: `make run` serves the API with demo data, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The PostgreSQL server the second test run uses (a scratch database is created on it).
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432
# Which databases `make test` runs the suite on.
TEST_DATABASES ?= sqlite $(POSTGRES_TEST_URL)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-deps lint schema

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/channelport serve --migrate --demo --host $(HOST) --port $(PORT)

# System packages the browser test needs (Debian): headless Chromium.
test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/channelport export-schema --check

schema: install
	$(BIN)/channelport export-schema

test: install test-deps lint
	@set -e; for database in $(TEST_DATABASES); do \
	  echo "== test suite on $$database"; \
	  CHANNELPORT_TEST_DATABASE=$$database $(BIN)/pytest; \
	done
