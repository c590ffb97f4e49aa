# Two front-door targets: `make demo` and `make test`. Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test typecheck bench clean catalogs

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/policyc check policies/
	$(BIN)/policyc compile policies/shopee.yaml -o build/shopee.artifact.json
	$(BIN)/policyc explain policies/shopee.yaml --state policies/examples/shopee-state.json --event policies/examples/shopee-event.json

test: $(STAMP)
	$(BIN)/ruff check dsl compiler runtime policyc tests bench
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench
	$(BIN)/python -m bench.engine_bench --events 200000

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache

# Message catalogs (runtime/catalog.py): extract every marked message, merge it into each
# language's .po (translate the new entries there), compile the .mo files the runtime reads
# with the standard library's gettext. Both .po and .mo are committed. Babel is a dev tool.
catalogs: $(STAMP)
	$(BIN)/python tools/catalogs.py
