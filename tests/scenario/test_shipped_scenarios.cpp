// Every scenario shipped in platforms/scenarios validates and runs to
// completion through the ivsim binary (each workload shortened with --set).
#include <dirent.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli.h"

namespace {

const std::string kScenarios = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios";

std::vector<std::string> shipped() {
  std::vector<std::string> out;
  if (DIR* d = opendir(kScenarios.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".yaml") == 0) out.push_back(kScenarios + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the shipped scenarios are there") {
  const auto files = shipped();
  for (const std::string name : {"default", "hybrid_rt", "mixed_isolation", "large"})
    CHECK(std::find(files.begin(), files.end(), kScenarios + "/" + name + ".yaml") != files.end());
}

TEST_CASE("every shipped scenario validates") {
  for (const auto& f : shipped()) {
    INFO(f);
    const cli::Result r = cli::ivsim("validate " + f);
    CHECK(r.status == 0);
    CHECK(r.out.find(f + ": ok (scenario ") == 0);
  }
}

TEST_CASE("every shipped scenario runs to completion") {
  for (const auto& f : shipped()) {
    INFO(f);
    // show --json lists the workloads, defaults included; shorten each.
    const cli::Result show = cli::ivsim("show --json " + f, false);
    REQUIRE(show.status == 0);
    const auto shown = nlohmann::json::parse(show.out);
    std::string sets;
    for (std::size_t i = 0; i < shown["workloads"].size(); ++i)
      sets += " --set workloads[" + std::to_string(i) + "].params.iterations=200";
    const std::string report = cli::temp_path("shipped.json");
    const cli::Result r = cli::ivsim("run --quiet " + f + " --report " + report + sets);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(cli::slurp(report));
    CHECK(j["workloads"].size() == shown["workloads"].size());
    for (const auto& w : j["workloads"]) {
      INFO(w["name"]);
      CHECK(w["status"] == "completed");
      CHECK(w["metrics"][0]["count"] == 200);
    }
    std::remove(report.c_str());
  }
}

TEST_CASE("the isolation demo's two same-named regions are distinct memory") {
  const std::string report = cli::temp_path("mixed.json");
  const cli::Result r =
      cli::ivsim("run --quiet " + kScenarios + "/mixed_isolation.yaml --report " + report +
                 " --set workloads[0].params.iterations=200 --set workloads[1].params.iterations=200");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(cli::slurp(report));
  REQUIRE(j["regions"].size() == 2);
  CHECK(j["regions"][0]["name"] == "hv:/shared");
  CHECK(j["regions"][1]["name"] == "dm:/shared");
  CHECK(j["regions"][0]["hpa"] != j["regions"][1]["hpa"]);
  for (const auto& w : j["workloads"]) CHECK(w["status"] == "completed");
  std::remove(report.c_str());
}

TEST_CASE("large.yaml: 16 VMs, 8 hv-land regions, a pingpong on each, VBDFs assigned") {
  const cli::Result r = cli::ivsim("show --json " + kScenarios + "/large.yaml", false);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["vms"].size() == 16);
  REQUIRE(j["regions"].size() == 8);
  for (const auto& reg : j["regions"]) {
    CHECK(reg["provider"] == "Hypervisor");
    for (const auto& m : reg["members"]) CHECK(m["vbdf"] == "00:08.0");
  }
  CHECK(j["workloads"].size() == 8);
  CHECK(j["devices"].size() == 16);
}
