// Lua scripted guests through the ivsim binary: a script that calls every
// function of the API (each one, with its error paths, an expect() the
// report lists); a script error reported as file:line that stops its guest
// only; a failed expectation making the run exit 3; the documented example;
// bad script input refused with status 2; the same seed, the same report.
#include <nlohmann/json.hpp>
#include <regex>

#include "cli.h"
#include "workloads/lua_guest.h"

namespace {

const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/";
const std::string kLib = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/library/";

nlohmann::json run(const std::string& scenario, int status, cli::Result* out = nullptr) {
  const std::string report = cli::temp_path("lua.json");
  std::remove(report.c_str());
  const cli::Result r = cli::ivsim("run --quiet --report " + report + " " + scenario);
  INFO(r.out);
  REQUIRE(r.status == status);
  if (out) *out = r;
  const auto j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  return j;
}

}  // namespace

TEST_CASE("lua: a script calls every API function, error paths too, and every expectation holds") {
  const auto j = run(kData + "scenarios/lua-api.yaml", 0);
  const auto& w = j["workloads"][0];
  CHECK(w["kind"] == "lua");
  CHECK(w["status"] == "completed");
  REQUIRE(w.contains("findings"));
  std::size_t met = 0;
  for (const auto& f : w["findings"]) {
    INFO(f.dump());
    CHECK(f["kind"] == "expect");
    CHECK(f["ok"] == true);
    met += f["ok"].get<bool>();
  }
  CHECK(met >= 100);
  CHECK(w["metrics"][0]["name"] == "doorbell_round_trip");
  CHECK(w["values"]["answer"]["value"] == 42);
  CHECK(w["counters"]["calls"] == 6);
  // Every entry of the binding's one table is called by the script.
  const std::string script = cli::slurp(kData + "lua/api.lua");
  for (const auto& e : ivsim::lua_api()) {
    INFO(e.name);
    CHECK(std::regex_search(script, std::regex("(^|[^_a-z0-9])" + e.name + "[(,]")));
  }
}

TEST_CASE("lua: docs/guest-api.md lists every function of the binding's table") {
  const std::string doc = cli::slurp(std::string(IVSIM_TESTS_DIR) + "/../docs/guest-api.md");
  for (const auto& e : ivsim::lua_api()) {
    INFO(e.name);
    CHECK(doc.find("| `" + e.name + "(") != std::string::npos);
  }
}

TEST_CASE("lua: an error in a script names file:line and stops that guest only, the run goes on") {
  cli::Result r;
  const auto j = run(kData + "scenarios/lua-broken.yaml", 1, &r);
  CHECK(r.out.find("broken.lua:5:") != std::string::npos);
  const auto& w = j["workloads"][0];
  CHECK(w["status"] == "failed");
  CHECK(w["counters"]["started"] == 2);
  CHECK(w["counters"]["finished_b"] == 1);
  CHECK(!w["counters"].contains("finished_a"));
  bool found = false;
  for (const auto& role : w["roles"])
    if (role["role"] == "a") {
      found = true;
      CHECK(role["error"].get<std::string>().find("broken.lua:5: attempt to perform arithmetic") != std::string::npos);
    }
  CHECK(found);
  CHECK(j["workloads"][1]["status"] == "completed");  // the default ping-pong beside it
}

TEST_CASE("lua: a failed expectation is listed in the report and ivsim run exits with status 3") {
  cli::Result r;
  const auto j = run(kData + "scenarios/lua-unmet.yaml", 3, &r);
  CHECK(r.out.find("expectation not met: want is 3") != std::string::npos);
  const auto& f = j["workloads"][0]["findings"];
  REQUIRE(f.size() == 2);
  CHECK(f[0]["ok"] == true);
  CHECK(f[1]["ok"] == false);
  CHECK(f[1]["name"] == "want is 3");
  CHECK(f[1]["detail"].get<std::string>().find("unmet.lua:3") != std::string::npos);
  CHECK(j["workloads"][0]["counters"]["after"] == 1);
}

TEST_CASE("lua: the documented example rings its peer and measures the round trip") {
  const auto j = run(kLib + "lua-ping.yaml --set workloads[0].params.iterations=200", 0);
  const auto& w = j["workloads"][0];
  CHECK(w["status"] == "completed");
  CHECK(w["metrics"][0]["name"] == "round_trip");
  CHECK(w["metrics"][0]["count"] == 200);
  CHECK(w["metrics"][0]["breakdown"]["exit"].get<double>() > 0);
  CHECK(w["metrics"][0]["breakdown"]["irq"].get<double>() > 0);
}

TEST_CASE("lua: init-sipi.lua restarts its sibling vCPU with INIT and SIPI, a debug build logging the start") {
  const std::string base = kLib + "lua-ping.yaml --set workloads[0].script=" + kLib +
                           "lua/init-sipi.lua --set workloads[0].roles.pong.vm=HMI_VM "
                           "--set workloads[0].roles.pong.vcpu=1";
  const auto debug = run(base, 0);
  const auto release = run(base + " --set hypervisor.build_type=release", 0);
  for (const auto* j : {&debug, &release}) {
    const auto& w = (*j)["workloads"][0];
    CHECK(w["status"] == "completed");
    CHECK(w["counters"]["boots"] == 2);
    CHECK(w["findings"].size() == 2);
    const auto& pong = (*j)["vms"][2]["vcpus"][1];
    CHECK(pong["init_resets"] == 1);
    CHECK(pong["sipi_starts"] == 1);
    CHECK((*j)["vms"][2]["ipis_dropped"] == 2);  // the de-assert and the second SIPI
    CHECK((*j)["vms"][2]["faults_injected"] == 1);  // the LDR read after the SIPI's init_vmcs
  }
  // The debug build's pr_err holds the sender's pCPU for its characters; its
  // seq counts the two pr_info messages (level 5) of the first writes of the
  // IVSHMEM device's BAR0 and BAR1 (find_match_mmio_node).
  REQUIRE(debug["hv_console_log"]["lines"] == 1);
  CHECK(debug["hv_console_log"]["first"][0].get<std::string>().find(
            "[vm2:vcpu0][sev=3][seq=3]:Start Secondary VCPU1 for VM[2]...") != std::string::npos);
  const double debug_us = debug["workloads"][0]["values"]["online_us"]["value"];
  const double release_us = release["workloads"][0]["values"]["online_us"]["value"];
  CHECK(debug_us > 6000);
  CHECK(release_us < 100);
}

TEST_CASE("lua: a missing script, a script with a kind, or a bad role name is refused with status 2") {
  cli::Result r = cli::ivsim("validate " + kLib + "lua-ping.yaml --set workloads[0].script=nowhere.lua");
  CHECK(r.status == 2);
  CHECK(r.out.find("workloads[0].script: cannot read the Lua script \"nowhere.lua\"") != std::string::npos);
  r = cli::ivsim("validate " + kLib + "lua-ping.yaml --set workloads[0].kind=ring");
  CHECK(r.status == 2);
  CHECK(r.out.find("workloads[0].kind") != std::string::npos);
  r = cli::ivsim("validate " + kLib + "lua-ping.yaml --set workloads[0].roles.bad-name.vm=RT_VM");
  CHECK(r.status == 2);
  CHECK(r.out.find("a role name is 1-32 word characters") != std::string::npos);
}

TEST_CASE("lua: the same seed gives the same report, host aside") {
  auto a = run(kData + "scenarios/lua-api.yaml", 0);
  auto b = run(kData + "scenarios/lua-api.yaml", 0);
  a.erase("host");
  b.erase("host");
  CHECK(a.dump() == b.dump());
}
