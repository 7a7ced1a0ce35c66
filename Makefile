# Two commands a newcomer needs: `make demo` and `make test`. Both create the
# virtual environment first (once; again whenever pyproject.toml or the lock file changes),
# with the exact versions of requirements-dev.lock (docs/dependencies.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements-dev.lock
# What `make lint` checks.
LINT_PATHS := arrears workflows activities
# The tool `make lock` resolves with (installed into $(VENV) on first use).
UV_VERSION := 0.13.9

.PHONY: setup browser demo test lint lock bench clean

setup: $(STAMP) browser

# Pages are tested in a real browser: Debian's chromium, driven headless by the
# tests (Playwright's Python package, pointed at /usr/bin/chromium; it never
# downloads a browser of its own).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }

# The locked versions first (hash-checked), then the project itself without resolving anything
# again; `pip check` fails when pyproject.toml asks for something the lock lacks (run `make lock`).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

demo: setup
	$(BIN)/arrears demo $(ARGS)

test: setup
	$(BIN)/pytest $(ARGS)

# Lint, format check and type check, with the settings in pyproject.toml ([tool.ruff], [tool.mypy]).
# All three run even when one fails; `make lint` fails if any did.
lint: $(STAMP)
	@status=0; \
	echo "$(BIN)/ruff check $(LINT_PATHS)"; $(BIN)/ruff check $(LINT_PATHS) || status=1; \
	echo "$(BIN)/ruff format --check $(LINT_PATHS)"; $(BIN)/ruff format --check $(LINT_PATHS) || status=1; \
	echo "$(BIN)/mypy $(LINT_PATHS)"; $(BIN)/mypy $(LINT_PATHS) || status=1; \
	exit $$status

# Regenerate the lock from pyproject.toml (project dependencies and the dev extra), for Python 3.11
# on every platform, with hashes. Pins already in the lock are kept while pyproject.toml allows them;
# LOCK_ARGS=--upgrade moves everything to the newest allowed, LOCK_ARGS="--upgrade-package NAME" one.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m uv --version 2>/dev/null | grep -q ' $(UV_VERSION)' || \
	  $(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/python -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command "make lock" --quiet -o $(LOCK) $(LOCK_ARGS)

# `make bench` runs the lean-episode benchmarks side by side with plain Temporal, each printing both
# figures and the ratio; BENCH picks some (events updates starts lives memory scale), ARGS goes to each.
BENCH ?= events updates starts lives memory
bench: setup
	@for b in $(BENCH); do \
	  case $$b in \
	    events)  script=episode_events.py ;; \
	    updates) script=update_latency.py ;; \
	    starts)  script=start_rate.py ;; \
	    lives)   script=compressed_lives.py ;; \
	    memory)  script=worker_memory.py ;; \
	    scale)   script=scale.py ;; \
	    *) echo "unknown benchmark $$b (events updates starts lives memory scale)"; exit 2 ;; \
	  esac; \
	  echo "== $$b: benchmarks/$$script $(ARGS)"; \
	  $(BIN)/python benchmarks/$$script $(ARGS) || exit $$?; \
	done

clean:
	rm -rf $(VENV) .demo .arrears .pytest_cache
