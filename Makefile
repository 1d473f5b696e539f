# Two commands on a fresh machine with Python 3.11+ and make:  make run  /  make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
CLUSTER_STAMP := $(VENV)/.cluster-installed

# Airflow runs from a project-local home with SQLite metadata; nothing outside the repo is touched.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__EXECUTOR := LocalExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN := sqlite:///$(CURDIR)/.airflow/airflow.db
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export GX_ANALYTICS_ENABLED := False
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: env run test lint fix bench samples report airflow-db airflow s3server-env s3-up s3-down cluster-env cluster-up cluster-down cluster-status clean help

help:
	@echo "make run    create the environment if needed and run the whole pipeline through Airflow"
	@echo "make test   create the environment if needed, lint (ruff, sqlfluff) and run the tests"
	@echo "make lint   ruff check, ruff format --check, sqlfluff lint; make fix applies their fixes"
	@echo "make bench  time the engine (writes bench/results.json)"
	@echo "make samples regenerate the sample landing files (seeded, byte for byte)"
	@echo "make report build the offline monitoring site of the current release into site/"
	@echo "make airflow start api-server (port AIRFLOW_PORT, default 8181), scheduler and dag-processor; Ctrl-C stops all"
	@echo "make cluster-up / cluster-down / cluster-status  the CeleryExecutor cluster in the background (docs/deployment.md)"
	@echo "make s3-up / s3-down  a local S3 server (moto) standing in for the object store, to try the cluster on it"

env: $(STAMP)

# moto stands in for the data centre's object store in the tests (tests/storage). It runs from a venv of its own:
# botocore needs python-dateutil<3 and the main lock has 4. Its exact versions: requirements-s3server.lock
# (uv pip compile requirements-s3server.in --universal --python-version 3.11 -o requirements-s3server.lock).
S3SERVER_VENV := .venv-s3server
S3SERVER_STAMP := $(S3SERVER_VENV)/.installed

s3server-env: $(S3SERVER_STAMP)

$(S3SERVER_STAMP): requirements-s3server.lock $(STAMP)
	test -x $(S3SERVER_VENV)/bin/python || $(PYTHON) -m venv $(S3SERVER_VENV)
	$(BIN)/uv pip sync -q --python $(S3SERVER_VENV)/bin/python requirements-s3server.lock
	touch $(S3SERVER_STAMP)

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

# The main lock plus the Celery provider, celery and redis (requirements-cluster.lock, the same pins otherwise).
# `make env` syncs the main lock again and so removes them; this stamp is then older and re-syncs.
cluster-env: $(CLUSTER_STAMP)

$(CLUSTER_STAMP): $(STAMP) requirements-cluster.lock
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements-cluster.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(CLUSTER_STAMP)

# A production-like cluster (index/local/cluster.py, docs/deployment.md): PostgreSQL metadata, Redis broker,
# CeleryExecutor with two workers, all as daemons under $(CLUSTER_HOME)/cluster/. Its own home, not .airflow/.
CLUSTER_HOME ?= $(CURDIR)/.airflow-cluster
cluster-up: $(CLUSTER_STAMP)
	AIRFLOW_HOME=$(CLUSTER_HOME) $(BIN)/python -m index.local.cluster up

cluster-down:
	AIRFLOW_HOME=$(CLUSTER_HOME) $(BIN)/python -m index.local.cluster down

# moto's S3 server standing in for the data centre's object store, to try the cluster on an object lake
s3-up: $(S3SERVER_STAMP)
	$(BIN)/python -m index.local.s3server up

s3-down:
	$(BIN)/python -m index.local.s3server down

cluster-status:
	AIRFLOW_HOME=$(CLUSTER_HOME) $(BIN)/python -m index.local.cluster status || true  # exit 1/3: none/some stopped

run: airflow-db
	$(BIN)/python -m index.local.run

# The dashboard test opens the site in Debian's chromium; install-browser is a no-op once it is there.
test: lint $(CLUSTER_STAMP) $(S3SERVER_STAMP)
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
