# hhir: `make demo` and `make test` work on a fresh machine (they create .venv first).
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-slow test-all bench docs clean

$(VENV)/.hhir-installed: tools/install.sh pyproject.toml
	bash tools/install.sh
	touch $@

install: $(VENV)/.hhir-installed

demo: install
	$(PY) tools/demo.py

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

test-all: install
	$(PY) -m pytest -q -m "slow or not slow"

bench: install
	$(PY) benchmarks/run_all.py

docs: install
	$(PY) tools/make_zoo_doc.py

clean:
	rm -rf work_dirs .pytest_cache
