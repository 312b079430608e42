// The validation table: every timing profile must reproduce the published
// figures (and the consistency rows) with the in-twin measurement tools.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/scenario/cli.h"

namespace {

void calibrate(const std::string& profile) {
  const std::string json = "/tmp/ivsim-calibration-" + std::to_string(getpid()) + ".json";
  const auto r = cli::ivsim("calibrate --profile " + profile + " --json " + json);
  INFO(r.out);
  CHECK(r.status == 0);
  const auto j = nlohmann::json::parse(cli::slurp(json));
  REQUIRE(j.size() == 1);
  CHECK(j[0]["profile"] == profile);
  CHECK(j[0]["rows"].size() == 17);
  for (const auto& row : j[0]["rows"]) {
    INFO("row " << row["id"].get<std::string>() << ": " << row["detail"].get<std::string>());
    CHECK(row["pass"].get<bool>());
  }
  std::remove(json.c_str());
}

}  // namespace

TEST_CASE("calibration passes every row for coffee-lake-client") { calibrate("coffee-lake-client"); }
TEST_CASE("calibration passes every row for tiger-lake-client") { calibrate("tiger-lake-client"); }
TEST_CASE("calibration passes every row for cascade-lake-server") { calibrate("cascade-lake-server"); }

TEST_CASE("calibration of an unknown profile is bad input") {
  const auto r = cli::ivsim("calibrate --profile no-such-profile");
  CHECK(r.status == 2);
  CHECK(r.out.find("no calibration table for \"no-such-profile\"") != std::string::npos);
}

TEST_CASE("the core-to-core matrix gives every pCPU pair its one-way latency") {
  const auto r = cli::ivsim("calibrate --c2c-matrix nuc11tnbi5");
  INFO(r.out);
  REQUIRE(r.status == 0);
  // Four cores on one ring: every pair is the profile's same-die figure, 27 ns.
  CHECK(r.out.find("   0      -  27.0  27.0  27.0") != std::string::npos);
  CHECK(r.out.find("   3   27.0  27.0  27.0     -") != std::string::npos);
}
