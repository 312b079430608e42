# The two set-up commands (see README): `make run` and `make test`. Both
# install missing Debian packages, configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)
REPORT ?= ivsim-report.json
IVSIM := $(BUILD)/sim/ivsim

.PHONY: all deps configure build run test bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@mkdir -p $(BUILD) && cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD)/configure.log 2>&1 \
		|| (cat $(BUILD)/configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Builds only what it runs: the ivsim binary, not the tests and benchmarks.
run: configure
	@cmake --build $(BUILD) -j$(JOBS) --target ivsim
	@$(IVSIM) run --report $(REPORT)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

bench: build
	@$(BUILD)/bench/ivsim_perf
	@$(BUILD)/bench/ivsim_bench
	@$(BUILD)/bench/ivsim_run_bench
	@$(BUILD)/bench/ivsim_sweep_bench

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	@rm -rf $(BUILD)
