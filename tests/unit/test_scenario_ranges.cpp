// Every numeric scenario field has a range, and a value outside it (however
// large: nothing wraps) is an error that states the range and its unit, for
// YAML, ACRN XML and --set alike.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "platforms/data_dir.h"
#include "sim/acrn_scenario_xml.h"
#include "sim/scenario_input.h"
#include "sim/scenario_loader.h"

using namespace ivsim;

namespace {

std::string set_error(const std::string& assignment) {
  try {
    load_scenario_file(default_scenario_path(), {assignment});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("scenario ranges: out-of-range integers state the range and unit, and never wrap", "[scenario_ranges]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hypervisor.max_vm_num=65", "hypervisor.max_vm_num: must be between 1 and 64 VMs, got 65"},
      {"vms[0].id=18446744073709551616", "vms[0].id: must be between 0 and 63, got 18446744073709551616"},
      {"vms[0].cpu_affinity=[-1]", "vms[0].cpu_affinity[0]: must be between 0 and 65535 (a pCPU id), got -1"},
      // 2^44 MiB is 2^64 bytes: it used to wrap to a zero-sized RAM.
      {"vms[0].memory_mib=17592186044416", "vms[0].memory_mib: must be between 16 and 1048576 MiB, got 17592186044416"},
      {"vms[0].priority=256", "vms[0].priority: must be between 0 and 255, got 256"},
      {"vms[0].bvt_weight=0", "vms[0].bvt_weight: must be between 1 and 1024, got 0"},
      {"ivshmem[0].size_mib=18446744073709551618",
       "ivshmem[0].size_mib: size must be one of 2, 4, 8, 16, 32, 64, 128, 256, 512 (MiB), got 18446744073709551618"},
      {"ivshmem[0].region_id=65536", "ivshmem[0].region_id: must be between 0 and 65535, got 65536"},
      {"workloads[0].roles.initiator.vcpu=4294967296",
       "workloads[0].roles.initiator.vcpu: must be between 0 and 65535 (a vCPU index), got 4294967296"},
      {"workloads[0].params.message_bytes=9223372036854775808",
       "workloads[0].params.message_bytes: must be between 8 and 536870912 bytes, got 9223372036854775808"},
      {"workloads[0].params.response_compute_cycles=-1",
       "workloads[0].params.response_compute_cycles: must be between 0 and 1000000000 cycles, got -1"},
      {"workloads[0].params.warmup=1000001",
       "workloads[0].params.warmup: must be between 0 and 1000000 round trips, got 1000001"},
      {"run.seed=-1", "run.seed: must be between 0 and 18446744073709551615, got -1"},
      {"run.quantum_ns=1000001", "run.quantum_ns: must be between 1 and 1000000 ns, got 1000001"},
      {"run.shared_pcpu_quantum_ns=0", "run.shared_pcpu_quantum_ns: must be between 1 and 1000000 ns, got 0"},
      {"run.duration_us=1000000000001", "run.duration_us: must be between 0 and 1000000000000 µs, got 1000000000001"},
  };
  for (const auto& [set, message] : cases) {
    INFO(set);
    CHECK(set_error(set) == "--set: error: " + message);
  }
}

TEST_CASE("scenario ranges: --seed is checked as run.seed is, located at --seed", "[scenario_ranges]") {
  ScenarioInput in;
  in.seed = "-1";
  try {
    load_scenario(in);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "--seed: error: run.seed: must be between 0 and 18446744073709551615, got -1");
  }
  in.seed = "0x10";
  in.sets = {"run.seed=3"};  // --seed wins over --set, as it comes after
  CHECK(load_scenario(in).run.seed == 16);
}

TEST_CASE("scenario ranges: ACRN XML numbers go through the same ranges", "[scenario_ranges]") {
  const std::string dir = std::string(IVSIM_TESTS_DIR) + "/data/acrn/";
  std::string xml = slurp(dir + "scenario-hybrid.xml");
  const std::string find = "<size>1024</size>";
  REQUIRE(xml.find(find) != std::string::npos);
  xml.replace(xml.find(find), find.size(), "<size>17592186044416</size>");
  try {
    validate_scenario_tree(read_acrn_scenario_text(xml, "bad.xml", dir + "board-8cpu.xml"));
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "bad.xml:90:13: error: vm[2]/memory/size: must be between 16 and 1048576 MiB, got 17592186044416");
  }
}
