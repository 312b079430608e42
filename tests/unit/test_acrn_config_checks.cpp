// What ACRN v3.3's configurator checks (schema/checks/cpu_assignment.xsd,
// vm_types.xsd) would report about a scenario the twin still runs.
#include <catch2/catch.hpp>

#include "sim/acrn_config_checks.h"

using namespace ivsim;

namespace {

// A hybrid board: pCPUs 0-3 performance cores, 4-7 efficiency cores.
Board hybrid_board() {
  Board b;
  for (unsigned i = 0; i < 8; ++i) {
    PhysicalCpu c;
    c.id = i;
    c.core = i;
    c.core_type = i < 4 ? "Core" : "Atom";
    b.pcpus.push_back(c);
  }
  return b;
}

// RT (pre-launched RTVM, pCPU 1), the Service VM (every pCPU) and HMI (post-launched, pCPU 2).
Scenario valid() {
  Scenario s;
  VmConfig rt = make_vm(0, "RT", LoadOrder::pre_launched, {1}, 512);
  rt.vm_type = "RTVM";
  s.vms = {rt, make_vm(1, "SOS", LoadOrder::service_vm, {0, 1, 2, 3, 4, 5, 6, 7}, 1024),
           make_vm(2, "HMI", LoadOrder::post_launched, {2}, 512)};
  return s;
}

std::string all(const std::vector<ConfiguratorFinding>& fs) {
  std::string out;
  for (const auto& f : fs) out += f.path + " [" + f.check + (f.error ? " error" : " warning") + "] " + f.message + "\n";
  return out;
}

}  // namespace

TEST_CASE("configurator checks: a valid scenario has no findings, the Service VM sharing every pCPU included") {
  CHECK(acrn_configurator_findings(valid(), hybrid_board()).empty());
}

TEST_CASE("configurator checks: CPU affinity as cpu_assignment.xsd checks it") {
  const Board b = hybrid_board();
  SECTION("an RTVM's pCPU shared with another VM") {
    Scenario s = valid();
    s.vms[2].pcpus = {1};
    const auto f = acrn_configurator_findings(s, b);
    INFO(all(f));
    REQUIRE(f.size() == 1);
    CHECK(f[0].path == "vms[0].cpu_affinity");
    CHECK(f[0].error);
    CHECK(f[0].message == "pCPU 1 of RTVM RT may not be shared, but VMs RT, HMI all run on it");
  }
  SECTION("a VM that owns its pCPUs shares one") {
    Scenario s = valid();
    s.vms[0].vm_type = "STANDARD_VM";
    s.vms[2].own_pcpu = true;
    s.vms[2].pcpus = {1, 2};
    const auto f = acrn_configurator_findings(s, b);
    INFO(all(f));
    REQUIRE(f.size() == 1);
    CHECK(f[0].path == "vms[2].cpu_affinity");
    CHECK(f[0].message.find("pCPU 1 belongs to HMI, which owns its pCPUs (own_pcpu)") == 0);
  }
  SECTION("CPU 0 in an RTVM, and cores of both types in one VM") {
    Scenario s = valid();
    s.vms[0].pcpus = {0};
    s.vms[2].pcpus = {3, 4};
    const auto f = acrn_configurator_findings(s, b);
    INFO(all(f));
    REQUIRE(f.size() == 2);
    CHECK(f[0].message == "CPU 0 can not be assigned to RTVM RT");
    CHECK(f[1].path == "vms[2].cpu_affinity");
    CHECK(f[1].message.find("mix performance (Core) and efficiency (Atom) cores") != std::string::npos);
  }
}

TEST_CASE("configurator checks: the vUART timer's pCPU in a LAPIC-passthrough VM is a warning") {
  const Board b = hybrid_board();
  Scenario s = valid();
  s.vms[0].lapic_passthrough = true;                // RT on pCPU 1
  CHECK(acrn_configurator_findings(s, b).empty());  // the timer on pCPU 0
  s.vuart_timer_pcpu = 1;
  const auto f = acrn_configurator_findings(s, b);
  INFO(all(f));
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == "hypervisor.vuart_timer_pcpu");
  CHECK_FALSE(f[0].error);
  CHECK(f[0].message ==
        "physical CPU 1 hosting the vUART timer is assigned to a LAPIC passthrough VM (RT); the console may be laggy");
  s.vms[0].lapic_passthrough = false;
  CHECK(acrn_configurator_findings(s, b).empty());
}

TEST_CASE("configurator checks: VM ids and RTVMs as vm_types.xsd checks them") {
  const Board b = hybrid_board();
  Scenario s = valid();
  s.vms[0].id = 3;  // pre-launched above the Service VM
  s.vms[2].id = 0;  // post-launched below it
  VmConfig rt2 = make_vm(4, "RT2", LoadOrder::pre_launched, {5}, 512);
  rt2.vm_type = "RTVM";
  VmConfig post_rt = make_vm(5, "PRT", LoadOrder::post_launched, {6}, 512);
  post_rt.vm_type = "RTVM";
  s.vms.push_back(rt2);
  s.vms.push_back(post_rt);
  const auto f = acrn_configurator_findings(s, b);
  INFO(all(f));
  REQUIRE(f.size() == 5);
  CHECK(f[0].path == "vms[0].id");
  CHECK(f[0].message == "pre-launched VM RT (ID 3) must have an ID below the Service VM's (1)");
  CHECK(f[1].path == "vms[2].id");
  CHECK(f[2].path == "vms[3].id");  // RT2, id 4
  CHECK(f[3].path == "vms[3].vm_type");
  CHECK_FALSE(f[3].error);
  CHECK(f[3].message == "ACRN supports at most one pre-launched RTVM, and RT, RT2 are");
  CHECK(f[4].path == "vms[4].vm_type");
  CHECK(f[4].message == "pre-launched RTVMs (RT, RT2) and post-launched RTVMs (PRT) may not coexist");
}
