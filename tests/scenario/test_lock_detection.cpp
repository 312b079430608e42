// SPLIT_LOCK_DETECTION_ENABLED and UC_LOCK_DETECTION_ENABLED: read and
// echoed, and, on a CPU that may have the detection, a bus lock of that kind
// says once per vCPU that ACRN would trap and emulate it (which the twin does
// not model). On a CPU without IA32_CORE_CAPABILITIES the options cannot act
// in ACRN either, and nothing is said.
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kLab = std::string(IVSIM_TESTS_DIR) + "/../docs/labs/files/buslock.yaml";
const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/acrn";
const std::string kSplitWarning = "locks the bus. With SPLIT_LOCK_DETECTION_ENABLED";
const std::string kUcWarning = "locks the bus. With UC_LOCK_DETECTION_ENABLED";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

cli::Result run_lab(const std::string& sets, const std::string& report = "''") {
  return cli::ivsim("run --quiet --report " + report + " " + kLab +
                    " --set workloads[1].params.split_lock_percent=1 --set workloads[1].params.iterations=20000"
                    " --set workloads[0].params.iterations=200 " +
                    sets);
}

}  // namespace

TEST_CASE(
    "split-lock detection on: a split lock warns once per vCPU and not when off or with UC-lock detection alone") {
  const std::string report = cli::temp_path("lock-detection.json");
  const cli::Result on = run_lab("--set hypervisor.split_lock_detection=true", report);
  INFO(on.out);
  REQUIRE(on.status == 0);
  CHECK(count(on.out, kSplitWarning) == 1);
  CHECK(on.out.find("vm3_Neighbour_VM_vcpu0: a split lock") != std::string::npos);
  const auto j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  CHECK(j["scenario"]["hypervisor"]["split_lock_detection"] == true);
  CHECK_FALSE(j["scenario"]["hypervisor"].contains("uc_lock_detection"));
  // Still a bus lock: the report counts it.
  long long locks = 0;
  for (const auto& vm : j["vms"])
    for (const auto& v : vm["vcpus"]) locks += v.value("bus_locks", 0LL);
  CHECK(locks > 0);

  const cli::Result off = run_lab("");
  REQUIRE(off.status == 0);
  CHECK(count(off.out, "locks the bus.") == 0);
  // The split lock is on write-back memory: UC-lock detection is not about it.
  const cli::Result uc = run_lab("--set hypervisor.uc_lock_detection=true");
  REQUIRE(uc.status == 0);
  CHECK(count(uc.out, "locks the bus.") == 0);
}

TEST_CASE("lock detection says nothing on a CPU without IA32_CORE_CAPABILITIES and warns on one with it") {
  const std::string workloads = cli::temp_path("lock-w.yaml");
  std::ofstream(workloads) << "workloads:\n"
                              "  - name: locker\n"
                              "    kind: noisy\n"
                              "    roles:\n"
                              "      neighbour: { vm: POST_STD_VM2, vcpu: 0 }\n"
                              "    params: { working_set_bytes: 65536, iterations: 2000, split_lock_percent: 5 }\n";
  // The fixture board lists its CPU's capabilities, IA32_CORE_CAPABILITIES
  // not among them; the same board with it.
  std::string board = cli::slurp(kData + "/board-8cpu.xml");
  const std::string vmx = R"(<capability id="vmx"/>)";
  REQUIRE(board.find(vmx) != std::string::npos);
  const std::string with_msr = cli::temp_path("lock-board.xml");
  std::ofstream(with_msr) << board.replace(board.find(vmx), vmx.size(),
                                           vmx + R"(<capability id="ia32_core_capabilities"/>)");
  const std::string args = " --scenario " + kData + "/scenario-hybrid.xml --workloads " + workloads +
                           " --set hypervisor.split_lock_detection=true";

  const cli::Result without = cli::ivsim("run --quiet --report '' --board " + kData + "/board-8cpu.xml" + args);
  INFO(without.out);
  REQUIRE(without.status == 0);
  CHECK(count(without.out, kSplitWarning) == 0);
  const cli::Result shown = cli::ivsim("show --board " + kData + "/board-8cpu.xml" + args);
  CHECK(shown.out.find("split-lock detection (no effect: the CPU has no IA32_CORE_CAPABILITIES)") != std::string::npos);

  const cli::Result with = cli::ivsim("run --quiet --report '' --board " + with_msr + args);
  INFO(with.out);
  REQUIRE(with.status == 0);
  CHECK(count(with.out, kSplitWarning) == 1);
  CHECK(count(with.out, kUcWarning) == 0);
  std::remove(workloads.c_str());
  std::remove(with_msr.c_str());
}
