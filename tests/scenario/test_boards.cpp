// The project's board files (platforms/acrn/<board>/), one per CPU class:
// each validates and runs with its scenario and no timing.profile, its CPU
// picking the profile; an unknown CPU runs with the nearest one.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/scenario/cli.h"

namespace {

const std::string kBoards = std::string(IVSIM_TESTS_DIR) + "/../platforms/acrn/";

std::string board_args(const std::string& b) {
  return "--board " + kBoards + b + "/" + b + ".xml --scenario " + kBoards + b + "/hybrid_rt.xml";
}

// Noise off: the checks below add up the profile's figures exactly.
nlohmann::json run(const std::string& b, const std::string& extra = "") {
  const std::string report = cli::temp_path(b + ".json");
  const auto r = cli::ivsim("run --quiet --set noise=off --report " + report + " " + board_args(b) + " " + extra);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(cli::slurp(report));
}

// The region's default ping-pong moves four lines between its two cores per
// round trip; two stores on the critical path hit their core's L1D.
double round_trip_ns(const nlohmann::json& j) { return j["workloads"][0]["metrics"][0]["p50"].get<double>(); }

}  // namespace

TEST_CASE("each class's board file and its scenario validate") {
  for (const std::string b : {"whl-i5-8265u", "adl-i7-12700e", "ehl-x6427fe", "icx-2s-silver-4314"}) {
    const auto r = cli::ivsim("validate " + kBoards + b + "/" + b + ".xml " + kBoards + b + "/hybrid_rt.xml --board " +
                              kBoards + b + "/" + b + ".xml");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("ok (board " + b + ")") != std::string::npos);
    CHECK(r.out.find("ok (scenario hybrid_rt)") != std::string::npos);
  }
}

TEST_CASE("client board: Whiskey Lake maps to coffee-lake-client at the board's 1.6 GHz") {
  const auto j = run("whl-i5-8265u");
  const auto& t = j["timing_profile"];
  CHECK(t["name"] == "coffee-lake-client");
  CHECK(t["chosen_by"] == "cpu model");
  CHECK(t["cpu"].get<std::string>().find("INTEL_FAM6_KABYLAKE_L") == 0);
  CHECK(t["frequency"]["mhz"] == 1600);
  CHECK(t["frequency"]["source"].get<std::string>().find("@ 1.60GHz") != std::string::npos);
  // 4 x 21 ns between pCPUs 3 and 1, 2 x 4 cycles at 1.6 GHz.
  CHECK(round_trip_ns(j) == Approx(4 * 21 + 2 * 2.5));
}

TEST_CASE(
    "hybrid board: Alder Lake maps to alder-lake-hybrid, and the P-core to E-core round trip costs the P-E figure") {
  const auto j = run("adl-i7-12700e");
  const auto& t = j["timing_profile"];
  CHECK(t["name"] == "alder-lake-hybrid");
  CHECK(t["core_types"]["Atom"] == nlohmann::json::array({16, 17, 18, 19}));
  CHECK(t["core_types"]["Core"].size() == 16);
  CHECK(t["frequency"]["source"].get<std::string>().find("gives no frequency") != std::string::npos);
  // RT VM on P-core pCPU 2, post-launched VM on E-core pCPU 17: four 44 ns
  // P-E transfers, and one store on each side at its own core's L1D hit
  // (5 cycles at 2.1 GHz on the P-core, 3 at 1.6 GHz on the E-core).
  CHECK(round_trip_ns(j) == Approx(4 * 44 + 2.381 + 1.875).epsilon(1e-4));
  // Moved to a P-core, the same run pays the P-P figure and the P-core's L1D.
  const auto p = run("adl-i7-12700e", "--set vms[2].cpu_affinity=[4]");
  CHECK(round_trip_ns(p) == Approx(4 * 35 + 2 * 2.381).epsilon(1e-3));
}

TEST_CASE("Atom board: Elkhart Lake maps to atom-tremont, and cores of its one module hand off in the shared L2") {
  const auto j = run("ehl-x6427fe");
  CHECK(j["timing_profile"]["name"] == "atom-tremont");
  CHECK(j["timing_profile"]["core_types"]["Atom"].size() == 4);
  CHECK(round_trip_ns(j) == Approx(4 * 20 + 2 * 1.579).epsilon(1e-3));  // c2c_same_l2, 3 cycles at 1.9 GHz
}

TEST_CASE("server board: two Ice Lake-SP sockets map to ice-lake-server, and the round trip crosses sockets") {
  const auto j = run("icx-2s-silver-4314");
  CHECK(j["timing_profile"]["name"] == "ice-lake-server");
  CHECK(j["timing_profile"]["frequency"]["mhz"] == 2400);
  CHECK(round_trip_ns(j) == Approx(4 * 108 + 2 * 2.083).epsilon(1e-3));
}

TEST_CASE("a CPU no profile maps runs with the nearest profile, one warning naming it, recorded in the report") {
  std::string xml = cli::slurp(kBoards + "adl-i7-12700e/adl-i7-12700e.xml");
  for (std::size_t at = xml.find("<model_id>0x97</model_id>"); at != std::string::npos;
       at = xml.find("<model_id>0x97</model_id>", at))
    xml.replace(at, 25, "<model_id>0xaa</model_id>");  // Meteor Lake's id, which the map lacks
  const std::string board = cli::temp_path("mtl.xml");
  std::ofstream(board) << xml;
  const std::string report = cli::temp_path("mtl.json");
  const auto r = cli::ivsim("run --quiet --report " + report + " --board " + board + " --scenario " + kBoards +
                            "adl-i7-12700e/hybrid_rt.xml");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const std::string warning = "no timing profile maps CPU family 0x6 model 0xaa";
  CHECK(r.out.find(warning) != std::string::npos);
  CHECK(r.out.find(warning, r.out.find(warning) + 1) == std::string::npos);  // once
  CHECK(r.out.find("using the nearest, alder-lake-hybrid") != std::string::npos);
  const auto j = nlohmann::json::parse(cli::slurp(report));
  CHECK(j["timing_profile"]["chosen_by"] == "nearest");
  CHECK(j["timing_profile"]["why"].get<std::string>().find("Core and Atom threads") != std::string::npos);
  CHECK(j["timing_profile"]["cpu"].get<std::string>().find("not in platforms/cpu-models.yaml") != std::string::npos);
  // validate needs no profile and says nothing about it.
  const auto v = cli::ivsim("validate " + board);
  CHECK(v.status == 0);
  CHECK(v.out.find("nearest") == std::string::npos);
  std::remove(board.c_str());
  std::remove(report.c_str());
}
