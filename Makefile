# One command to run the bot, one to run the tests; both set up .venv first if needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run migrate test lint format bench check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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
