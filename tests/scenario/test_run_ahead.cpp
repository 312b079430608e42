// Running ahead (models/cpu/run_ahead.h) only skips hand-offs to the kernel:
// the report is the one a run that synchronises at every point writes
// (IVSIM_RUN_AHEAD=off), in scenarios where it skips most of them. The
// committed golden reports check the same for every shipped scenario.
#include <cstdio>
#include <fstream>
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

TEST_CASE("a poll woken before its own time settles, and the report is as synchronising at every point") {
  // ping computes after its store, so pong's answer lands before ping's own
  // time: ping's poll, asleep ahead of the kernel, is woken early.
  const std::string script = cli::temp_path("early-wake.lua");
  std::ofstream(script) << R"(local shm = ivshmem_get_mem(ivshmem_probe(region_bdf()))
local ping_seq, pong_seq = shm, shm + 64
for i = 1, params.iterations do
  if role() == "ping" then
    local t = timestamp()
    store64(ping_seq, i)
    compute(params.after_cycles)
    wait_until(pong_seq, "eq", i)
    record("round_trip", t)
  else
    wait_until(ping_seq, "eq", i)
    store64(pong_seq, i)
  end
end
)";
  const std::string scenario = cli::temp_path("early-wake.yaml");
  std::ofstream(scenario)
      << "name: early-wake\nboard: cfl-k700-i7\nvms:\n"
         "  - { id: 0, name: RT_VM, load_order: PRE_LAUNCHED_VM, vm_type: RTVM, cpu_affinity: [7], "
         "memory_mib: 256 }\n"
         "  - { id: 1, name: Service_VM, load_order: SERVICE_VM, cpu_affinity: [0], memory_mib: 1024 }\n"
         "  - { id: 2, name: HMI_VM, load_order: POST_LAUNCHED_VM, cpu_affinity: [2], memory_mib: 256 }\n"
         "ivshmem:\n  - name: data\n    provider: Hypervisor\n    size_mib: 2\n    members:\n"
         "      - { vm: RT_VM, vbdf: \"00:08.0\" }\n      - { vm: HMI_VM, vbdf: \"00:08.0\" }\n"
         "workloads:\n  - name: early\n    script: "
      << script
      << "\n    region: data\n    roles:\n      ping: { vm: HMI_VM, vcpu: 0 }\n"
         "      pong: { vm: RT_VM, vcpu: 0 }\n    params: { iterations: 300, after_cycles: 1500 }\n";
  auto ahead = run(scenario, "");
  auto every = run(scenario, "IVSIM_RUN_AHEAD=off");
  CHECK(ahead["host"]["polls_woken_early"].get<double>() > 30);  // 64: the rest cross a quantum boundary first
  CHECK(every["host"]["polls_woken_early"] == 0);
  CHECK(ahead["workloads"][0]["metrics"][0]["count"] == 300);
  ahead.erase("host");
  every.erase("host");
  CHECK(ahead.dump(1) == every.dump(1));
  std::remove(script.c_str());
  std::remove(scenario.c_str());
}
