// workloads[].reason in the report and the summary: why a workload did not
// complete; absent when it did.
#include <catch2/catch.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/scenario/cli.h"

TEST_CASE("a stopped workload says what its roles wait for, and a completed one has no reason") {
  const std::string report = cli::temp_path("reason.json");
  cli::Result r = cli::ivsim("run --report " + report + " --set run.duration_us=50");
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(cli::slurp(report));
  const auto& w = j["workloads"][0];
  CHECK(w["status"] == "stopped");
  const std::string reason = w["reason"].get<std::string>();
  CHECK(reason.find("initiator: ") != std::string::npos);
  CHECK(reason.find("responder: ") != std::string::npos);
  CHECK(r.out.find("stopped: " + reason) != std::string::npos);

  r = cli::ivsim("run --quiet --report " + report + " --set workloads[0].params.iterations=10");
  REQUIRE(r.status == 0);
  j = nlohmann::json::parse(cli::slurp(report));
  CHECK(j["workloads"][0]["status"] == "completed");
  CHECK_FALSE(j["workloads"][0].contains("reason"));
  std::remove(report.c_str());
}
