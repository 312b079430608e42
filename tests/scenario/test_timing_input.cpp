// Timing input through the CLI: entries outside their range are bad input
// for run and validate alike, and nothing is written.
#include <catch2/catch.hpp>

#include "tests/scenario/cli.h"

TEST_CASE("an override outside its entry's range stops run and validate with status 2 and writes nothing") {
  const std::string report = cli::temp_path("range.json");
  const auto r = cli::ivsim("run --report " + report + " --set timing.overrides.c2c_same_die=1e17");
  CHECK(r.status == 2);
  CHECK(r.out.find("--set: error: timing.overrides.c2c_same_die: must be from 0 to 10000 ns, got 1e+17") !=
        std::string::npos);
  CHECK_FALSE(cli::exists(report));
  const auto v = cli::ivsim("validate " + std::string(IVSIM_TESTS_DIR) +
                            "/../platforms/scenarios/default.yaml --set timing.overrides.dtlb_entries=4294967296");
  CHECK(v.status == 2);
  CHECK(v.out.find("must be a whole number from 0 to 65536 entries, got 4294967296") != std::string::npos);
}
