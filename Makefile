# Two commands on a fresh machine: `make run` (chat UI) and `make test` (the test suite CI runs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# llama.cpp is built from source (sdist only) for this CPU; skipping the LLaVA tools halves the build. Its AMX
# kernels are left out: where the CPU has AMX but the kernel or sandbox does not hand out its tile state, the first
# matrix product crashes the process (seen on this project's machines; docs/install.md).
AMX_OFF := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DCMAKE_C_FLAGS='$(AMX_OFF)' -DCMAKE_CXX_FLAGS='$(AMX_OFF)'

# Every package at the version and file hash of requirements.lock (docs/install.md); `make lock` refreshes it.
LOCK := requirements.lock
PIP := pip==26.3
LOCK_TOOLS := build/lock-tools
# `make lock LOCK_ARGS=--upgrade` moves every package to its newest allowed release; plain `make lock` only follows pyproject.toml.
LOCK_ARGS ?=

.PHONY: setup lock run test test-fast test-slow browser eval-retrieval bench bench-quick clean

# The lock pins torch to the CPU build on disk (2.13.0+cpu): no CUDA wheel can come in.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(PIP)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Regenerates requirements.lock from pyproject.toml (dependencies and the extras models and dev), with hashes.
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet $(PIP) pip-tools==7.6.2
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	  --strip-extras --extra models --extra dev --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) \
	  -o $(LOCK) pyproject.toml

run: setup
	$(VENV)/bin/rag serve

# Debian's Chromium drives the browser test (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The retrieval-only evaluation of the dev set gates hit@5 (floor in .ci/eval_floor.txt), then the tests.
test: setup browser
	$(VENV)/bin/rag eval --retrieval-only --preset hybrid --min-hit5 $$(cat .ci/eval_floor.txt) --out $(VENV)/eval-ci -q
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

test-slow: setup browser
	$(PY) -m pytest -q -m slow

eval-retrieval: setup
	$(VENV)/bin/rag eval --retrieval-only --preset hybrid --min-hit5 $$(cat .ci/eval_floor.txt)

# Benchmarks (README "Performance"): tables on stdout, JSON in bench/results/. Run on an idle machine.
bench: setup
	$(PY) -m bench.run_all

bench-quick: setup
	$(PY) -m bench.run_all --quick

clean:
	rm -rf $(VENV) build *.egg-info
