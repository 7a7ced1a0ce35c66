# Two commands a newcomer needs: `make demo` and `make test`. Both create the
# virtual environment first (once; again whenever pyproject.toml changes).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/arrears demo $(ARGS)

test: setup
	$(BIN)/pytest $(ARGS)

bench: setup
	$(BIN)/python benchmarks/start_rate.py $(ARGS)

clean:
	rm -rf $(VENV) .demo .arrears .pytest_cache
