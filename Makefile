# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates or reuses .venv and installs what it needs first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv clean package checkov lock bandit audit

# Every dependency is pinned with its hashes in requirements/ (`make lock` rewrites the locks).
$(STAMP): pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --require-hashes --requirement requirements/dev.txt
	$(BIN)/python -m pip install --quiet --quiet --no-deps --editable .
	touch $(STAMP)

venv: $(STAMP)

LOCK := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes

lock: $(STAMP)
	$(LOCK) --extra dev --universal --python-version 3.11 --output-file requirements/dev.txt
	$(LOCK) --python-version 3.12 --python-platform x86_64-manylinux_2_28 --output-file requirements/lambda-x86_64.txt
	$(LOCK) --python-version 3.12 --python-platform aarch64-manylinux_2_28 --output-file requirements/lambda-arm64.txt
	$(BIN)/uv pip compile requirements/mypyc.in --quiet --generate-hashes --universal --python-version 3.12 --output-file requirements/mypyc.txt

# Security lint of the code that ships and runs: no medium or high finding.
bandit: $(STAMP)
	$(BIN)/bandit --quiet --recursive --severity-level medium lambda_functions chargeback_cli infra

# Known vulnerabilities in the pinned dependencies. Needs PyPI's JSON API or OSV, which the
# registry mirror of some build machines does not serve: run it where they are reachable.
audit: $(STAMP)
	$(BIN)/pip-audit --require-hashes --disable-pip --requirement requirements/dev.txt

# Lambda packages Terraform deploys (infra/package.py); ARCH=arm64 for Graviton (`make -B package ARCH=arm64`).
ARCH ?= x86_64
LAMBDA_SOURCES := $(shell find lambda_functions -name '*.py' -not -path '*/__pycache__/*')

# The hot modules are compiled by mypyc (infra/compile_hot_modules.py) for the runtime's Python 3.12 when this machine
# has one and is of the package's architecture; otherwise functions.zip holds the same modules as Python.
# The first Python 3.12 that really runs (a pyenv shim may exist and refuse).
ifndef PYTHON312
PYTHON312 := $(shell for p in $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && echo "$$p" && break; done)
endif
# With a Python 3.12 (of any architecture: bytecode is the same on both) the zips carry every module's bytecode,
# which the runtime cannot write in its read-only /var/task and /opt.
BYTECODE_ARGS := $(if $(PYTHON312),--bytecode-with $(PYTHON312))
MYPYC_VENV   := .venv-mypyc
MYPYC_STAMP  := $(MYPYC_VENV)/.installed
HOST_ARCH    := $(subst aarch64,arm64,$(shell uname -m))
ifeq ($(if $(PYTHON312),$(ARCH),none),$(HOST_ARCH))
COMPILE_DEPS := $(MYPYC_STAMP)
COMPILE_ARGS := --compile-with $(MYPYC_VENV)/bin/python
endif

$(MYPYC_STAMP): requirements/mypyc.txt
	test -x $(MYPYC_VENV)/bin/python || $(PYTHON312) -m venv $(MYPYC_VENV)
	$(MYPYC_VENV)/bin/python -m pip install --quiet --quiet --require-hashes --requirement requirements/mypyc.txt
	touch $(MYPYC_STAMP)

dist/functions.zip: $(STAMP) $(COMPILE_DEPS) infra/package.py infra/compile_hot_modules.py $(LAMBDA_SOURCES)
	$(if $(COMPILE_ARGS),,@echo "functions.zip without compiled modules: no Python 3.12 of architecture $(ARCH) here")
	$(if $(BYTECODE_ARGS),,@echo "functions.zip and layer.zip without bytecode: no Python 3.12 here")
	$(BIN)/python infra/package.py --only functions $(COMPILE_ARGS) $(BYTECODE_ARGS)

dist/layer.zip: $(STAMP) infra/package.py requirements/lambda-$(ARCH).txt
	$(BIN)/python infra/package.py --only layer --architecture $(ARCH) $(BYTECODE_ARGS)

package: dist/functions.zip dist/layer.zip

# checkov in its own virtual environment: it installs an `hcl2` module that replaces python-hcl2.
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed
CHECKOV_VERSION := 3.3.30

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(CHECKOV_STAMP)

checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --directory . --config-file .checkov.yaml

demo: $(STAMP)
	$(BIN)/chargeback run examples/sample_chargeback_data.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy lambda_functions chargeback_cli tests

unit: $(STAMP)
	$(BIN)/python -m pytest

test: $(CHECKOV_STAMP) package lint typecheck bandit unit

clean:
	rm -rf $(VENV) dist runs .pytest_cache .mypy_cache .ruff_cache
