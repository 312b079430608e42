// The validation table: every timing profile must reproduce the published
// figures (and the consistency rows) with the in-twin measurement tools.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/scenario/cli.h"

namespace {

nlohmann::json calibrate(const std::string& profile) {
  const std::string json = "/tmp/ivsim-calibration-" + std::to_string(getpid()) + ".json";
  const auto r = cli::ivsim("calibrate --profile " + profile + " --json " + json);
  INFO(r.out);
  CHECK(r.status == 0);
  const auto j = nlohmann::json::parse(cli::slurp(json));
  REQUIRE(j.size() == 1);
  CHECK(j[0]["profile"] == profile);
  CHECK(j[0]["rows"].size() >= 17);  // the latency reference's table, plus rows per core type
  for (const auto& row : j[0]["rows"]) {
    INFO("row " << row["id"].get<std::string>() << ": " << row["detail"].get<std::string>());
    CHECK(row["pass"].get<bool>());
  }
  std::remove(json.c_str());
  return j;
}

}  // namespace

TEST_CASE("calibration passes every row for coffee-lake-client") { calibrate("coffee-lake-client"); }
TEST_CASE("calibration passes every row for tiger-lake-client") { calibrate("tiger-lake-client"); }
TEST_CASE("calibration passes every row for cascade-lake-server") { calibrate("cascade-lake-server"); }
TEST_CASE("calibration passes every row for ice-lake-server") { calibrate("ice-lake-server"); }
TEST_CASE("calibration passes every row for atom-tremont") { calibrate("atom-tremont"); }
TEST_CASE("calibration passes every row for alder-lake-hybrid, each core type and core-type pair") {
  const auto j = calibrate("alder-lake-hybrid");
  std::map<std::string, std::string> detail;
  for (const auto& row : j[0]["rows"]) detail[row["id"]] = row["detail"];
  CHECK(detail["1a-E"].find("(Atom)") != std::string::npos);
  CHECK(detail["3"].find("(Core) <->") != std::string::npos);
  CHECK(detail["3-PE"].find("(Core) <-> 16 (Atom)") != std::string::npos);
  CHECK(detail["3-EE"].find("16 (Atom) <-> 17 (Atom)") != std::string::npos);
}

TEST_CASE("calibration of an unknown profile is bad input") {
  const auto r = cli::ivsim("calibrate --profile no-such-profile");
  CHECK(r.status == 2);
  CHECK(r.out.find("no calibration table for \"no-such-profile\"") != std::string::npos);
}

TEST_CASE("the hybrid board's core-to-core matrix has three distinct P/E pair classes, written as JSON too") {
  const std::string board = std::string(IVSIM_TESTS_DIR) + "/../platforms/acrn/adl-i7-12700e/adl-i7-12700e.xml";
  const std::string json = cli::temp_path("matrix.json");
  const auto r = cli::ivsim("calibrate --c2c-matrix " + board + " --json " + json);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("core types: Atom pCPUs 16,17,18,19; Core pCPUs 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15") !=
        std::string::npos);
  CHECK(r.out.find("Atom-Atom 50.0 x6; Core-Atom 44.0 x64; Core-Core 4.5 x8 35.0 x112") != std::string::npos);
  const auto j = nlohmann::json::parse(cli::slurp(json));
  CHECK(j["profile"] == "alder-lake-hybrid");
  CHECK(j["pcpus"][16]["core_type"] == "Atom");
  CHECK(j["pcpus"][0]["core_type"] == "Core");
  // P-P (other core), P-E and E-E: three classes, three distinct latencies.
  const double pp = j["one_way_ns"][0][2], pe = j["one_way_ns"][0][16], ee = j["one_way_ns"][16][17];
  CHECK(pp == Approx(35));
  CHECK(pe == Approx(44));
  CHECK(ee == Approx(50));
  CHECK(j["by_core_type"].size() == 3);
  std::remove(json.c_str());
}

TEST_CASE("the core-to-core matrix gives every pCPU pair its one-way latency") {
  const auto r = cli::ivsim("calibrate --c2c-matrix nuc11tnbi5");
  INFO(r.out);
  REQUIRE(r.status == 0);
  // Four cores on one ring: every pair is the profile's same-die figure, 27 ns.
  CHECK(r.out.find("   0      -  27.0  27.0  27.0") != std::string::npos);
  CHECK(r.out.find("   3   27.0  27.0  27.0     -") != std::string::npos);
}
