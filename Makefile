# Entry points: `make demo` runs the demo, `make test` runs every test; both set the machine up first.
SHELL := /bin/bash
VENV := .venv
PY := $(abspath $(VENV)/bin/python)
BUILD := build/dev
JOBS ?= $(shell nproc)

.PHONY: bootstrap build test test-cpp test-python demo install fuzz bench clean

bootstrap:
	@bash scripts/bootstrap.sh

# One CMake tree builds the C++ library, the GoogleTest suites and the Python
# extension modules; the modules land in python/nativecall for in-tree use.
build: bootstrap
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$(PY) \
	  -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) > $(BUILD).configure.log 2>&1 \
	  || (mkdir -p build; cat $(BUILD).configure.log; exit 1)
	@cmake --build $(BUILD) -j$(JOBS)

test-cpp: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-python: build
	PYTHONPATH=$(abspath python) $(PY) -m pytest tests/python -q

test: test-cpp test-python

demo: build
	PYTHONPATH=$(abspath python) $(PY) -m nativecall.demo $(ARGS)

# `pip install .` into the virtual environment (a wheel build, no in-tree modules).
install: bootstrap
	$(PY) -m pip install --no-build-isolation .

# libFuzzer targets, each for a bounded time (FUZZ_SECONDS per target).
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@NATIVECALL_EXTRA_APT="clang-19 libclang-rt-19-dev" bash scripts/bootstrap.sh
	@cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DNATIVECALL_FUZZ=ON -DNATIVECALL_TESTS=OFF -DNATIVECALL_PYTHON=OFF > build/fuzz.configure.log
	@cmake --build build/fuzz -j$(JOBS)
	@for target in build/fuzz/tests/fuzz/fuzz_*; do \
	  corpus=tests/fuzz/corpus/$$(basename $$target); mkdir -p build/fuzz/corpus/$$(basename $$target); \
	  echo "== $$target for $(FUZZ_SECONDS) s"; \
	  $$target -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus/$$(basename $$target) $$corpus || exit 1; \
	done

bench: build
	PYTHONPATH=$(abspath python) $(PY) bench/run.py $(ARGS)

clean:
	rm -rf build python/nativecall/*.so
