# One entry point for people, the README and CI.
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser run test lint fmt check bench bench-quick chaos lock attack mutation vendor screenshots

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

# The pages' linter (Biome), exactly as package-lock.json pins it; Node.js and npm from Debian
# when missing (as root). `npm ci` runs again only when the lock changes.
BIOME = node_modules/.bin/biome
node_modules/.installed: package.json package-lock.json
	bash .ci/install-node
	npm ci --quiet --no-audit --no-fund
	touch $@

run: install
	$(BIN)/rpai serve --host $(HOST) --port $(PORT)

# The browser test drives Debian's Chromium; installed once, with apt-get (as root).
browser:
	bash .ci/install-browser

test: install browser
	$(BIN)/pytest -q -n 2

lint: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIOME) ci --colors=off --error-on-warnings rpai/pages

fmt: install node_modules/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIOME) check --write rpai/pages

check: lint test

# Every page in every state, at 1280 and 390 px, as PNG files in screenshots/ for a person to
# look at all at once: the browser tests (those of tests/system that drive Chromium) save them.
BROWSER_TESTS = $(shell grep -l "WebDriver" tests/system/test_*.py)
screenshots: install browser
	rm -rf screenshots
	RPAI_SCREENSHOTS_DIR=screenshots $(BIN)/pytest -q -n 0 -p no:randomly $(BROWSER_TESTS)
	@echo "Screenshots in screenshots/ ($$(ls screenshots | wc -l) files)"

bench: install
	$(BIN)/python bench/run.py

# The throughput table alone, in a few minutes: for every change to a hot path.
bench-quick: install
	$(BIN)/python bench/run.py --quick --requests 300 --sync-requests 60

# Kill `rpai serve` (and its database) with SIGKILL during writes, ROUNDS times; report losses.
ROUNDS ?= 20
chaos: install
	$(BIN)/python -m tests.support.chaos --rounds $(ROUNDS)
# The Docker image's dependencies, exact and hashed, from pyproject.toml. The machine's own
# wheel caches and extra indexes are left out, so the hashes are those of the public files.
lock: install
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	    $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --all-build-deps \
	    --allow-unsafe --no-emit-index-url --no-emit-find-links \
	    --output-file requirements.lock pyproject.toml

# The reviewers' attacks on a real server (login lockout, floods, unknown commits): figures.
attack: install
	$(BIN)/python -m bench.attacks

# Mutation score of the core rules (bench/mutation.py): slow, and not run by CI. Niced, one
# worker by default: MUTATION_CHILDREN=2 for more.
MUTATION_CHILDREN ?= 1
mutation: install
	nice -n 15 $(BIN)/python bench/mutation.py --children $(MUTATION_CHILDREN)

# The vendored libraries of rpai/pages/vendor, downloaded from the npm registry at the versions
# rpai/pages/vendor.lock.json pins; their files and checksums written there. Run by a person
# (after changing a version), never by CI or at run time.
vendor: install
	$(BIN)/python -m rpai.pages.vendor
