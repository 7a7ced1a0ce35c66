# Two commands a newcomer needs: `make demo` and `make test`. Both create the
# virtual environment first (once; again whenever pyproject.toml changes).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup browser demo test bench clean

setup: $(STAMP) browser

# Pages are tested in a real browser: Debian's chromium, driven headless by the
# tests (Playwright's Python package, pointed at /usr/bin/chromium; it never
# downloads a browser of its own).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/arrears demo $(ARGS)

test: setup
	$(BIN)/pytest $(ARGS)

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
