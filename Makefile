# Parcours — `make run` serves the demo, `make test` runs lint + the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installe
# Local runs use DEBUG (embedded mode); production sets its own environment.
DEV_ENV := DEBUG=$${DEBUG:-true}

.PHONY: install run test lint format bench bench-charge clean

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py charger_demo
	$(DEV_ENV) PLANIFICATEUR_EMBARQUE=true $(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(BIN)/python manage.py check
	$(DEV_ENV) $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(DEV_ENV) $(BIN)/python bench/run.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/pilotage_rapports.py
	$(BIN)/python bench/rejeu.py
	$(BIN)/python bench/masse.py
	$(DEV_ENV) $(BIN)/python bench/seances.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/facturation.py

# Optional, not part of `make bench` nor `make test`: the production shape (gunicorn, PostgreSQL,
# Redis, one Celery worker) under 50 simulated caseworkers, against a bare view on the same
# stack. Needs PostgreSQL and Redis; CHARGE_UTILISATEURS, CHARGE_DUREE… in bench/charge.py.
bench-charge: install
	$(BIN)/python bench/charge.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
