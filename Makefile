# PST Desk: `make run` installs, migrates, loads the seed offices and demo accounts, and serves everything;
# `make test` installs and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install install-dev browser run test lint bench bench-full clean FORCE

# .venv belongs to one interpreter: it is made anew whenever PYTHON names another one (version or installation)
# than .venv's own, e.g. `make run PYTHON=python3.13` after a 3.11 .venv, or a .venv whose set-up broke. The
# stamp .venv/.python-id changes only then, so the lock files are installed again only then.
PYID := import sys; print(sys.version.split()[0], sys.base_prefix)
$(VENV)/.python-id: FORCE
	@want="$$($(PYTHON) -c '$(PYID)')" \
	  || { echo "make: cannot run PYTHON=$(PYTHON) (Python 3.11, 3.12 or 3.13 is needed)" >&2; exit 1; }; \
	have="$$($(BIN)/python -c '$(PYID)' 2>/dev/null)"; \
	if [ "$$have" != "$$want" ]; then \
	  if [ -d $(VENV) ]; then echo "$(VENV) is for another Python ($$have): making it anew for $$want"; fi; \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) || exit 1; \
	fi; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$want" ]; then echo "$$want" > $@; fi

FORCE:

$(VENV)/.runtime: requirements.lock pyproject.toml $(VENV)/.python-id
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml $(VENV)/.python-id
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
	$(BIN)/mypy pstdesk  # --strict for the application, relaxed for tests: [tool.mypy] in pyproject.toml
	$(BIN)/pstdesk makemigrations --check --dry-run

bench: install-dev
	$(BIN)/python -m bench

bench-full: install-dev
	$(BIN)/python -m bench --full

clean:
	rm -rf $(VENV) data
