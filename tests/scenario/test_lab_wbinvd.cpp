// What Lab 7 (docs/labs/7-a-neighbour-that-flushes-the-caches.md) has
// students find, as the shape of the results: a neighbour's WBINVD empties
// the L3 through the RT VM's cache partition when no RT VM is configured,
// so the RT VM's slowest loads come from DRAM; with the RT VM an RTVM, ACRN
// flushes only the neighbour's memory, the RT VM's loads are as without
// WBINVDs and the neighbour pays milliseconds per WBINVD.
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kScenario = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/rt_interference_cat.yaml";

nlohmann::json run(const std::string& sets) {
  return nlohmann::json::parse(cli::run_report(kScenario + " " + sets, "lab-wbinvd.json"));
}

const nlohmann::json& loads(const nlohmann::json& j) { return j["workloads"][1]["metrics"][0]; }
const nlohmann::json& neighbour_vm(const nlohmann::json& j) {
  for (const auto& v : j["vms"])
    if (v["name"] == "Noisy_VM0") return v;
  FAIL("no Noisy_VM0");
  return j;
}

}  // namespace

TEST_CASE("lab 7: a neighbour's WBINVD empties the partitioned L3 unless the RT VM is an RTVM") {
  const std::string flush = "--set workloads[2].params.wbinvd_every=20000 ";
  const auto quiet = run(""), physical = run(flush + "--set vms[0].vm_type=STANDARD_VM"), contained = run(flush);
  REQUIRE(loads(quiet)["name"] == "load_latency");
  CHECK(loads(quiet)["breakdown"].value("dram", 0.0) == 0);
  // Without an RT VM: the L3 emptied 20 times, the slowest loads from DRAM.
  CHECK(neighbour_vm(physical)["wbinvd"]["physical"] == 20);
  CHECK(loads(physical)["p50"] == loads(quiet)["p50"]);
  CHECK(loads(physical)["p99"].get<double>() > 2 * loads(quiet)["p99"].get<double>());
  CHECK(loads(physical)["max"].get<double>() > 5 * loads(quiet)["max"].get<double>());
  CHECK(loads(physical)["slowest_1pct"]["breakdown"]["dram"].get<double>() > 100);
  // With the RT VM an RTVM: the neighbour's own memory walked, the RT VM untouched.
  CHECK(neighbour_vm(contained)["wbinvd"]["ept_walks"] == 20);
  CHECK(neighbour_vm(contained)["wbinvd"]["flushed_bytes"] == 20ULL * 128 * 1024 * 1024);
  CHECK(loads(contained)["breakdown"].value("dram", 0.0) == 0);
  CHECK(loads(contained)["p99"] == loads(quiet)["p99"]);
  CHECK(loads(contained)["max"].get<double>() < loads(quiet)["max"].get<double>() + 1);
  // What it costs the neighbour: milliseconds per WBINVD against microseconds.
  const auto wbinvd_mean = [](const nlohmann::json& j) {
    for (const auto& m : j["workloads"][2]["metrics"])
      if (m["name"] == "wbinvd") return m["mean"].get<double>();
    return 0.0;
  };
  CHECK(wbinvd_mean(contained) > 1e6);
  CHECK(wbinvd_mean(physical) < 1e5);
  // The report's memory section counts the flushes' write-backs for the
  // flushing vCPU's pCPU, and only there.
  CHECK(quiet["memory"]["flush_write_backs"] == 0);
  for (const auto* j : {&physical, &contained}) {
    const auto& vm = neighbour_vm(*j);
    const auto written = vm["wbinvd"]["lines_written_back"].get<double>();
    CHECK(written > 0);
    CHECK((*j)["memory"]["flush_write_backs"].get<double>() == written);
    double at_pcpu = 0;
    for (const auto& p : (*j)["memory"]["pcpus"])
      if (p["pcpu"] == vm["vcpus"][0]["pcpu"]) at_pcpu = p["flush_write_backs"].get<double>();
    CHECK(at_pcpu == written);
  }
}
