// Configurations that validation used to pass and the run then failed on,
// with exit status 1 or a silently wrong result. Each is now a located
// error that `validate` and `run` give alike, with status 2, before anything
// is built: no report, no summary.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/scenario/cli.h"

namespace {

const std::string kScenarios = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/";
const std::string kDefault = kScenarios + "default.yaml";

struct Case {
  std::string what;
  std::string scenario;  // the scenario argument(s) validate and run share
  std::string options;   // --set ... (both commands take them)
  std::string error;     // the line, from "error:" on
};

// `validate` names the file first; `run` takes --scenario for XML.
void check_refused(const Case& c, const std::string& validate_args, const std::string& run_args) {
  INFO(c.what);
  const std::string report = cli::temp_path("refused.json");
  const cli::Result v = cli::ivsim("validate " + validate_args + " " + c.options);
  INFO(v.out);
  CHECK(v.status == 2);
  CHECK(v.out.find("error: " + c.error) != std::string::npos);
  const cli::Result r = cli::ivsim("run " + run_args + " " + c.options + " --report " + report);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("error: " + c.error) != std::string::npos);
  CHECK(r.out.find("simulated") == std::string::npos);
  CHECK_FALSE(cli::exists(report));
}

void check_refused(const Case& c) { check_refused(c, c.scenario, c.scenario); }

std::string measurement(const std::string& kind, const std::string& roles, const std::string& params) {
  // The default region then has no workload: its default pingpong keeps the
  // roles' vCPUs from colliding by running on vCPU 1 of each VM.
  return "--set vms[0].cpu_affinity=[6,7] --set vms[2].cpu_affinity=[2,3] --set 'workloads[0]={name: m, kind: " + kind +
         ", roles: {" + roles + "}, params: {" + params + "}}'";
}

}  // namespace

TEST_CASE("a VBDF the guest cannot enumerate is refused by validate and run alike") {
  const std::vector<Case> cases = {
      {"a bus other than 0", kDefault, "--set 'ivshmem[0].members[0].vbdf=\"01:08.0\"'",
       "ivshmem[0].members[0].vbdf: bus 01: guests enumerate PCI bus 0"},
      {"a function other than 0 alone on its device", kDefault, "--set 'ivshmem[0].members[0].vbdf=\"00:08.7\"'",
       "ivshmem[0].members[0].vbdf: VM RT_VM has no device at 00:08.0, so its bus scan never looks at 00:08.7"},
      {"a function other than 0 in a post-launched VM", kDefault,
       "--set 'ivshmem=[{name: hmi_rt, size_mib: 2, members: [{vm: RT_VM, vbdf: \"00:08.0\"}, {vm: HMI_VM, vbdf: "
       "\"00:08.0\"}]}, {name: extra, size_mib: 2, members: [{vm: RT_VM, vbdf: \"00:09.0\"}, {vm: HMI_VM, vbdf: "
       "\"00:08.1\"}]}]'",
       "ivshmem[1].members[1].vbdf: VM \"HMI_VM\" is post-launched: ACRN's launch script passes acrn-dm only the "
       "slot of 00:08.1, so acrn-dm creates the device at 00:08.0, which ivshmem[0].members[1] holds, and exits "
       "(\"pci slot 8:0 already occupied!\")"},
  };
  for (const auto& c : cases) check_refused(c);
}

// launch_cfg_gen.py gives acrn-dm only the slot of a post-launched VM's
// IVSHMEM device, so a function other than 0 is function 0 in the guest:
// the scenario runs, with a warning, and the guest finds the device there.
TEST_CASE("a post-launched VM's IVSHMEM device at a function other than 0 runs at function 0 of its slot") {
  const std::string report = cli::temp_path("slot.json");
  const cli::Result r =
      cli::ivsim("run " + kDefault + " --set 'ivshmem[0].members[1].vbdf=\"00:0A.3\"' --quiet --report " + report);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("ivshmem[0].members[1].vbdf") != std::string::npos);
  CHECK(r.out.find("passes acrn-dm only the slot of 00:0a.3, so the device is at 00:0a.0 in the guest") !=
        std::string::npos);
  const std::string text = cli::slurp(report);
  CHECK(text.find("\"completed\"") != std::string::npos);
  const cli::Result v = cli::ivsim("validate " + kDefault + " --set 'ivshmem[0].members[1].vbdf=\"00:0A.3\"'");
  CHECK(v.status == 0);
  CHECK(v.out.find("00:0a.0 in the guest") != std::string::npos);
}

TEST_CASE("a measurement workload that does not fit its VM is refused by validate and run alike") {
  const std::vector<Case> cases = {
      {"vmexit through MMIO without a region", kDefault, measurement("vmexit", "guest: {vm: RT_VM}", "exit: mmio"),
       "workloads[0].params.exit: exit: mmio reads a register of the region's IVSHMEM device"},
      {"memcpy_bandwidth larger than the VM's RAM", kDefault,
       measurement("memcpy_bandwidth", "copier: {vm: RT_VM}", "bytes: 4294967296"),
       "workloads[0].params.bytes: a copy of 4096 MiB (source and destination) needs the VM's RAM from 16 MiB up "
       "to 8208 MiB into it, but VM \"RT_VM\" has room for a tool's data only up to"},
      {"pointer_chase working set past the VM's RAM", kDefault,
       measurement("pointer_chase", "chaser: {vm: HMI_VM}", "working_set_bytes: 1073741824"),
       "workloads[0].params.working_set_bytes: the chain needs the VM's RAM from 16 MiB up to 1040 MiB into it, "
       "but VM \"HMI_VM\""},
      {"walk_refs working set past the VM's RAM", kDefault,
       measurement("walk_refs", "walker: {vm: RT_VM}", "working_set_mib: 1024"),
       "workloads[0].params.working_set_mib: the loads cover the VM's RAM from 0 MiB up to 1024 MiB into it, but "
       "VM \"RT_VM\" has RAM mapped only up to 510 MiB"},
      {"walk_refs base past the VM's RAM", kDefault,
       measurement("walk_refs", "walker: {vm: RT_VM}", "working_set_mib: 1, base_mib: 600"),
       "workloads[0].params.base_mib: the loads cover the VM's RAM from 600 MiB up to 601 MiB"},
      {"c2c_pingpong without a region across VMs", kDefault,
       measurement("c2c_pingpong", "ping: {vm: RT_VM}, pong: {vm: HMI_VM}", "iterations: 10"),
       "workloads[0].roles.pong.vm: without a region the line is in guest RAM, so both roles run in one VM"},
      {"ipi_pingpong across VMs", kDefault,
       measurement("ipi_pingpong", "ping: {vm: RT_VM}, pong: {vm: HMI_VM}", "iterations: 10"),
       "workloads[0].roles.pong.vm: a virtual IPI goes to a vCPU of the sender's VM"},
      {"pingpong message not a multiple of 8 bytes", kDefault, "--set workloads[0].params.message_bytes=12",
       "workloads[0].params.message_bytes: must be a multiple of 8 bytes, got 12"},
      {"doorbell on a Device Model region", kScenarios + "mixed_isolation.yaml",
       "--set workloads[1].params.notify=doorbell",
       "workloads[1].params.notify: doorbell needs the device's MSI-X, which a Device Model (dm-land) region's "
       "device does not have"},
  };
  for (const auto& c : cases) check_refused(c);
}

TEST_CASE("a platform the builder cannot make is refused by validate and run alike") {
  const std::vector<Case> cases = {
      {"two vCPUs on one pCPU under SCHED_NOOP", kDefault, "--set vms[2].cpu_affinity=[7]",
       "hypervisor.scheduler: SCHED_NOOP runs one vCPU per pCPU, but pCPU 7 has RT_VM vCPU 0, HMI_VM vCPU 0"},
      {"VM memory past the board's RAM", kDefault, "--set vms[0].memory_mib=65536",
       "vms: the pre-launched VMs' and the Service VM's memory and the IVSHMEM reservation"},
      {"a Service VM too small for acrn-dm", kDefault, "--set vms[1].memory_mib=32",
       "vms[1].memory_mib: the Service VM's 32 MiB is too small"},
      {"a post-launched VM without a Service VM", kDefault, "--set vms[1].load_order=PRE_LAUNCHED_VM",
       "vms[2].load_order: post-launched VM HMI_VM needs a SERVICE_VM to launch it"},
      {"text that is not UTF-8", kDefault, "--set \"description=$(printf 'HMI \\377')\"",
       "description: text is not valid UTF-8 (byte 4 of \"HMI \\xFF\")"},
  };
  for (const auto& c : cases) check_refused(c);
}

TEST_CASE("a board with too few physical address bits for its RAM is refused by validate and run alike") {
  const std::string data = std::string(IVSIM_TESTS_DIR) + "/data/acrn/";
  std::string board = cli::slurp(data + "board-8cpu.xml");
  const std::string bits = "<attribute id=\"physical_address_bits\">39</attribute>";
  REQUIRE(board.find(bits) != std::string::npos);
  board.replace(board.find(bits), bits.size(), "<attribute id=\"physical_address_bits\">33</attribute>");
  const std::string path = cli::temp_path("board-33bits.xml");
  std::ofstream(path) << board;
  const Case c{"33 address bits, 16 GiB of RAM", "", "",
               "board: board test-8cpu has 33 physical address bits (8192 MiB of host addresses), fewer than its "
               "16384 MiB of RAM needs"};
  check_refused(c, "--board " + path + " " + data + "scenario-hybrid.xml",
                "--board " + path + " --scenario " + data + "scenario-hybrid.xml");
  // The board file alone, as every run on it would.
  const cli::Result alone = cli::ivsim("validate " + path);
  CHECK(alone.status == 2);
  CHECK(alone.out.find(path + ": error: board test-8cpu has 33 physical address bits") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("EPT page pools cover the device windows: 4 KiB EPT leaves over a 512 MiB region run") {
  // The pool was sized for RAM alone; mapping BAR2 with 4 KiB leaves ran
  // out of pages and the roles failed (exit status 1).
  const std::string report = cli::temp_path("ept4k.json");
  const cli::Result r = cli::ivsim("run --quiet --report " + report +
                                   " --set vms[0].ept_max_page=4K --set ivshmem[0].size_mib=512"
                                   " --set workloads[0].params.iterations=10");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(cli::slurp(report).find("\"status\": \"completed\"") != std::string::npos);
  std::remove(report.c_str());
}

TEST_CASE("a timing profile or override run refuses is refused by validate alike") {
  const std::vector<Case> cases = {
      {"an unknown profile", kDefault, "--set timing.profile=nope", "timing.profile: unknown timing profile \"nope\""},
      {"an unknown override", kDefault, "--set timing.overrides.bogus=1",
       "timing.overrides.bogus: unknown timing entry \"bogus\""},
      {"an Atom-core override on a profile without Atom cores", kDefault, "--set timing.overrides.atom_l1_hit=5",
       "timing.overrides.atom_l1_hit: timing profile coffee-lake-client has no entry \"atom_l1_hit\""},
  };
  for (const auto& c : cases) check_refused(c);
}

// What ACRN's configurator would refuse but the twin can run (an RTVM's
// pCPU shared, for a what-if) is a located warning from validate and run
// alike, and the run goes ahead.
TEST_CASE("a scenario ACRN's configurator would refuse runs with a located warning naming the check") {
  const std::string set = " --set 'vms[2].cpu_affinity=[7]' --set hypervisor.scheduler=SCHED_BVT";
  const std::string report = cli::temp_path("configurator.json");
  const cli::Result v = cli::ivsim("validate " + kDefault + set);
  const cli::Result r =
      cli::ivsim("run --quiet " + kDefault + set + " --set workloads[0].params.iterations=10 --report " + report);
  const std::string want =
      "warning: vms[0].cpu_affinity: ACRN v3.3's configurator refuses to save this (cpu_assignment.xsd): pCPU 7 of "
      "RTVM "
      "RT_VM may not be shared, but VMs RT_VM, HMI_VM all run on it; the twin runs it as given";
  for (const cli::Result* x : {&v, &r}) {
    INFO(x->out);
    CHECK(x->status == 0);
    CHECK(x->out.find(kDefault + ":21:") != std::string::npos);
    CHECK(x->out.find(want) != std::string::npos);
  }
  std::remove(report.c_str());
}
