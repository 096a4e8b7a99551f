# The README's two commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif

DEMO_TICKET := fixtures/tickets/demo-keyspec2

.PHONY: demo test lint typecheck bench bench-full browser-deps bless docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/certtriage analyze $(DEMO_TICKET) --out out/demo; status=$$?; \
	  echo "exit code $$status (1: a fault was found). Open out/demo/certtriage-report.html in a browser."; \
	  [ $$status -le 4 ]

browser-deps:
	@if [ "$$(uname -s 2>/dev/null)" = "Linux" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Debian chromium + chromium-driver for the report tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	    || echo "chromium could not be installed: browser tests will skip"; \
	fi

test: $(VENV)/.installed-test browser-deps
	$(BIN)/ruff check analyzer tests bench fixtures/writers
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# Re-write the golden outputs (fixtures/goldens) after an intended change of output.
bless: $(VENV)/.installed-test
	$(BIN)/python tests/golden_outputs.py --bless

# Re-write the documents generated from the code: the rule table of docs/analyze.md and
# docs/readers.md (reader kinds, record keys) and docs/diagnostics.md (message codes); tests fail
# when they differ.
docs: $(VENV)/.installed-test
	$(BIN)/python -m analyzer.rulekit.doctable docs/analyze.md
	$(BIN)/python tests/readers_doc.py --write
	$(BIN)/python tests/diagnostics_doc.py --write

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# Benchmarks print figures; they are never part of `make test`.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_certutil.py --runs 3
	$(BIN)/python bench/bench_evtx.py --repeat 3 --xml-chunks 25
	$(BIN)/python bench/bench_exports.py --repeat 1
	$(BIN)/python bench/bench_evidence.py --runs 1
	$(BIN)/python bench/bench_report.py --runs 1
	$(BIN)/python bench/bench_analyze.py --runs 3
	$(BIN)/python bench/bench_triage.py --tickets 200 --workers 1,2 --runs 1
	$(BIN)/python bench/bench_full.py --quick --runs 3 --only startup,logs,certutil

# Every figure of issue 18 at full size, as ratios against v0.1 (BASELINE: a worktree of the tag
# with its own .venv: git worktree add ../v01 v0.1 && make -C ../v01 .venv/.installed-test)
# and against the bare `evtx` pass. Takes about half an hour; needs ../shared/real-samples.
BASELINE ?= ../v01
bench-full: $(VENV)/.installed-test
	$(BIN)/python bench/bench_full.py --baseline $(BASELINE) --runs 5

clean:
	rm -rf $(VENV) out test-output .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
