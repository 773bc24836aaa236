# The two commands: `make demo` runs the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: demo test venv lint messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v0

demo: venv messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py sync_schedules
	$(PY) manage.py run_demo --port $(PORT)

# The suite runs on every core (pytest-xdist; a module's tests stay on one worker, so module
# fixtures such as the real-process stacks are built once). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: venv messages
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
