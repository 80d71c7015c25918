# PST Desk: `make run` installs, migrates, loads the seed offices and demo accounts, and serves everything;
# `make test` installs and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install install-dev browser run test lint bench bench-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

run: install
	DEMO=true $(BIN)/pstdesk migrate --noinput
	DEMO=true $(BIN)/pstdesk create_demo_accounts
	DEMO=true PORT=$(PORT) $(BIN)/pstdesk serve --port $(PORT)

test: install-dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check pstdesk bench
	$(BIN)/ruff format --check pstdesk bench
	$(BIN)/mypy pstdesk
	$(BIN)/pstdesk makemigrations --check --dry-run

bench: install-dev
	$(BIN)/python -m bench

bench-full: install-dev
	$(BIN)/python -m bench --full

clean:
	rm -rf $(VENV) data
