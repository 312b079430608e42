// The fuzz targets' bodies, one function per target: each takes one input
// and returns normally for any input the twin handles as it should. Bad
// input is a ConfigError, caught here; any other exception, a crash, a
// sanitizer report or a failed check (std::abort through IVSIM_FUZZ_CHECK)
// is a bug. The libFuzzer drivers (fuzz/*_fuzzer.cpp) call them, and so do
// the regression tests, which replay the seed corpus and every reproducer
// kept in fuzz/regressions in the ordinary build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ivsim::fuzz {

// A YAML scenario file, loaded and validated as `ivsim validate` does.
void scenario_yaml(const std::uint8_t* data, std::size_t size);
// An ACRN scenario XML file with a shipped ACRN board file (adl-i7-12700e),
// read and validated.
void acrn_scenario_xml(const std::uint8_t* data, std::size_t size);
// An ACRN board XML file: read, checked as a run would check it, and turned
// into what a run derives from it (timing profile, caches, per-pCPU costs).
void board_xml(const std::uint8_t* data, std::size_t size);
// --set assignments, one per line, over the shipped default scenario.
void set_assignments(const std::uint8_t* data, std::size_t size);

// Aborts with a message when `cond` is false (a broken invariant).
[[noreturn]] void check_failed(const char* what, const char* file, int line, const std::string& detail);
#define IVSIM_FUZZ_CHECK(cond, detail) \
  ((cond) ? (void)0 : ::ivsim::fuzz::check_failed(#cond, __FILE__, __LINE__, (detail)))

}  // namespace ivsim::fuzz
