// The parser fuzz targets' seed corpus and reproducers, replayed in the
// ordinary build: each input must come back as accepted or as a located
// ConfigError, never as a crash, another exception or a sanitizer report.
#include <catch2/catch.hpp>

#include "fuzz/targets/targets.h"
#include "tests/support/fuzz_inputs.h"

using namespace ivsim;

namespace {

void replay(const std::string& target, void (*body)(const std::uint8_t*, std::size_t), std::size_t min_seeds) {
  const auto seeds = test::fuzz_inputs(target, "corpus");
  CHECK(seeds.size() >= min_seeds);
  for (const auto& in : seeds) {
    INFO(in.path);
    body(test::bytes_of(in), in.bytes.size());
  }
  for (const auto& in : test::fuzz_inputs(target, "regressions")) {
    INFO(in.path);
    body(test::bytes_of(in), in.bytes.size());
  }
}

}  // namespace

TEST_CASE("fuzz corpus: YAML scenarios", "[fuzz]") { replay("scenario_yaml", fuzz::scenario_yaml, 40); }
TEST_CASE("fuzz corpus: ACRN scenario XML", "[fuzz]") { replay("acrn_scenario_xml", fuzz::acrn_scenario_xml, 20); }
TEST_CASE("fuzz corpus: ACRN board XML", "[fuzz]") { replay("board_xml", fuzz::board_xml, 5); }
TEST_CASE("fuzz corpus: --set assignments", "[fuzz]") { replay("set_assignments", fuzz::set_assignments, 10); }
