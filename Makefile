# Shanzhi — two commands from a fresh clone:
#   make demo   install into .venv, migrate, build the demo county, serve http://127.0.0.1:8000
#   make test   install what the tests need, then run every check
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers (the machines have 2 cores); a test file stays on one worker so module fixtures build once.
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=15

.PHONY: demo test install install-test assets system-deps lint check-migrations messages bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed assets messages
install-test: $(VENV)/.installed-test assets system-deps

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	$(BIN)/python scripts/build_assets.py

system-deps:
	scripts/ensure_system_deps.sh

messages: $(VENV)/.installed
	cd shanzhi && ../$(BIN)/shanzhi compilemessages -v0

demo: install
	$(BIN)/shanzhi migrate --no-input -v0
	$(BIN)/shanzhi demo
	@echo "Serving the demo county on http://$(HOST):$(PORT)/ (Ctrl-C to stop); the worker builds reports in the background"
	$(BIN)/shanzhi worker --tick 5 & WORKER=$$!; trap "kill $$WORKER" EXIT INT TERM; $(BIN)/shanzhi runserver $(HOST):$(PORT)

serve: install
	$(BIN)/shanzhi migrate --no-input -v0
	$(BIN)/shanzhi runserver $(HOST):$(PORT)

lint:
	$(BIN)/ruff check .

check-migrations:
	$(BIN)/shanzhi makemigrations --check --dry-run -v1

test: install-test
	$(BIN)/ruff check .
	$(BIN)/shanzhi check --fail-level WARNING
	$(BIN)/shanzhi makemigrations --check --dry-run -v1
	$(BIN)/python scripts/check_messages.py
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules shanzhi/static/vendor var/test-*.sqlite3*
