// hypervisor.max_emulated_mmio (MAX_EMULATED_MMIO): a VM's emulated MMIO
// nodes. In the default scenario each VM takes the ECAM window's node and
// its vIOAPIC's at creation, and its IVSHMEM device two more when the guest
// maps BAR0 and BAR1 (the MSI-X table): four in all.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/scenario/cli.h"

namespace {

struct Run {
  std::string out;
  nlohmann::json report;
};

// The default scenario, ten round trips; `status`: the exit status expected
// (4: a workload stalled).
Run run_default(unsigned nodes, const char* notify, int status = 0) {
  const cli::RunAndReport r = cli::run_and_report("--set hypervisor.max_emulated_mmio=" + std::to_string(nodes) +
                                                      " --set workloads[0].params.notify=" + notify +
                                                      " --set workloads[0].params.iterations=10"
                                                      " --set hypervisor.console_loglevel=5",
                                                  "emulated-mmio.json", status);
  return {r.out, nlohmann::json::parse(r.report)};
}

const nlohmann::json& vm_named(const nlohmann::json& report, const std::string& name) {
  for (const auto& v : report["vms"])
    if (v["name"] == name) return v;
  FAIL("no VM " << name);
  return report;
}

bool logged(const nlohmann::json& report, const std::string& text) {
  if (!report.contains("hv_console_log")) return false;
  for (const auto& line : report["hv_console_log"]["first"])
    if (line.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("with one node too few, the MSI-X table goes unregistered and the doorbell never interrupts") {
  const Run r = run_default(3, "doorbell", 4);
  INFO(r.out);
  CHECK(r.report["scenario"]["hypervisor"]["max_emulated_mmio"] == 3);
  // Both ends: the pre-launched RT_VM's device at boot, HMI_VM's at its launch.
  CHECK(vm_named(r.report, "RT_VM")["mmio_registrations_failed"] == 1);
  CHECK(vm_named(r.report, "HMI_VM")["mmio_registrations_failed"] == 1);
  // The guest's MSI-X table writes reach no handler: the RT VM's vanish.
  CHECK(vm_named(r.report, "RT_VM")["unhandled_mmio"].get<unsigned>() > 0);
  CHECK(r.report["workloads"][0]["status"] == "stalled");
  // find_match_mmio_node's pr_info is all ACRN says of it.
  CHECK(logged(r.report, "[sev=5]"));
  CHECK(logged(r.report, "find_match_mmio_node, vm[0] no match mmio region [0x0, 0x0] is found"));
  CHECK(logged(r.report, "find_match_mmio_node, vm[2] no match mmio region [0x0, 0x0] is found"));
  CHECK(r.out.find("VM RT_VM needs 4 emulated MMIO nodes") != std::string::npos);
}

TEST_CASE("with the nodes a VM needs, the doorbell works, and polling needs no node beyond BAR2 mapped") {
  Run r = run_default(4, "doorbell");
  INFO(r.out);
  CHECK(r.report["workloads"][0]["status"] == "completed");
  CHECK_FALSE(vm_named(r.report, "RT_VM").contains("mmio_registrations_failed"));
  CHECK_FALSE(logged(r.report, "[0x0, 0x0]"));
  CHECK(r.out.find("emulated MMIO nodes") == std::string::npos);
  // The first BAR write unregisters a range never registered: the same
  // pr_info, naming it (vpci_update_one_vbar unmaps before it maps).
  CHECK(logged(r.report, "find_match_mmio_node, vm[0] no match mmio region [0x80000000, 0x80000100] is found"));

  r = run_default(3, "poll");
  CHECK(r.report["workloads"][0]["status"] == "completed");
  CHECK(vm_named(r.report, "RT_VM")["mmio_registrations_failed"] == 1);
}
