# Each target creates or reuses .venv and installs what it needs, so any one of them works first on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run demo serve test e2e e2e-deps lint bench clean

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

serve: venv  ## the web app on http://127.0.0.1:8000/ over data/hljnews.sqlite3 (Ctrl-C stops it)
	$(BIN)/hljnews serve

test: venv  ## lint, then the whole test suite (the browser tests included: see e2e-deps)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

e2e: venv  ## only the end-to-end browser tests (screenshots in build/e2e/)
	$(BIN)/python -m pytest -q tests/e2e

# Debian's chromium and its driver for the browser tests, and CJK fonts for their screenshots; installed only
# when missing (apt-get needs root: CI runs as root).
e2e-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q .; then \
	  echo "chromium, chromedriver and CJK fonts are installed"; \
	else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; \
	fi

lint: venv
	$(BIN)/ruff check .

bench: venv  ## the benchmarks that need no service and no large archive (the others: README)
	$(BIN)/python benchmarks/parse_speed.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/watch.py
	$(BIN)/python benchmarks/web.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
