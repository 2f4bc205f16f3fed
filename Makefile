# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist processes for `make test`: one per core by default.
TEST_WORKERS ?= auto
# Extra pytest arguments for `make test`, such as a test file or `-k name`.
TESTS ?=

.PHONY: run test install migrate messages bench clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_regions

# Serve the app with demo data on SQLite (or DATABASE_URL) plus one task worker.
run: migrate
	$(BIN)/python manage.py compilemessages --ignore=.venv >/dev/null
	$(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver_with_worker $(HOST):$(PORT)

# Run the whole test suite: SQLite unless DATABASE_URL is set.
test: install
	$(BIN)/python manage.py compilemessages --ignore=.venv >/dev/null
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(TESTS)

# Refresh locale/id after changing user-facing strings; translate, then run `make test`.
messages: install
	$(BIN)/python manage.py makemessages -l id --no-location --no-obsolete

bench: install
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
