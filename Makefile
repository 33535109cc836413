# Each target creates or reuses .venv and installs what it needs, so any one of them works first on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hljnews needs Python 3.11 or newer (set PYTHON=python3.x)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: venv  ## the scheduler in the foreground with the default schedule (Ctrl-C stops it)
	$(BIN)/hljnews run

demo: venv  ## crawl the bundled offline mirror into data/hljnews.sqlite3 and summarise
	$(BIN)/hljnews demo

test: venv  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .

bench: venv  ## every benchmark in benchmarks/
	$(BIN)/python benchmarks/parse_speed.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/watch.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
