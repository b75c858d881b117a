# tlzoo developer commands. `make help` lists them.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help install test test-slow lint bench bench-peer clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python  ## create .venv and install tlzoo with its dev extra (pinned torch from constraints.txt)
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"

#: test processes (pytest-xdist); `make test JOBS=1` runs in one process
JOBS ?= 2

test:  ## the CI test suite (fast; excludes tests marked slow), in $(JOBS) processes
	$(BIN)/python -m pytest -m "not slow" -q -n $(JOBS) $(PYTEST_ARGS)

test-slow:  ## the long learning checks only
	$(BIN)/python -m pytest -m slow -q $(PYTEST_ARGS)

lint:  ## ruff
	$(BIN)/ruff check tlzoo tests benchmarks

bench:  ## accuracy (3 seeds), throughput, the main job's time and memory, the peer side by side; writes bench_results/
	$(BIN)/python benchmarks/accuracy_digits.py --seeds 0 1 2
	$(BIN)/python benchmarks/throughput_dann.py --steps 300
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/throughput_main_job.py
	$(BIN)/python benchmarks/memory_main_job.py --imports
	$(BIN)/python benchmarks/memory_stages.py
	$(BIN)/python benchmarks/peer_dann.py --steps 300

bench-peer:  ## install pytorch-adapt 0.0.83 for `make bench` (its torchmetrics==0.9.3 pin is skipped: --no-deps)
	$(BIN)/pip install -q -c constraints.txt -e ".[bench]"
	$(BIN)/pip install -q --no-deps pytorch-adapt==0.0.83

clean:  ## remove runs, checkpoints and caches
	rm -rf runs bench_results .pytest_cache .ruff_cache
