# Two commands on a fresh machine: `make run` (chat UI) and `make test` (the test suite CI runs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# llama.cpp is built from source (sdist only); skipping the LLaVA tools halves the build.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: setup run test test-fast test-slow browser eval-retrieval bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build; anything else would pull GBs of CUDA wheels
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[models,dev]"
	touch $(STAMP)

setup: $(STAMP)

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
