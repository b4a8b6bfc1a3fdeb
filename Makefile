# Entry points: `make demo` runs the demo, `make test` runs every test; both set the machine up first.
SHELL := /bin/bash
VENV := .venv
PY := $(abspath $(VENV)/bin/python)
BUILD := build/wheel
JOBS ?= $(shell nproc)

.PHONY: bootstrap build test test-cpp test-python demo install fuzz difftest bench clean

bootstrap:
	@bash scripts/bootstrap.sh

# `pip install .` into .venv builds the extension modules and, in the same
# CMake tree (build/wheel, reused between runs), the GoogleTest suites. Tests
# and the demo then run against the installed package, so every run proves the
# install works.
build: bootstrap
	@echo "building and installing nativecall into $(VENV) (build tree: $(BUILD))"
	@# The type stubs are generated at install time by importing the new modules; an
	@# installed older nativecall would be found first and give stale stubs.
	@$(PY) -m pip uninstall -y -q nativecall 2>/dev/null || true
	@CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(PY) -m pip install --no-build-isolation --no-deps -q . \
	  -Cbuild-dir=$(BUILD) -Ccmake.define.NATIVECALL_TESTS=ON

test-cpp: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-python: build
	cd tests/python && $(PY) -m pytest -q -p no:cacheprovider

test: test-cpp test-python

demo: build
	$(PY) -m nativecall.demo $(ARGS)

install: build

# libFuzzer targets, each for a bounded time (FUZZ_SECONDS per target).
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@mkdir -p build
	@NATIVECALL_EXTRA_APT="clang-19 libclang-rt-19-dev" bash scripts/bootstrap.sh
	@cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DNATIVECALL_FUZZ=ON -DNATIVECALL_TESTS=OFF -DNATIVECALL_PYTHON=OFF -DNATIVECALL_JIT=ON > build/fuzz.configure.log
	@cmake --build build/fuzz -j$(JOBS)
	@for target in build/fuzz/tests/fuzz/fuzz_*; do \
	  corpus=tests/fuzz/corpus/$$(basename $$target); mkdir -p build/fuzz/corpus/$$(basename $$target); \
	  echo "== $$target for $(FUZZ_SECONDS) s"; \
	  $$target -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus/$$(basename $$target) $$corpus || exit 1; \
	done

# Random integrals through nativecall's quad and scipy's, compared bit for bit, for a
# bounded time (DIFF_SECONDS; DIFF_SEED repeats a run).
DIFF_SECONDS ?= 60
difftest: build
	$(PY) tests/differential/quad_vs_scipy.py --seconds $(DIFF_SECONDS) $(if $(DIFF_SEED),--seed $(DIFF_SEED))

bench: build
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf build python/nativecall/*.so
