// Running ahead (models/cpu/run_ahead.h) only skips hand-offs to the kernel:
// the report is the one a run that synchronises at every point writes
// (IVSIM_RUN_AHEAD=off), in scenarios where it skips most of them. The
// committed golden reports check the same for every shipped scenario.
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kScenarios = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/";

nlohmann::json run(const std::string& args, const std::string& env) {
  const std::string report = cli::temp_path("run-ahead.json");
  std::remove(report.c_str());
  const cli::Result r = cli::run(env + " " + IVSIM_BINARY + " run --quiet --report " + report + " " + args);
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  return j;
}

}  // namespace

TEST_CASE("running ahead of the kernel leaves every figure of the report as synchronising at every point does") {
  for (const std::string& args : {kScenarios + "default.yaml --set workloads[0].params.notify=doorbell",
                                  kScenarios + "default.yaml", kScenarios + "library/personalities.yaml",
                                  kScenarios + "library/fanout.yaml", kScenarios + "rt_interference.yaml"}) {
    INFO(args);
    auto ahead = run(args, "");
    auto every = run(args, "IVSIM_RUN_AHEAD=off");
    CHECK(every["host"]["synchronisations_skipped"] == 0);
    CHECK(ahead["host"]["synchronisations_skipped"].get<double>() > 0);
    CHECK(ahead["host"]["kernel_synchronisations"].get<double>() <
          every["host"]["kernel_synchronisations"].get<double>());
    ahead.erase("host");
    every.erase("host");
    CHECK(ahead.dump(1) == every.dump(1));
  }
}
