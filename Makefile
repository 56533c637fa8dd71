# One entry point for people, the README and CI.
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser run test lint fmt check bench chaos

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

run: install
	$(BIN)/rpai serve --host $(HOST) --port $(PORT)

# The browser test drives Debian's Chromium; installed once, with apt-get (as root).
browser:
	bash .ci/install-browser

test: install browser
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test

bench: install
	$(BIN)/python bench/run.py

# Kill `rpai serve` (and its database) with SIGKILL during writes, ROUNDS times; report losses.
ROUNDS ?= 20
chaos: install
	$(BIN)/python -m tests.support.chaos --rounds $(ROUNDS)
