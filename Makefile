# Two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export VAR_DIR ?= $(CURDIR)/var

.PHONY: run test lint imports types migrations-check bandit audit pytest pytest-postgres pytest-clock-ahead pytest-multinode install install-dev messages clean

# Set-up says what it is doing: a first `make run` installs for a minute or two, and pip's own
# lines (what it collects, downloads and installs) show that it is moving.
$(BIN)/python:
	@echo "==> Creando el entorno de Python en $(VENV)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "==> Instalando las dependencias de Soporte (pip; uno o dos minutos la primera vez)…"
	$(BIN)/pip install --progress-bar on -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	@echo "==> Instalando las herramientas de desarrollo (pip)…"
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $@

MO_FILES := $(patsubst %.po,%.mo,$(wildcard soporte/locale/*/LC_MESSAGES/django.po))

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

# Translations are compiled in the build (Babel: no GNU gettext needed), only when changed.
messages: $(MO_FILES)

soporte/locale/%/LC_MESSAGES/django.mo: soporte/locale/%/LC_MESSAGES/django.po | $(VENV)/.installed
	@echo "==> Compilando las traducciones ($*)…"
	$(BIN)/pybabel compile --domain django --directory soporte/locale --locale $* --statistics

run: install
	@echo "==> Iniciando Soporte en el puerto $(PORT)…"
	$(BIN)/soporte run --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The import contract (pyproject.toml, [tool.importlinter]): apps layered one way, no circles.
imports: install-dev
	$(BIN)/lint-imports --no-cache

types: install-dev
	$(BIN)/mypy soporte

migrations-check: install-dev
	$(BIN)/soporte makemigrations --check --dry-run

# bandit over the code: every finding fixed or justified at its line (`# noqa: S608 - why`,
# what ruff's S rules already ask) or in .ci/bandit_justified.py. Deterministic and ~20 s, so
# it is a step of `make test`.
bandit: install-dev
	$(BIN)/python .ci/bandit_justified.py soporte

# bandit, then pip-audit over the installed dependencies. pip-audit asks PyPI's vulnerability
# data (network; the answer changes as advisories are published), so it is not a step of
# `make test`: run it before a release and weekly. --strict fails when a package could not be
# audited (a mirror without vulnerability data must not read as "no vulnerabilities").
audit: bandit
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

pytest: install-dev
	$(BIN)/pytest -n 2 --durations=25 -m "not multinode" $(PYTEST_ARGS)

# The same suite on PostgreSQL, with the clock a year ahead: a test that mixes a fixed `now`
# with the real clock passes today and fails next week; here it fails the day it is written.
# Without a PostgreSQL server it says so and runs the SQLite suite a year ahead instead; in CI
# (CI=true) PostgreSQL is required.
pytest-postgres: install-dev
	@if $(BIN)/python -m soporte.lib.pgcheck "$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/soporte}"; then \
		DATABASE_URL="$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/soporte}" $(BIN)/pytest -n 2 --durations=25 -m "not browser and not slow and not multinode" --clock-ahead 365 $(PYTEST_ARGS); \
	elif [ "$${CI:-}" = "true" ]; then echo "PostgreSQL is required in CI and did not answer" >&2; exit 1; \
	else echo "SKIPPED: PostgreSQL suite (no server at $${TEST_POSTGRES_URL:-127.0.0.1:5432}); the SQLite suite runs a year ahead instead"; \
		$(MAKE) --no-print-directory pytest-clock-ahead; fi

# The SQLite suite with the clock a year ahead (what `pytest-postgres` runs without a server).
pytest-clock-ahead: install-dev
	$(BIN)/pytest -n 2 --durations=25 -m "not browser and not slow and not multinode" --clock-ahead 365 $(PYTEST_ARGS)

# Two web nodes and two workers on loopback against one PostgreSQL and one Redis
# (tests/multinode): skipped with a message when they do not answer, except in CI.
pytest-multinode: install-dev
	$(BIN)/pytest -p no:xdist -m multinode tests/multinode $(PYTEST_ARGS)

test: lint imports types migrations-check bandit pytest pytest-postgres pytest-multinode

clean:
	rm -rf $(VENV) var staticfiles
