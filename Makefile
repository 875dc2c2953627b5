# exam — competitive selection of leaders for Hanoi's public service units.
# `make run` and `make test` are all a newcomer needs; `make help` lists the rest.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test lint fmt translations translations-extract db demo serve system-deps \
        test-sqlite test-postgres bench bench-deps bench-cluster vendor clean cluster \
        cluster-stop

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-20s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

system-deps: ## Install Debian packages the app and tests need (WeasyPrint's Pango, Chromium, PostgreSQL, Redis, nginx)
	@missing=""; \
	  dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	  [ -z "$(WITH_TEST_DEPS)" ] || command -v chromium >/dev/null || missing="$$missing chromium"; \
	  [ -z "$(WITH_TEST_DEPS)" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  [ -z "$(WITH_TEST_DEPS)$(WITH_REDIS)" ] || command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  [ -z "$(WITH_TEST_DEPS)" ] || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi

translations: $(VENV)/.run-deps ## Compile the translation catalogs
	$(BIN)/pybabel compile -d exam/translations

translations-extract: $(VENV)/.dev-deps ## Extract strings and update the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs=".venv tests migrations" -o exam/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i exam/translations/messages.pot -d exam/translations

db: $(VENV)/.run-deps ## Upgrade the database to the latest migration
	@mkdir -p instance
	$(BIN)/flask db upgrade

demo: db ## Load the demo round if the database is empty
	$(BIN)/flask demo load --if-empty

run: system-deps translations demo ## Set everything up and serve on http://127.0.0.1:5000
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The production key: SECRET_KEY from the environment, else instance/secret_key, made once
# here (random, readable by its owner only) and kept: every worker and every restart signs
# with the same key, and sessions survive a restart.
instance/secret_key:
	@mkdir -p instance
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@.tmp && mv $@.tmp $@
	@echo "Generated $@ (the production SECRET_KEY; keep it, back it up, never share it)."

serve: translations db $(if $(SECRET_KEY),,instance/secret_key) ## Serve with gunicorn, production settings (exam days)
	$(MAKE) --no-print-directory system-deps WITH_REDIS=1
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

lint: $(VENV)/.dev-deps ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.dev-deps ## Format and fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-sqlite: $(VENV)/.dev-deps translations
	$(BIN)/pytest -q

test-postgres: $(VENV)/.dev-deps translations
	scripts/with-postgres.sh $(BIN)/pytest -q -m "not cluster"  # the cluster brings its own

cluster: translations $(VENV)/.run-deps ## Start a local cluster: PostgreSQL, Redis, 2 nodes, a job worker, nginx
	$(MAKE) --no-print-directory system-deps WITH_TEST_DEPS=1
	scripts/cluster.sh start

cluster-stop: ## Stop the local cluster and remove its data
	scripts/cluster.sh stop

test: ## Install what the tests need, lint, then the whole suite on SQLite and on PostgreSQL
	$(MAKE) --no-print-directory system-deps WITH_TEST_DEPS=1
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# The benchmarks' own tools: the test packages (PostgreSQL, Redis, nginx for bench/cluster.py)
# and wrk, the load generator in C beside the Python one (bench/autosave.py --client).
bench-deps: ## Install what the benchmarks need (the test packages and wrk)
	$(MAKE) --no-print-directory system-deps WITH_TEST_DEPS=1
	@command -v wrk >/dev/null || { echo "Installing: wrk"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

bench: bench-deps translations $(VENV)/.dev-deps ## Run the benchmarks in bench/ and print their figures
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

bench-cluster: bench-deps translations $(VENV)/.dev-deps ## Autosave, the start storm and a node killed, on the local cluster (bench/cluster.py)
	$(BIN)/python bench/cluster.py

vendor: $(VENV)/.dev-deps ## Re-vendor Bootstrap and the Tinos font from the npm registry
	$(BIN)/python scripts/vendor_assets.py

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
