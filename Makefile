# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
AS_OF  ?= 2021-02-12

.PHONY: run test lint features-report clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
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

.PHONY: bench
bench: $(VENV)/.runtime
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
