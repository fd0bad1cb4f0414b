# Two commands on a fresh machine: `make verify` (the main job) and `make test`. Each installs what it needs
# into .venv first. PROFILE=quick|full, OUT=dir, DEVICE=auto|cpu|cuda, THREADS=n (torch threads of `verify`;
# default $OMP_NUM_THREADS, else 1), JOBS=n (worker processes of `verify`; default the number of cores),
# IPVERIFY_PROFILE=dev|ci|thorough, TEST_WORKERS=n (processes of `make test`; default 2).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= quick
OUT ?= verify-out
DEVICE ?= auto
IPVERIFY_PROFILE ?= ci

.PHONY: install test test-deepinv verify bench gpu-check lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The tests run in TEST_WORKERS processes (pytest-xdist), each with one torch thread: the problems are small, and on
# a 2-core machine more threads per process only contend.
TEST_WORKERS ?= 2
test: install
	OMP_NUM_THREADS=1 IPVERIFY_PROFILE=$(IPVERIFY_PROFILE) $(PY) -m pytest -q -n $(TEST_WORKERS)

verify: install
	$(PY) -m ipverify verify --profile $(PROFILE) --device $(DEVICE) --out $(OUT)$(if $(THREADS), --threads $(THREADS))$(if $(JOBS), --jobs $(JOBS))

bench: install
	$(PY) -m benchmarks.bench --device $(DEVICE)

gpu-check: install  # everything that needs a GPU, against the CPU (~8 min on an H200; BENCHMARKS.md "GPU")
	$(PY) -m benchmarks.gpu_check --device cuda --out gpu-check-out

# deepinv imports torchvision, and the torchvision wheels that install here are CUDA builds for torch 2.14.1 (they
# fail beside the CPU torch of .venv): a separate environment runs the deepinv adapter's tests and its example.
DEEPINV_VENV ?= .venv-deepinv
DEEPINV_PY := $(DEEPINV_VENV)/bin/python

$(DEEPINV_VENV)/.installed: pyproject.toml constraints-deepinv.txt
	$(PYTHON) -m venv $(DEEPINV_VENV)
	echo '*' > $(DEEPINV_VENV)/.gitignore  # git, and whatever copies the untracked tree, skip the 6 GB environment
	$(DEEPINV_PY) -m pip install -q -c constraints-deepinv.txt -e ".[deepinv]" pytest
	touch $@

test-deepinv: $(DEEPINV_VENV)/.installed
	IPVERIFY_PROFILE=$(IPVERIFY_PROFILE) $(DEEPINV_PY) -m pytest -q tests/test_deepinv.py
	$(DEEPINV_PY) examples/deepinv_dip.py

lint: install
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) $(DEEPINV_VENV) .pytest_cache .hypothesis $(OUT)
