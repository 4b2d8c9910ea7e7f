# Quick start: `make map` builds the sample map, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= outputs

.PHONY: map test bench chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(VENV)/.installed $@

map: $(VENV)/.installed
	$(BIN)/mapper run --out $(OUT) --self-contained

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

# Browser tests need Debian's Chromium; install it when missing and we may (root, as in CI).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: /usr/bin/chromium is missing and we are not root: browser tests will be skipped"; \
	  fi; \
	fi

test: $(VENV)/.test-installed chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
