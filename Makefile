# The two set-up commands (see README): `make run` and `make test`. Both
# install missing Debian packages, configure and build first. `make test` is
# what CI runs (.ci/run): the suite (test-plain), the sanitizer suite
# (test-asan) and each fuzz target briefly (fuzz-smoke); docs/hardening.md.
MAKEFLAGS += --no-print-directory
BUILD ?= build
JOBS ?= $(shell nproc)
REPORT ?= ivsim-report.json
IVSIM := $(BUILD)/sim/ivsim

.PHONY: all deps configure build run test test-plain bench format clean test-asan fuzz fuzz-build fuzz-smoke asan-configure soak

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

test: test-plain test-asan fuzz-smoke

# The suite alone (unit, model, scenario and install tests) in $(BUILD).
test-plain: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

bench: build
	@$(BUILD)/bench/ivsim_perf
	@$(BUILD)/bench/ivsim_bench
	@$(BUILD)/bench/ivsim_run_bench
	@$(BUILD)/bench/ivsim_sweep_bench

# Hardening (docs/hardening.md). One clang build in $(ASAN_BUILD) carries
# AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage:
# `make test-asan` runs the test suite and every shipped scenario in it,
# `make fuzz` runs each fuzz target for FUZZ_SECONDS.
ASAN_BUILD ?= build-asan
FUZZ_SECONDS ?= 60
# Long tests the sanitizer run leaves out to stay within CI's budget
# (ASAN_SKIP= runs them all): five of the six profiles' whole calibrations,
# about two minutes each under the sanitizers; coffee-lake-client's stays.
# And the documented commands (seven minutes in one process under the
# sanitizers): they run in test-plain, and the commands they use (run,
# sweep, merge, plot, compare, show, validate) have their own tests here.
# And the golden reports: run-shipped-scenarios.sh runs the same scenarios
# under the sanitizers below. Likewise the reports with and without running
# ahead (ten runs): the shipped scenarios below run ahead.
ASAN_SKIP ?= calibration passes every row for (tiger-lake|cascade-lake|ice-lake|alder-lake|atom)|every ivsim command shown in the README and docs|committed golden report|as synchronising at every point does
# fuzz-smoke (in `make test`): each target this long, from a fixed seed.
FUZZ_SMOKE_SECONDS ?= 15
export UBSAN_OPTIONS ?= print_stacktrace=1

asan-configure: deps
	@mkdir -p $(ASAN_BUILD) && cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 \
		-DIVSIM_SANITIZE=ON -DIVSIM_FUZZ=ON -DIVSIM_BENCH=OFF > $(ASAN_BUILD)/configure.log 2>&1 \
		|| (cat $(ASAN_BUILD)/configure.log; exit 1)

test-asan: asan-configure
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target ivsim unit_tests model_tests scenario_tests
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600 -E "$(ASAN_SKIP)"
	@bash scripts/run-shipped-scenarios.sh $(ASAN_BUILD)/sim/ivsim

fuzz-build: asan-configure
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target ivsim_fuzzers

fuzz: fuzz-build
	@bash fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@FUZZ_SEED=1 bash fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SMOKE_SECONDS)

# The soak: 10^9 simulated guest accesses over the default and large
# scenarios with the RSS sampled (bench/soak.sh; docs/performance.md).
SOAK_ACCESSES ?= 1000000000
soak: configure
	@cmake --build $(BUILD) -j$(JOBS) --target ivsim
	@bash bench/soak.sh $(BUILD) $(SOAK_ACCESSES)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD)
