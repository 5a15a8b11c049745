# Wirework developer commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
HOST ?= 127.0.0.1
PORT ?= 8000
FUZZ_EXAMPLES ?= 1000

.PHONY: install run test fuzz lint audit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/python -m app serve --host $(HOST) --port $(PORT)

# One pytest worker per core; TEST_WORKERS=0 runs the suite in this one process.
# --dist worksteal: each worker takes a contiguous share and steals from the end of another's
# when done. Not loadgroup/loadfile/loadscope: they key tests by node id, and schemathesis
# gives every operation of the API fuzz test the same one (all but one would vanish).
TEST_WORKERS ?= auto

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The property-based API tests of `make test`, with FUZZ_EXAMPLES examples per operation.
fuzz: install
	WIREWORK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/reliability/test_api_fuzz.py $(PYTEST_ARGS)

# Known vulnerabilities in the installed dependencies, from PyPI's advisory data. --strict:
# a package pip-audit could not look up never passes unchecked. Exit 3 means "not done":
# the advisory data was out of reach, so nothing was checked.
AUDIT_RUN = echo "pip-audit: checking the installed dependencies against PyPI's vulnerability data"; \
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off >$(VENV)/pip-audit.log 2>&1; \
	status=$$?; cat $(VENV)/pip-audit.log; \
	if [ $$status -ne 0 ] && ! grep -q "known vulnerabilit" $(VENV)/pip-audit.log; then \
		echo "audit: NOT DONE. pip-audit could not look the packages up, so nothing was checked" \
		     "(PyPI's JSON API, /pypi/<name>/<version>/json, is not reachable from here)." >&2; \
		status=3; \
	fi

# lint fails on a known vulnerability; an audit that could not run is reported, loudly, and
# left to `make audit` on a machine that reaches the advisory data. AUDIT=skip leaves it out.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@if [ "$(AUDIT)" = skip ]; then echo "lint: dependency audit SKIPPED (AUDIT=skip)"; exit 0; fi; \
	$(AUDIT_RUN); \
	if [ $$status -eq 3 ]; then echo "lint: passed WITHOUT the dependency audit (not done, see above)"; exit 0; fi; \
	exit $$status

audit: install
	@$(AUDIT_RUN); exit $$status

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

# QUICK=1: fewer, shorter rounds for a first look. BENCH_ARGS: more options for python -m bench
# (e.g. BENCH_ARGS=--write-readme puts the table into bench/README.md).
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
