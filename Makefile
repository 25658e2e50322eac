# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
AS_OF  ?= 2021-02-12

.PHONY: run test lint features-report docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# compileall: the editable install leaves the engine uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# every command would compile it again (~50 ms of each `commitments` process)
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q engine
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q engine
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	@$(BIN)/python -m compileall -q engine
	$(BIN)/commitments evaluate --as-of $(AS_OF)

lint: $(VENV)/.test
	$(BIN)/ruff check engine tests bench
	$(BIN)/mypy engine

test: lint
	$(BIN)/pytest

features-report: $(VENV)/.test
	mkdir -p reports
	$(BIN)/pytest -q tests/test_features.py --cucumberjson=reports/cucumber.json; status=$$?; \
	$(BIN)/python tests/features_report.py reports/cucumber.json reports && exit $$status

# The memo of the baseline, as committed in docs/ (tests/test_memo.py checks it is what this makes today).
docs: $(VENV)/.runtime
	mkdir -p docs
	$(BIN)/commitments evaluate facts/2021-02-baseline.yaml --rules rules --as-of $(AS_OF) --format html --no-audit \
		-o docs/baseline-memo.html

# Mutation testing of engine/compiler.py, evidence.py and guardrails.py; not part of `make test` (about
# 20 minutes on two cores). Exit 1 if a mutant that is not known to be equivalent survives.
.PHONY: mutants
mutants: $(VENV)/.test
	$(BIN)/python tests/mutants.py

# PNGs of the web page's main pages for docs/web.md (headless Chromium at /usr/bin/chromium)
.PHONY: screenshots
screenshots: $(VENV)/.test
	$(BIN)/python tests/screenshots.py docs/screenshots

.PHONY: bench
bench: $(VENV)/.runtime
	$(BIN)/python -m compileall -q engine
	$(BIN)/python bench/run.py

# The scale workload with 1,000,000 facts too (some minutes; `make bench` runs 10,000 and 100,000), added to
# bench/results.json and bench/README.md.
.PHONY: bench-scale
bench-scale: $(VENV)/.runtime
	$(BIN)/python -m compileall -q engine
	$(BIN)/python bench/scale.py --sizes 10000 100000 1000000 --merge bench/results.json

clean:
	rm -rf $(VENV) build *.egg-info
