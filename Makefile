# Two front-door targets: `make demo` and `make test`. Both create .venv on first use and
# install it from requirements.lock (every package pinned, with hashes), never from ranges.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
STAMP := $(VENV)/.installed
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-find-links --no-emit-index-url $(LOCK_FLAGS)

.PHONY: demo test typecheck bench lock lock-upgrade wheel-check hooks-check clean catalogs

# The lock, not pyproject's ranges, decides what is installed; the project itself goes in
# editable with no dependency resolution and no build isolation (setuptools is locked too).
# A .venv that is a symlink belongs to the checkout it links to (git worktrees sharing one):
# installing here would point that checkout's editable install at this one, so it is used
# as it is (pytest puts this checkout first on sys.path either way).
$(STAMP): $(LOCK) pyproject.toml
	if test -L $(VENV); then echo "$(VENV) is linked from another checkout: not reinstalling"; \
	else test -x $(BIN)/python || $(PY) -m venv $(VENV); \
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK) && \
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . && touch $(STAMP); fi

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
	$(BIN)/pyright --project pyproject.toml  # this checkout's config, whatever lies above it

# A bench exits 1 when it misses its target; the leading `-` lets the rest still run
# (make prints "Error 1 (ignored)" beside the one that missed).
bench: $(STAMP)
	-$(BIN)/python -m bench
	-$(BIN)/python -m bench.engine_bench --events 200000
	-$(BIN)/python -m bench.simulate_bench --agents 100 --events 400000
	-$(BIN)/python -m bench.compile_bench
	-$(BIN)/python -m bench.compile_bench --growth
	-$(BIN)/python -m bench.lint_bench
	-$(BIN)/python -m bench.startup

# Re-resolve both locks from pyproject.toml, keeping every pin that still satisfies it
# (`make lock-upgrade` moves every pin to the newest release).
lock: $(STAMP)
	$(PIP_COMPILE) --extra dev --extra bench -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) -o $(RUNTIME_LOCK) pyproject.toml

lock-upgrade:
	$(MAKE) --no-print-directory lock LOCK_FLAGS=--upgrade

# CI's release checks (.ci/run): the built wheel in a fresh venv, and the pre-commit hooks.
wheel-check: $(STAMP)
	bash .ci/wheel-check

hooks-check: $(STAMP)
	bash .ci/hooks-check

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache

# Message catalogs (runtime/catalog.py): extract every marked message, merge it into each
# language's .po (translate the new entries there), compile the .mo files the runtime reads
# with the standard library's gettext. Both .po and .mo are committed. Babel is a dev tool.
catalogs: $(STAMP)
	$(BIN)/python tools/catalogs.py
