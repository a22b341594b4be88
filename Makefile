# Two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT ?= 8000
WEB_CONCURRENCY ?= 4
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup setup-test run dev test chromium node-deps wrk bench soak docs migrate clean

# `make run` needs the runtime dependencies only; `make test` adds the test extras.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(TEST_STAMP)

setup: $(STAMP)

setup-test: $(TEST_STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_console

# The web server and the background worker (secret-expiry sweep, webhook deliveries), stopped together.
run: migrate
	PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) VENV=$(VENV) scripts/run

dev: migrate
	DEBUG=1 PORT=$(PORT) VENV=$(VENV) scripts/run dev

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

node-deps:
	@if [ -f tests/js/package.json ]; then cd tests/js && npm ci --no-audit --no-fund --loglevel=error; fi

test: setup-test chromium node-deps
	scripts/test-all

wrk:
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; }

bench: setup-test wrk
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	$(PY) bench/run.py
	$(PY) bench/console.py

# Two instances on one throwaway PostgreSQL database under token and admin load; not part of
# `make test` (a 12 s version of it is: tests/soak/). Options: SOAK_ARGS="--duration 300".
soak: setup-test
	$(PY) bench/soak.py $(SOAK_ARGS)

docs: setup-test chromium node-deps
	DOCS_SCREENSHOTS=1 $(PY) -m pytest tests/e2e/test_procedure.py tests/e2e/test_console_screens.py -q

clean:
	rm -rf $(VENV) var
