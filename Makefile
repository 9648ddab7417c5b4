# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run    create .venv, install ftui, open it on the sample data (sandbox when nothing is configured)
#   make test   install the test tools, run the whole suite (ruff + mypy + pytest)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FILE ?= sample_data/mistakes.jsonl

.PHONY: run test test-fast lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "ftui needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# An editable install leaves ftui uncompiled; compile it once, so starts load bytecode even where
# Python is told not to write it (PYTHONDONTWRITEBYTECODE): ~0.3 s of every start otherwise.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q ftui
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

# The local trainer's extra (ftui.local, tests/local): torch pinned first, so pip takes the CPU
# build on this machine's disk instead of downloading a newer CUDA build on every run.
$(VENV)/.train-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[train]'
	@touch $@

run: $(VENV)/.installed
	$(BIN)/ftui $(FILE)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check ftui tests benchmarks
	$(BIN)/ruff format --check ftui tests benchmarks
	$(BIN)/mypy ftui

# pytest exits 5 when it collected no tests: that must fail, never pass silently.
# Four workers on two cores: most tests wait on a sandbox, a terminal or a worker process.
PYTEST_WORKERS ?= 4
test: lint $(VENV)/.train-installed
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no tests: failing"; exit 1; fi; exit $$rc

# The inner loop: no tmux, no sandbox child process, no training (tests/local).
test-fast: $(VENV)/.test-installed
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not e2e and not sandbox_child" --ignore=tests/local; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no tests: failing"; exit 1; fi; exit $$rc

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/tui.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
