# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PEERDIR := $(BIN)/peerdir
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Message catalogs: the .po files are the source; their compiled .mo files are made here.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard directory/locale/*/LC_MESSAGES/messages.po))

.PHONY: run test setup services index bench soak relevance lint chromium stop clean messages

# The web app, and beside it the worker that runs imports, rebuilds and scheduled feeds.
# Ctrl-C stops both (the worker at its next chunk boundary; the shell waits for it).
run: setup services index
	@$(PEERDIR) worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PEERDIR) serve

test: setup chromium
	$(PEERDIR) meili install
	$(BIN)/pytest

setup: $(STAMP) $(NPM_STAMP) $(CATALOGS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser assets (htmx; Leaflet, topojson-client and us-atlas for the map) and the
# accessibility checker the browser tests inject (axe-core), exactly as package-lock.json pins.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After changing a page's words: extract them and add the new ones to each catalog to translate.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k ngettext:1,2 --sort-by-file \
		--project "Peer Resource Directory" -o directory/locale/messages.pot .
	$(BIN)/pybabel -q update -i directory/locale/messages.pot -d directory/locale \
		--no-fuzzy-matching --ignore-obsolete

services: setup
	$(PEERDIR) db upgrade
	$(PEERDIR) meili start

index: services
	$(PEERDIR) index --full seed_data/

chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
		echo "Installing Chromium from Debian packages for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Indexing, latency and memory at 100,000 listings; another size: make bench BENCH_ARGS="--n 1000000".
bench: setup
	$(PEERDIR) meili install
	$(BIN)/python bench/bench.py $(BENCH_ARGS)
	$(BIN)/python bench/workspace.py
	$(BIN)/python bench/admin.py

# A bounded load on the app over loopback (bench/soak.py): fails on any error or below
# 200 requests a second.
soak: setup
	$(PEERDIR) meili install
	$(BIN)/python bench/soak.py

# Search relevance on seed_data/: precision@3 and nDCG@10 per query (tests/search/relevance/).
relevance: setup
	$(PEERDIR) meili install
	$(BIN)/python -m tests.search.relevance

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

stop:
	-$(PEERDIR) meili stop

clean: stop
	rm -rf $(VENV) .peerdir node_modules
