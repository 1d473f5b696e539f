# Two commands on a fresh machine with Python 3.11+ and make:  make run  /  make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

# Airflow runs from a project-local home with SQLite metadata; nothing outside the repo is touched.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__EXECUTOR := LocalExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN := sqlite:///$(CURDIR)/.airflow/airflow.db
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export GX_ANALYTICS_ENABLED := False
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: env run test lint fix bench samples report airflow-db airflow clean help

help:
	@echo "make run    create the environment if needed and run the whole pipeline through Airflow"
	@echo "make test   create the environment if needed, lint (ruff, sqlfluff) and run the tests"
	@echo "make lint   ruff check, ruff format --check, sqlfluff lint; make fix applies their fixes"
	@echo "make bench  time the engine (writes bench/results.json)"
	@echo "make samples regenerate the sample landing files (seeded, byte for byte)"
	@echo "make report build the offline monitoring site of the current release into site/"
	@echo "make airflow start api-server (port AIRFLOW_PORT, default 8181), scheduler and dag-processor; Ctrl-C stops all"

env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	# Bytecode compiled once, here: runs set PYTHONDONTWRITEBYTECODE, so without it every start recompiles
	# pandas, DuckDB's and Airflow's modules (the ASEM build as a process: 2.4 s without, 1.1 s with).
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

airflow-db: $(STAMP)
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -40 $(AIRFLOW_HOME)/migrate.log; exit 1)

# A real Airflow: the three components with shared settings and secrets (index/local/airflow.py; README).
airflow: $(STAMP)
	$(BIN)/python -m index.local.airflow start

run: airflow-db
	$(BIN)/python -m index.local.run

# The dashboard test opens the site in Debian's chromium; install-browser is a no-op once it is there.
test: lint
	bash .ci/install-browser
	$(BIN)/python -m pytest -q

# ruff (lint and format check) for Python, sqlfluff (DuckDB; sql/postgres: PostgreSQL) for SQL; `make fix` applies
lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/sqlfluff lint --processes 1 --disable-progress-bar sql

fix: $(STAMP)
	$(BIN)/ruff check --no-cache --fix .
	$(BIN)/ruff format --no-cache .
	$(BIN)/sqlfluff fix --processes 1 --disable-progress-bar sql

bench: $(STAMP)
	$(BIN)/dei bench
	$(BIN)/dei bench uncertainty

samples: $(STAMP)
	$(BIN)/dei samples

report: $(STAMP)
	$(BIN)/dei report --out site

clean:
	rm -rf $(VENV) .airflow data_lake/raw data_lake/curated data_lake/quarantine data_lake/published data_lake/scenarios
