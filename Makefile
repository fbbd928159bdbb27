# One command to run the bot, one to run the tests; both set up .venv first if needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run migrate test lint format bench check lock

# The locks (make lock) pin the whole tree with hashes: requirements.txt is what Heroku installs,
# requirements-dev.txt the same plus the tools. The project itself goes in without dependencies,
# built by the locked setuptools (no build environment fetched).
$(VENV)/.installed: requirements-dev.txt requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The locks again after a change to pyproject.toml's pins; other pins stay unless
# LOCK_ARGS=--upgrade (or --upgrade-package NAME). Resolved against PyPI alone, whatever pip
# configuration this machine has (local wheel folders, mirrors), so the hashes are PyPI's files.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null
PIP_COMPILE := $(LOCK_ENV) $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras $(LOCK_ARGS)
lock: $(VENV)/.installed
	$(PIP_COMPILE) --output-file=requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra=dev --constraint=requirements.txt --output-file=requirements-dev.txt \
		pyproject.toml

run: migrate
	$(BIN)/python -m bot serve

# DATABASE_URL's schema up to date (unset: an SQLite file in var/); Heroku's release phase does it.
migrate: $(VENV)/.installed
	$(BIN)/python -m bot migrate

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(VENV)/.installed
	$(BIN)/python -m bot check

bench: $(VENV)/.installed
	$(BIN)/python bench/load.py
