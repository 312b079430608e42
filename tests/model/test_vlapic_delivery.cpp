// Interrupt addressing and delivery as ACRN's vlapic.c does it, driven by
// guest programs: every vCPU has its pCPU's APIC ID (vlapic_create), which a
// guest reads from the x2APIC ID MSR, the xAPIC ID register or CPUID; MSIs
// are matched against APIC IDs and logical destinations and accepted only in
// fixed and lowest-priority mode (vlapic_receive_intr); IPIs by mode as
// vlapic_write_icrlo; LAPIC passthrough as physical IPIs
// (inject_msi_for_lapic_pt, vlapic_x2apic_pt_icr_access).
#include <systemc>

#include <cmath>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

// two_vm_scenario on cfl-k700-i7: RT_VM on pCPU 3 (APIC ID 0x6), HMI_VM on
// pCPU 5 (APIC ID 0xA), as the board file's apic_id says.
constexpr u32 kRtApicId = 0x6;

IvshmemDevice& hv_device(Platform& p, VmId vm) {
  for (const auto& d : p.hypervisor().ivshmem_devices())
    if (d->vm().id == vm) return *d;
  throw std::logic_error("no device");
}

// An MSI-X entry 0 of RT_VM's device pointed at (addr, data); HMI_VM rings it.
struct Ring {
  u64 addr;
  u32 data;
};

}  // namespace

TEST_CASE("a vCPU's APIC ID is its pCPU's, read through the xAPIC ID register, the x2APIC ID MSR and CPUID") {
  test::Bench b(test::two_vm_scenario());
  u32 xapic = 0, x2apic = 0, leaf1 = 0, leaf_b = 0, signature = 0, features = 0;
  u64 loads = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    xapic = g.load<u32>(0xFEE0'0020) >> 24;  // xAPIC mode at reset (vlapic_reset)
    g.enable_x2apic();                       // vlapic_set_apicbase
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)];
    loads = c.counters().loads;
    x2apic = static_cast<u32>(g.rdmsr(0x802));
    // Read from the virtual-APIC page: no exit.
    CHECK(c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)] == before);
    CHECK(c.counters().loads == loads + 1);
    const auto l1 = g.cpuid(1);
    leaf1 = l1[1] >> 24;  // guest_cpuid: EBX[31:24] the initial APIC ID
    signature = l1[0];
    features = l1[2];
    leaf_b = g.cpuid(0xB)[3];     // EDX: the x2APIC ID
  });
  sc_core::sc_start();
  CHECK(xapic == kRtApicId);
  CHECK(x2apic == kRtApicId);
  CHECK(leaf1 == kRtApicId);
  // guest_cpuid_01h: the host's signature (the board's family 6 and model,
  // extended model in bits 19:16), x2APIC, TSC deadline, hypervisor present.
  const Board& board = b.platform->board();
  REQUIRE(board.model_id > 0xF);  // so the extended model bits are tested
  CHECK(signature == (((board.model_id >> 4) << 16) | (6u << 8) | ((board.model_id & 0xFu) << 4)));
  CHECK(features == ((1u << 21) | (1u << 24) | (1u << 31)));
  CHECK(leaf_b == kRtApicId);
  CHECK(b.vm(0).exits[static_cast<std::size_t>(ExitReason::cpuid)] == 2);
  CHECK(b.vm(0).exits[static_cast<std::size_t>(ExitReason::msr_write)] == 1);  // the APIC base
}

// The hypervisor's CPUID leaves (set_vcpuid_extended_function): the
// signature, the Service VM's privilege flag or a User VM's Hyper-V leaves
// (HYPERV_ENABLED, hyperv_init_vcpuid_entry), the TSC frequency in kHz.
namespace {
using Regs = std::array<u32, 4>;
constexpr u32 kAcrn = 0x4E52'4341;  // "ACRN"

struct HypervisorLeaves {
  Regs top, user_caps, user_features, user_vps, timing, service_caps, service_features;
  u32 tsc_khz;
  std::size_t pcpus;
};

HypervisorLeaves read_hypervisor_leaves(bool hyperv) {
  Scenario s = test::two_vm_scenario();
  s.hyperv = hyperv;
  test::Bench b(s);
  HypervisorLeaves r{};
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    r.top = g.cpuid(0x40000000);
    r.user_caps = g.cpuid(0x40000001);
    r.user_features = g.cpuid(0x40000003);
    r.user_vps = g.cpuid(0x40000005);
    r.timing = g.cpuid(0x40000010);
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    r.service_caps = g.cpuid(0x40000001);
    r.service_features = g.cpuid(0x40000003);
  });
  sc_core::sc_start();
  r.tsc_khz = static_cast<u32>(b.timing.core_clock.mhz() * 1000);
  r.pcpus = b.platform->board().pcpus.size();
  CHECK(r.top == Regs{0x40000010, kAcrn, kAcrn, kAcrn});
  CHECK(r.timing == Regs{r.tsc_khz, 0, 0, 0});
  CHECK(r.service_caps == Regs{1, 0, 0, 0});  // GUEST_CAPS_PRIVILEGE_VM, Hyper-V or not
  return r;
}
}  // namespace

TEST_CASE("CPUID from 0x40000000 names ACRN and gives User VMs the Hyper-V interface and every VM its leaves") {
  const HypervisorLeaves r = read_hypervisor_leaves(true);
  CHECK(r.user_caps == Regs{0x3123'7648, 0, 0, 0});  // "Hv#1"
  CHECK(r.user_features == Regs{0xA62, 0, 0, 0x100});
  CHECK(r.service_features == r.user_features);                   // 0x40000002-6 are every VM's
  CHECK(r.user_vps == Regs{static_cast<u32>(r.pcpus), 0, 0, 0});  // MAX_VCPUS_PER_VM: MAX_PCPU_NUM
}

TEST_CASE("CPUID from 0x40000000 without HYPERV_ENABLED gives User VMs no Hyper-V leaves") {
  const HypervisorLeaves r = read_hypervisor_leaves(false);
  CHECK(r.user_caps == Regs{});
  // No entry for 0x40000002-6 then: find_vcpuid_entry answers them as the
  // highest basic leaf, 0x16 (TSC MHz twice, a 100 MHz bus).
  const Regs leaf_16{r.tsc_khz / 1000, r.tsc_khz / 1000, 100, 0};
  CHECK(r.user_features == leaf_16);
  CHECK(r.service_features == leaf_16);
  CHECK(r.user_vps == leaf_16);
}

// set_vcpuid_entries and find_vcpuid_entry: leaf 0 reports at least 0x16
// and the vendor; 0x16 comes from the TSC; a leaf above the highest basic
// or extended leaf with no entry is answered as the highest basic leaf.
TEST_CASE("CPUID leaf 0 reports 0x16 and GenuineIntel and a leaf past the highest answers as leaf 0x16") {
  test::Bench b(test::two_vm_scenario());
  Regs leaf0{}, leaf16{}, leaf17{}, hv_past{}, ext_top{}, ext_past{}, leaf19{};
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    leaf0 = g.cpuid(0);
    leaf16 = g.cpuid(0x16);
    leaf17 = g.cpuid(0x17);
    hv_past = g.cpuid(0x40000011);
    ext_top = g.cpuid(0x80000000);
    ext_past = g.cpuid(0x80000009);
    leaf19 = g.cpuid(0x19);  // per vCPU (is_percpu_related): never sent to 0x16
  });
  sc_core::sc_start();
  char vendor[13] = {};
  std::memcpy(vendor, &leaf0[1], 4);
  std::memcpy(vendor + 4, &leaf0[3], 4);
  std::memcpy(vendor + 8, &leaf0[2], 4);
  CHECK(leaf0[0] == 0x16);
  CHECK(std::string(vendor) == "GenuineIntel");
  const u32 tsc_mhz = static_cast<u32>(b.timing.tsc_clock.mhz() * 1000) / 1000;  // get_tsc_khz / 1000
  CHECK(leaf16 == Regs{tsc_mhz, tsc_mhz, 100, 0});
  CHECK(leaf17 == leaf16);
  CHECK(hv_past == leaf16);
  CHECK(ext_top == Regs{0x80000008, 0, 0, 0});
  CHECK(ext_past == leaf16);
  CHECK(leaf19 == Regs{});
  CHECK(b.vm(0).exits[static_cast<std::size_t>(ExitReason::cpuid)] == 7);
}

TEST_CASE("a LAPIC-passthrough VM's x2APIC ID read exits: ACRN intercepts it") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  u32 id = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    id = static_cast<u32>(g.rdmsr(0x802));
  });
  sc_core::sc_start();
  CHECK(id == kRtApicId);
  // The APIC base read of enable_x2apic and the ID read (vlapic_x2apic_read).
  CHECK(b.vm(0).exits[static_cast<std::size_t>(ExitReason::msr_read)] == 2);
}

TEST_CASE("an x2APIC MSR in xAPIC mode gets #GP: the guest program stops and the report counts it") {
  test::Bench b(test::two_vm_scenario());
  std::string error;
  bool after = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    try {
      g.wrmsr(0x830, (u64{kRtApicId} << 32) | 0x40);  // the ICR, without enabling x2APIC
      after = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  sc_core::sc_start();
  CHECK_FALSE(after);
  CHECK(error.find("#GP") == 0);
  CHECK(b.vm(0).faults_injected == 1);
  CHECK(b.vm(0).interrupts_received == 0);
}

TEST_CASE("an MSI reaches the vCPU whose APIC ID it names, and no other") {
  test::Bench b(test::two_vm_scenario());
  int handled = 0;
  std::vector<std::string> dropped;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.on_interrupt(0x41, [&](Guest&) { ++handled; });
    // Entry v of the MSI-X table: to APIC 6 (us), 0 (no such vCPU), 0xA
    // (HMI_VM's pCPU, another VM), 0xFF (not a broadcast for an MSI).
    const u32 ids[] = {kRtApicId, 0, 0xA, 0xFF};
    for (u16 v = 0; v < 4; ++v) ivshmem_setup_msix(g, *d, v, msi_address(ids[v]), 0x41);
    for (u16 v = 0; v < 4; ++v) ivshmem_write_doorbell(g, *d, 0, v);
    g.compute(100'000);
  });
  sc_core::sc_start();
  CHECK(handled == 1);
  const DoorbellStats& s = hv_device(*b.platform, 0).region().doorbells;
  CHECK(s.delivered == 1);
  CHECK(s.dropped.at("msi_no_destination") == 3);
  CHECK(b.vm(2).interrupts_received == 0);
  // vm_apicid2vcpu_id's pr_err for each APIC ID no vCPU of the VM has, in
  // the doorbell's exit (the sender's thread), in decimal.
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 3);
  // seq 1 and 2: the probe's first writes of BAR0 and BAR1, which unregister
  // ranges never registered (find_match_mmio_node's pr_info, memory log only).
  const char* bad[] = {"0", "10", "255"};
  for (unsigned i = 0; i < 3; ++i)
    CHECK(log.first_lines().at(i).find(std::string("[vm0:vcpu0][sev=3][seq=") + std::to_string(i + 3) +
                                       "]:vm_apicid2vcpu_id: bad lapicid " + bad[i]) != std::string::npos);
}

TEST_CASE("an MSI in NMI, SMI or INIT mode is dropped, fixed and lowest priority are delivered (vlapic_receive_intr)") {
  test::Bench b(test::two_vm_scenario());
  int handled = 0, nmis = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.on_interrupt(0x42, [&](Guest&) { ++handled; });
    g.on_interrupt(kNmiVector, [&](Guest&) { ++nmis; });
    const u32 modes[] = {0 /*fixed*/, 1 /*lowest priority*/, 2 /*SMI*/, 4 /*NMI*/, 5 /*INIT*/};
    for (u16 v = 0; v < 5; ++v) ivshmem_setup_msix(g, *d, v, msi_address(g.apic_id()), (modes[v] << 8) | 0x42);
    for (u16 v = 0; v < 5; ++v) {
      ivshmem_write_doorbell(g, *d, 0, v);
      g.compute(10'000);
    }
  });
  sc_core::sc_start();
  CHECK(handled == 2);
  CHECK(nmis == 0);
  const DoorbellStats& s = hv_device(*b.platform, 0).region().doorbells;
  CHECK(s.delivered == 2);
  CHECK(s.dropped.at("msi_delivery_mode") == 3);
  CHECK(b.vm(0).msi_mode_dropped == 3);
}

TEST_CASE("a lowest-priority MSI to an x2APIC cluster destination goes to the matching vCPU with the lower processor priority") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {1, 2};  // RT_VM: vCPU 0 (APIC 2), vCPU 1 (APIC 4): cluster 0, LDR bits 2 and 4
  test::Bench b(s);
  int on0 = 0, on1 = 0;
  bool ready1 = false, armed = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();  // vlapic_build_x2apic_id: LDR = cluster << 16 | 1 << (ID & 0xF)
    CHECK(g.rdmsr(0x80D) == (1u << 2));
    g.on_interrupt(0x51, [&](Guest&) { ++on0; });
    g.set_task_priority(0x40);  // busier: a higher processor priority
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, 0xFEE0'0000ULL | 0x4 | (u64{(1u << 2) | (1u << 4)} << 12), (1u << 8) | 0x51);
    while (!ready1) g.compute(1000);
    armed = true;
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(100'000);
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x51, [&](Guest&) { ++on1; });
    ready1 = true;
    while (!armed) g.compute(1000);
    g.compute(100'000);
  });
  sc_core::sc_start();
  CHECK(on0 == 0);
  CHECK(on1 == 1);
}

TEST_CASE("lowest priority among xAPIC flat logical destinations picks the lower PPR") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int on0 = 0, on1 = 0;
  bool ready1 = false, armed = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u32>(0xFEE0'00D0, 1u << 24);  // LDR: logical ID bit 0 (flat model, the DFR's reset value)
    g.on_interrupt(0x51, [&](Guest&) { ++on0; });
    g.set_task_priority(0x40);
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, 0xFEE0'0000ULL | 0x4 | (u64{0x3} << 12), (1u << 8) | 0x51);  // logical 0b11
    while (!ready1) g.compute(1000);
    armed = true;
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(100'000);
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u32>(0xFEE0'00D0, 2u << 24);  // logical ID bit 1
    g.on_interrupt(0x51, [&](Guest&) { ++on1; });
    ready1 = true;
    while (!armed) g.compute(1000);
    g.compute(100'000);
  });
  sc_core::sc_start();
  CHECK(on0 == 0);  // PPR 0x40
  CHECK(on1 == 1);  // PPR 0: the lowest
}

TEST_CASE("IPIs by ICR mode: fixed and NMI delivered (NMI past the task priority), lowest priority and SMI ignored") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int fixed = 0, nmis = 0;
  u64 kick_exits = 0;
  bool ready = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++fixed; });
    g.on_interrupt(kNmiVector, [&](Guest&) { ++nmis; });
    g.set_task_priority(0xF0);  // blocks every vector, not an NMI
    const u64 exits = c.counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)];
    ready = true;
    g.compute(200'000);
    kick_exits = c.counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)] - exits;
    g.set_task_priority(0);
    g.compute(10'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 to_peer = u64{8} << 32;  // vCPU 1's APIC ID (pCPU 4)
    g.wrmsr(0x830, to_peer | (0u << 8) | 0x61);  // fixed
    g.wrmsr(0x830, to_peer | (4u << 8) | 0x00);  // NMI
    g.wrmsr(0x830, to_peer | (1u << 8) | 0x61);  // lowest priority: "Unhandled icrlo write"
    g.wrmsr(0x830, to_peer | (2u << 8) | 0x61);  // SMI: "do not support"
  });
  sc_core::sc_start();
  CHECK(nmis == 1);
  // vcpu_inject_nmi kicks (kick_vcpu): the NMI exits the computing vCPU;
  // the fixed IPI is a posted interrupt, with no exit.
  CHECK(kick_exits == 1);
  CHECK(fixed == 1);  // once the task priority drops
  CHECK(b.vm(0).ipis_dropped == 2);
  CHECK(b.vm(0).nmis_received == 1);
  // The lowest-priority IPI's pr_err reaches the debug build's serial
  // console (level 3); the SMI's pr_info takes a seq but does not.
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("][vm0:vcpu0][sev=3][seq=1]:Unhandled icrlo write with mode 256") !=
        std::string::npos);
}

TEST_CASE("an INIT IPI resets a sibling vCPU into wait-for-SIPI and a SIPI starts its program again") {
  // vlapic_process_init_sipi, as a guest kernel onlines a CPU: INIT
  // (assert), INIT (de-assert), SIPI, SIPI.
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int starts = 0;
  bool ready = false, first_run_ended = false;
  u64 apic_base_after = 0, ldr_before = 0;
  int ldr_read_fault = -1;
  std::string waiting;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    if (++starts == 1) {
      g.enable_x2apic();
      ldr_before = g.rdmsr(0x80D);
      ready = true;
      g.compute(10'000'000);
      first_run_ended = true;
      return;
    }
    apic_base_after = g.rdmsr(0x1B);
    try {
      g.rdmsr(0x80D);
    } catch (const GuestFault& f) {
      ldr_read_fault = f.vector;
    }
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 to_peer = u64{8} << 32;  // vCPU 1's APIC ID (pCPU 4)
    g.wrmsr(0x830, to_peer | 0x4500);  // INIT, level assert
    g.compute(100'000);
    waiting = b.cpu("RT_VM", 1).waiting_on();
    g.wrmsr(0x830, to_peer | 0x8500);         // INIT, level de-assert: nothing
    g.wrmsr(0x830, to_peer | 0x0600 | 0x10);  // SIPI, entry 0x10000: starts it
    g.compute(10'000);
    g.wrmsr(0x830, to_peer | 0x0600 | 0x10);  // the second SIPI finds it running
  });
  sc_core::sc_start();
  CHECK(starts == 2);
  CHECK_FALSE(first_run_ended);  // its program unwound at the INIT
  CHECK(waiting.find("in wait-for-SIPI: an INIT IPI reset it") == 0);
  // vlapic_reset(INIT_RESET): x2APIC mode kept, the LDR cleared and not built again.
  CHECK((apic_base_after & VLapic::kApicBaseExtd) != 0);
  CHECK(ldr_before != 0);
  CHECK(b.vm(0).vlapics.at(1)->ldr() == 0);
  // The SIPI's init_vmcs intercepts every x2APIC MSR again, and
  // vlapic_x2apic_read serves an APICv vCPU only the current count: #GP.
  CHECK(b.cpu("RT_VM", 1).vmcs().msr_bitmap.intercepts(0x80D, false));
  CHECK(ldr_read_fault == kVectorGp);
  CHECK(b.cpu("RT_VM", 1).counters().init_resets == 1);
  CHECK(b.cpu("RT_VM", 1).counters().sipi_starts == 1);
  CHECK(b.vm(0).ipis_dropped == 2);  // the de-assert and the second SIPI
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("][vm0:vcpu0][sev=3][seq=1]:Start Secondary VCPU1 for VM[0]...") !=
        std::string::npos);
}

// vlapic_process_init_sipi resets the target at the INIT (reset_vcpu(INIT_RESET)
// -> vlapic_reset), not at the SIPI: until the guest's new boot enables its
// vLAPIC, vlapic_accept_intr ignores a fixed interrupt, a logical
// destination (LDR 0) matches it no more, and its timer is cancelled.
TEST_CASE(
    "an INIT resets the vLAPIC at once: before the SIPI it ignores interrupts, matches no logical destination "
    "and its timer never fires") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int starts = 0, handled = 0;
  bool ready = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(0x61, [&](Guest&) { ++handled; });
    g.on_interrupt(0x62, [&](Guest&) { ++handled; });
    if (++starts == 1) {
      g.enable_x2apic();
      g.wrmsr(0x832, (u64{2} << 17) | 0x62);  // LVT timer: TSC-deadline mode, vector 0x62
      g.wrmsr(0x6E0, g.rdtsc() + 1'000'000);  // due while the vCPU waits for its SIPI
      ready = true;
      g.compute(10'000'000);
      return;
    }
    g.compute(100'000);  // enabled again by its new boot: nothing left pending
  });
  bool enabled_after_init = true, armed_after_init = true;
  u32 ldr_after_init = ~0u;
  u64 received_before = 0, received_physical = 0, received_logical = 0;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 to_peer = u64{8} << 32;  // vCPU 1's APIC ID (pCPU 4): cluster 0, logical ID 8
    g.wrmsr(0x830, to_peer | 0x4500);  // INIT, level assert
    const VLapic& peer = *b.vm(0).vlapics.at(1);
    enabled_after_init = peer.software_enabled();
    armed_after_init = peer.timer_armed();
    ldr_after_init = peer.ldr();
    received_before = b.vm(0).interrupts_received;
    g.wrmsr(0x830, to_peer | 0x61);  // fixed, physical: reaches the vLAPIC, which ignores it
    received_physical = b.vm(0).interrupts_received - received_before;
    g.wrmsr(0x830, (u64{1u << 8} << 32) | 0x0800 | 0x61);  // fixed, logical: its old LDR's bit
    received_logical = b.vm(0).interrupts_received - received_before - received_physical;
    g.compute(4'000'000);                     // past the timer's deadline
    g.wrmsr(0x830, to_peer | 0x0600 | 0x10);  // SIPI
  });
  sc_core::sc_start();
  CHECK(starts == 2);
  CHECK_FALSE(enabled_after_init);
  CHECK_FALSE(armed_after_init);
  CHECK(ldr_after_init == 0);
  CHECK(received_physical == 1);
  CHECK(received_logical == 0);
  const VcpuCounters& k = b.cpu("RT_VM", 1).counters();
  CHECK(k.interrupts_ignored == 1);
  CHECK(k.timer_interrupts == 0);
  CHECK(handled == 0);
}

// vcpu_inject_nmi makes the request ACRN_REQUEST_NMI, a bit: NMIs sent
// while one waits for injection (here: while the guest's NMI handler blocks
// NMIs, is_nmi_injectable false) are one NMI, injected after the handler.
TEST_CASE("NMIs sent while one is pending are one NMI (ACRN_REQUEST_NMI)") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int nmis = 0;
  bool ready = false, in_handler = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kNmiVector, [&](Guest& h) {
      ++nmis;
      in_handler = true;
      h.compute(1'000'000);
      in_handler = false;
    });
    ready = true;
    g.compute(20'000'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 nmi_to_peer = (u64{8} << 32) | (4u << 8);  // vCPU 1's APIC ID, NMI
    g.wrmsr(0x830, nmi_to_peer);
    while (!in_handler) g.compute(1000);
    g.wrmsr(0x830, nmi_to_peer);  // both wait for the handler's end
    g.wrmsr(0x830, nmi_to_peer);
  });
  sc_core::sc_start();
  CHECK(b.vm(0).nmis_received == 3);
  CHECK(nmis == 2);
}

// reset_vcpu leaves pending_req alone: an NMI sent to a vCPU waiting for
// its SIPI is injected at the first VM entry after the SIPI.
TEST_CASE("an NMI sent between an INIT and the SIPI is taken when the vCPU starts again") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  int starts = 0;
  bool ready = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    if (++starts == 1) {
      g.enable_x2apic();
      ready = true;
      g.compute(10'000'000);
      return;
    }
    g.compute(100'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 to_peer = u64{8} << 32;
    g.wrmsr(0x830, to_peer | 0x4500);     // INIT, level assert
    g.wrmsr(0x830, to_peer | (4u << 8));  // NMI: pending over the reset
    g.compute(100'000);
    g.wrmsr(0x830, to_peer | 0x0600 | 0x10);  // SIPI
  });
  sc_core::sc_start();
  CHECK(starts == 2);
  CHECK(b.cpu("RT_VM", 1).counters().nmis == 1);
}

TEST_CASE("an offline Service VM vCPU is no IPI destination: a broadcast skips it, its APIC ID is a bad lapicid") {
  // foreach_vcpu skips VCPU_OFFLINE: vm_active_cpus for the shorthands and
  // broadcasts, vm_apicid2vcpu_id for a physical destination.
  Scenario s = test::two_vm_scenario();
  s.vms[1].pcpus = {0, 1, 5};  // vCPU 2 on HMI_VM's pCPU, which its launch takes
  s.vms[2].own_pcpu = true;
  test::Bench b(s);
  REQUIRE(b.cpu("Service_VM", 2).config().offline);
  b.cpu("Service_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.wrmsr(0x830, (3u << 18) | 0x61);        // all excluding self: vCPU 0 alone
    g.wrmsr(0x830, (u64{0xA} << 32) | 0x61);  // pCPU 5's APIC ID: the offline vCPU's
  });
  sc_core::sc_start(sc_core::sc_time(2, sc_core::SC_MS));
  CHECK(b.vm(1).interrupts_received == 1);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("][vm1:vcpu1][sev=3][seq=1]:vm_apicid2vcpu_id: bad lapicid 10") !=
        std::string::npos);
}

// Under LAPIC passthrough the ICR write is vlapic_x2apic_pt_icr_access,
// which hands INIT and SIPI to vlapic_process_init_sipi too. The reset
// clears lapic_pt_enabled and leaves the vLAPIC in x2APIC mode, so nothing
// switches the LAPIC through again: the restarted vCPU's HLT exits, and a
// physical IPI to its pCPU is ACRN's (a spurious external interrupt).
TEST_CASE("an INIT and SIPI in a LAPIC-passthrough VM restart the vCPU with its LAPIC no longer passed through") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  int starts = 0, handled = 0, ccr_fault = -1;
  bool ready = false, passed_through_first = false, passed_through_after = true, restarted = false, sent = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(0x61, [&](Guest&) { ++handled; });
    if (++starts == 1) {
      g.enable_x2apic();
      passed_through_first = c.lapic().passed_through();
      ready = true;
      g.compute(10'000'000);
      return;
    }
    g.enable_x2apic();  // already in x2APIC mode: no change of mode, nothing switches
    passed_through_after = c.lapic().passed_through();
    try {
      g.rdmsr(0x839);  // the timer's current count: the physical LAPIC's no more
    } catch (const GuestFault& f) {
      ccr_fault = f.vector;
    }
    restarted = true;
    g.halt();  // woken by nothing: the IPI below never reaches the guest
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 to_peer = u64{8} << 32;  // vCPU 1's APIC ID (pCPU 4)
    g.wrmsr(0x830, to_peer | 0x4500);  // INIT
    g.compute(20'000);
    g.wrmsr(0x830, to_peer | 0x0600 | 0x10);  // SIPI
    while (!restarted) g.compute(1000);
    g.compute(10'000);
    g.wrmsr(0x830, to_peer | 0x61);  // a fixed IPI: a physical one to pCPU 4
    sent = true;
  });
  // The debug build's "Start Secondary VCPU1" holds vCPU 0's pCPU 6.7 ms.
  sc_core::sc_start(sc_core::sc_time(20, sc_core::SC_MS));
  CHECK(sent);
  CHECK(starts == 2);
  CHECK(passed_through_first);
  CHECK_FALSE(passed_through_after);
  CHECK(handled == 0);
  const Vcpu& v1 = b.cpu("RT_VM", 1);
  CHECK(v1.counters().init_resets == 1);
  CHECK(v1.counters().sipi_starts == 1);
  CHECK(v1.counters().exits[static_cast<std::size_t>(ExitReason::hlt)] == 1);
  // Halted in the hypervisor, its pCPU in ACRN's idle loop takes the IPI
  // as spurious: no exit, no interrupt for the guest.
  CHECK(b.vm(0).interrupts_received == 0);
  CHECK(v1.waiting_on().find("HLT") != std::string::npos);
  // Its x2APIC MSRs exit again (init_vmcs), and vlapic_x2apic_read serves a
  // LAPIC-passthrough VM only the ID, the LDR and the thermal LVT.
  CHECK(ccr_fault == kVectorGp);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 2);
  CHECK(log.first_lines().at(0).find("Start Secondary VCPU1 for VM[0]...") != std::string::npos);
  CHECK(log.first_lines().at(1).find("]:vlapic_x2apic_read: unexpected MSR[0x839] read with lapic_pt") !=
        std::string::npos);
}

TEST_CASE("a LAPIC-passthrough VM gets an NMI-mode MSI as a physical NMI (inject_msi_for_lapic_pt keeps the mode)") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  int nmis = 0;
  TimePs rung_at = 0, taken_at = 0;
  bool armed = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kNmiVector, [&](Guest& isr) {
      ++nmis;
      taken_at = isr.timestamp().time_ps;
    });
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), (4u << 8) | 0x00);
    armed = true;
    g.halt();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!armed) g.compute(1000);
    g.compute(100'000);
    rung_at = c.now_ps();
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(nmis == 1);
  CHECK(b.vm(0).nmis_received == 1);
  // A physical IPI: irq_lapic_pt_delivery, not the posted-interrupt path.
  CHECK(taken_at - rung_at > b.timing.irq_lapic_pt_delivery_ps);
  CHECK(taken_at - rung_at < b.timing.irq_posted_delivery_ps + b.timing.irq_lapic_pt_delivery_ps +
                                 b.timing.hlt_wakeup_ps + b.timing.vm_exit_entry_ps * 2 + b.timing.isr_entry_ps +
                                 b.timing.mmio_decode_ps + b.timing.hv_mmio_handler_ps);
}

namespace {
// An INIT-mode MSI to a LAPIC-passthrough VM: inject_msi_for_lapic_pt sends
// it on as a physical INIT, whose exit init_signal_vmexit_handler ignores.
// RT_VM's entry 0 is in INIT mode, entry 1 fixed (vector 0x42); HMI_VM rings
// 0 and then 1 while RT_VM computes, or halts.
struct InitMsi {
  int handled = 0;
  u64 init_exits = 0;
  TimePs rung_init_at = 0, rung_fixed_at = 0, woke_at = 0;
  u64 msi_init_signals = 0, msi_mode_dropped = 0, interrupts_received = 0;
  u64 dropped_init = 0, delivered = 0;
};

InitMsi init_msi(bool halted) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  InitMsi r;
  bool armed = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x42, [&](Guest&) { ++r.handled; });
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), (5u << 8) | 0x42);
    ivshmem_setup_msix(g, *d, 1, msi_address(g.apic_id()), 0x42);
    armed = true;
    if (halted) {
      g.halt();
      r.woke_at = c.now_ps();
    } else {
      for (int i = 0; i < 400; ++i) g.compute(1000);
    }
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!armed) g.compute(1000);
    g.compute(20'000);
    r.rung_init_at = c.now_ps();
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(50'000);
    r.rung_fixed_at = c.now_ps();
    ivshmem_write_doorbell(g, *d, 0, 1);
  });
  sc_core::sc_start();
  r.init_exits = b.cpu("RT_VM").counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)];
  r.msi_init_signals = b.vm(0).msi_init_signals;
  r.msi_mode_dropped = b.vm(0).msi_mode_dropped;
  r.interrupts_received = b.vm(0).interrupts_received;
  const DoorbellStats& st = hv_device(*b.platform, 0).region().doorbells;
  r.dropped_init = st.dropped.count("msi_init_signal") ? st.dropped.at("msi_init_signal") : 0;
  r.delivered = st.delivered;
  return r;
}
}  // namespace

TEST_CASE(
    "an INIT-mode MSI to a LAPIC-passthrough VM makes its vCPU exit and delivers nothing (inject_msi_for_lapic_pt)") {
  const InitMsi r = init_msi(false);
  CHECK(r.init_exits == 1);
  CHECK(r.handled == 1);  // the fixed one only
  CHECK(r.interrupts_received == 1);
  CHECK(r.msi_init_signals == 1);
  CHECK(r.msi_mode_dropped == 0);
  CHECK(r.dropped_init == 1);
  CHECK(r.delivered == 1);
}

TEST_CASE("an INIT-mode MSI to a LAPIC-passthrough vCPU halted in its guest leaves it halted") {
  const InitMsi r = init_msi(true);
  CHECK(r.init_exits == 1);
  CHECK(r.handled == 1);
  CHECK(r.msi_init_signals == 1);
  // Woken by the fixed MSI, not by the INIT.
  CHECK(r.woke_at > r.rung_fixed_at);
  CHECK(r.rung_fixed_at > r.rung_init_at);
}

// vmexit_handler ends every exit with console_vmexit_callback, an INIT
// signal's too: a LAPIC-passthrough vCPU on VUART_TIMER_CPU whose only
// exits are INIT signals (an INIT-mode MSI, rung every 100 us) still runs
// the console about once a period (1 ms here).
TEST_CASE("a LAPIC-passthrough vCPU's INIT-signal exits run a debug build's console callback") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  s.vuart_timer_pcpu = 3;  // RT_VM's
  s.noise.hv_console = true;
  const Board board = load_board(s.board, {});
  TimingParams timing = resolve_timing(load_timing_profile(board.timing_profile, {}));
  timing.hv_console_timer_ps = 1'000'000'000;
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
  Platform platform(s, board, timing);
  bool armed = false, done = false;
  u64 inits_before = 0, kicks_before = 0;
  TimePs from_ps = 0, to_ps = 0;
  Vcpu& rt = *platform.vcpu("RT_VM", 0);
  rt.set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), (5u << 8) | 0x42);  // INIT mode
    inits_before = c.counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)];
    kicks_before = c.counters().console_kicks;
    from_ps = c.now_ps();
    armed = true;
    while (!done) g.compute(1000);
    to_ps = c.now_ps();
  });
  platform.vcpu("HMI_VM", 0)->set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!armed) g.compute(1000);
    for (int i = 0; i < 100; ++i) {
      g.compute(180'000);  // 100 us
      ivshmem_write_doorbell(g, *d, 0, 0);
    }
    done = true;
  });
  sc_core::sc_start();
  const u64 inits = rt.counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)] - inits_before;
  const u64 kicks = rt.counters().console_kicks - kicks_before;
  const double ms = static_cast<double>(to_ps - from_ps) / 1e9;
  REQUIRE(ms > 8);
  CHECK(inits == 100);
  CHECK(rt.counters().exits[static_cast<std::size_t>(ExitReason::external_interrupt)] == 0);
  CHECK(kicks >= std::floor(ms) - 1);
  CHECK(kicks <= std::ceil(ms) + 1);
}

namespace {
// RT_VM's vCPU 0 sends a fixed IPI to its vCPU 1 through the x2APIC ICR;
// returns the sender's time in the WRMSR and its msr_write exits.
std::pair<TimePs, u64> icr_write_cost(bool passthrough, TimePs& expected) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = passthrough;
  test::Bench b(s);
  bool ready = false;
  int taken = 0;
  TimePs spent = 0;
  u64 exits = 0;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++taken; });
    ready = true;
    g.compute(100'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)];
    const TimePs t0 = c.now_ps();
    g.wrmsr(0x830, (u64{8} << 32) | 0x61);  // fixed, to vCPU 1's APIC ID (pCPU 4)
    spent = c.now_ps() - t0;
    exits = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)] - before;
  });
  sc_core::sc_start();
  CHECK(taken == 1);
  expected = passthrough ? b.timing.pt_icr_write_ps : b.timing.vm_exit_entry_ps + b.timing.apic_write_handler_ps;
  return {spent, exits};
}
}  // namespace

TEST_CASE(
    "an ICR write under LAPIC passthrough still exits and costs its sender pt_icr_write (rtvm_performance_tips)") {
  TimePs expected = 0;
  const auto [spent, exits] = icr_write_cost(true, expected);
  CHECK(exits == 1);
  CHECK(expected == 3'500'000);  // coffee-lake-client: ACRN's "extra 3~4 microsecond latency for each access"
  CHECK(spent == expected);
}

TEST_CASE("an ICR write without LAPIC passthrough costs the exit and vlapic_write_icrlo's handling") {
  TimePs expected = 0;
  const auto [spent, exits] = icr_write_cost(false, expected);
  CHECK(exits == 1);
  CHECK(spent == expected);
}

// vlapic_set_error: an interrupt received with a vector below 16 (here an
// MSI whose data names vector 4) sets ESR bit 6, a fixed IPI sent with one
// sets the sender's bit 5; an unmasked LVT Error then requests its own
// vector. A write of the ESR makes the errors since the last write readable.
TEST_CASE("a vector below 16 is an APIC error: the ESR records it and an unmasked LVT Error interrupts") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  constexpr u32 kEsr = 0x828, kLvtError = 0x837;
  constexpr u8 kErrorVector = 0xFE;  // Linux's ERROR_APIC_VECTOR
  int errors_0 = 0, errors_1 = 0;
  u64 esr_receive = 0, esr_send = 0, esr_masked = 0, esr_cleared = 0;
  bool armed = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kErrorVector, [&](Guest&) { ++errors_1; });
    g.wrmsr(kLvtError, kErrorVector);
    armed = true;
    g.compute(400'000);
    g.wrmsr(kEsr, 0);
    esr_receive = g.rdmsr(kEsr);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kErrorVector, [&](Guest&) { ++errors_0; });
    const auto d = ivshmem_probe(g, k08);
    while (!armed) g.compute(1000);
    // Masked (the reset value): recorded, no interrupt.
    g.wrmsr(0x830, (u64{8} << 32) | 0x03);  // a fixed IPI with vector 3 to vCPU 1
    g.wrmsr(kEsr, 0);
    esr_masked = g.rdmsr(kEsr);
    g.wrmsr(kEsr, 0);
    esr_cleared = g.rdmsr(kEsr);
    g.wrmsr(kLvtError, kErrorVector);
    g.wrmsr(0x830, (u64{8} << 32) | 0x03);
    g.compute(10'000);
    g.wrmsr(kEsr, 0);
    esr_send = g.rdmsr(kEsr);
    // An MSI with vector 4 to vCPU 1 (APIC ID 8).
    ivshmem_setup_msix(g, *d, 0, msi_address(8), 0x04);
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(100'000);
  });
  sc_core::sc_start();
  CHECK(esr_masked == VLapic::kEsrSendIllegalVector);
  CHECK(esr_cleared == 0);
  CHECK(esr_send == VLapic::kEsrSendIllegalVector);
  CHECK(errors_0 == 1);  // the second send error: LVT Error unmasked by then
  CHECK(esr_receive == VLapic::kEsrReceiveIllegalVector);
  CHECK(errors_1 == 1);
  CHECK(b.vm(0).ipis_dropped == 2);
}

// vlapic_x2apic_pt_icr_access writes the destination vCPU's pCPU APIC ID
// into the physical ICR and keeps the guest's destination mode. In logical
// mode the physical LAPICs read that ID as a logical destination: RT_VM's
// vCPU 1 is on pCPU 3, APIC ID 0x6 (0b110), which as an x2APIC logical
// destination selects the pCPUs whose x2APIC IDs are 1 and 2; on
// cfl-k700-i7 that is pCPU 1 (APIC ID 0x2), where HMI_VM runs.
namespace {
struct LogicalIpi {
  int intended = 0;  // interrupts RT_VM's vCPU 1 took
  int stray = 0;     // interrupts HMI_VM's guest took
  int stray_nmis = 0;
  u64 stray_exits = 0;  // HMI_VM's external-interrupt exits
  u64 stray_inits = 0;  // HMI_VM's INIT exits
};

LogicalIpi logical_ipi(bool victim_passthrough, bool phys, bool victim_x2apic = true) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {2, 3};  // APIC IDs 0x4 and 0x6
  s.vms[0].lapic_passthrough = true;
  s.vms[2].pcpus = {1};  // APIC ID 0x2
  s.vms[2].lapic_passthrough = victim_passthrough;
  test::Bench b(s);
  LogicalIpi out;
  bool ready = false, victim_ready = false, sent = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++out.intended; });
    ready = true;
    while (!sent) g.compute(1000);
    g.compute(100'000);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (victim_x2apic) g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++out.stray; });
    g.on_interrupt(kNmiVector, [&](Guest&) { ++out.stray_nmis; });
    victim_ready = true;
    while (!sent) g.compute(1000);
    g.compute(100'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready || !victim_ready) g.compute(1000);
    // To vCPU 1: its APIC ID in physical mode, its LDR (cluster 0, bit 6) in logical mode.
    const u64 to = phys ? (u64{0x6} << 32) : (u64{1u << 6} << 32) | (1u << 11);
    g.wrmsr(0x830, to | (0u << 8) | 0x61);  // fixed
    g.wrmsr(0x830, to | (4u << 8) | 0x00);  // NMI
    sent = true;
  });
  sc_core::sc_start();
  out.stray_exits = b.vm(2).exits[static_cast<std::size_t>(ExitReason::external_interrupt)];
  for (Vcpu* v : b.platform->vcpus_of(2)) {
    out.stray_exits += v->counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)];
    out.stray_inits += v->counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)];
  }
  CHECK(b.vm(0).ipis_misrouted == (phys ? 0u : 2u));
  const auto& counts = b.platform->hypervisor().isolation_counts();
  const auto it = counts.find("lapic_pt_logical_ipi");
  CHECK((it == counts.end() ? 0u : it->second) == (phys ? 0u : 2u));
  return out;
}
}  // namespace

TEST_CASE("under LAPIC passthrough a physical-mode IPI reaches the vCPU it names and no other pCPU") {
  const LogicalIpi r = logical_ipi(true, true);
  CHECK(r.intended == 1);
  CHECK(r.stray == 0);
  CHECK(r.stray_nmis == 0);
  CHECK(r.stray_exits == 0);
}

TEST_CASE("under LAPIC passthrough a logical-mode IPI goes to the pCPUs the APIC ID selects as a logical destination") {
  // HMI_VM's guest owns pCPU 1's LAPIC too: it takes the vector and the NMI.
  const LogicalIpi r = logical_ipi(true, false);
  CHECK(r.intended == 0);
  CHECK(r.stray == 1);
  CHECK(r.stray_nmis == 1);
  CHECK(r.stray_exits == 0);  // no exit: the guest's own LAPIC
}

TEST_CASE(
    "a LAPIC-passthrough guest's stray logical-mode IPI exits the other VM's vCPU and its NMI is injected there") {
  // pCPU 1's LAPIC is ACRN's: HMI_VM's vCPU exits for each (external-interrupt
  // exiting), its guest sees no vector, and handle_nmi injects the NMI.
  const LogicalIpi r = logical_ipi(false, false);
  CHECK(r.intended == 0);
  CHECK(r.stray == 0);
  CHECK(r.stray_exits == 2);
  CHECK(r.stray_nmis == 1);
}

TEST_CASE("a stray logical-mode IPI exits a LAPIC-passthrough vCPU still in xAPIC mode as an external interrupt") {
  // Until switch_apicv_mode_x2apic the VM's vCPU has external-interrupt
  // exiting like any other: it exits for each, not with its kicks' INIT.
  const LogicalIpi r = logical_ipi(true, false, false);
  CHECK(r.intended == 0);
  CHECK(r.stray == 0);
  CHECK(r.stray_exits == 2);
  CHECK(r.stray_inits == 0);
  CHECK(r.stray_nmis == 1);
}

TEST_CASE("under LAPIC passthrough a lowest-priority IPI is sent on with its mode to the pCPU it names") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  int taken = 0;
  bool ready = false, sent = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++taken; });
    ready = true;
    while (!sent) g.compute(1000);
    g.compute(100'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!ready) g.compute(1000);
    g.wrmsr(0x830, (u64{0x8} << 32) | (1u << 8) | 0x61);  // lowest priority, physical: vCPU 1's pCPU
    sent = true;
  });
  sc_core::sc_start();
  CHECK(taken == 1);
  CHECK(b.vm(0).ipis_dropped == 0);
}

TEST_CASE("under LAPIC passthrough a logical-mode IPI while a vCPU is still in xAPIC mode gets #GP") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  bool done = false, after = false;
  std::string error;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);  // stays in xAPIC mode: the VM is between modes
    while (!done) g.compute(1000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    try {
      // Logical: "Only Physical Destination Mode could work on non-VM_VLAPIC_X2APIC mode".
      g.wrmsr(0x830, (u64{1u << 8} << 32) | (1u << 11) | 0x61);
      after = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
    done = true;
  });
  sc_core::sc_start();
  CHECK_FALSE(after);
  CHECK(error.find("#GP") == 0);
  CHECK(b.vm(0).faults_injected == 1);
  CHECK(b.vm(0).ipis_misrouted == 0);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("[sev=3][seq=1]:Only Physical Destination Mode could work on "
                                     "non-VM_VLAPIC_X2APIC mode") != std::string::npos);
}

// vlapic_x2apic_pt_icr_access is reached only through the x2APIC MSR: a
// LAPIC-passthrough VM still in xAPIC mode writes the ICR on the
// APIC-access page, and vlapic_write_icrlo handles it as for any VM.
TEST_CASE("a LAPIC-passthrough VM in xAPIC mode sends IPIs through vlapic_write_icrlo: lowest priority ignored") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  int taken = 0;
  bool ready = false, sent = false;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(0x61, [&](Guest&) { ++taken; });
    ready = true;
    while (!sent) g.compute(1000);
    g.compute(100'000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    while (!ready) g.compute(1000);
    g.store<u32>(0xFEE0'0310, 0x8u << 24);        // ICR_HI: vCPU 1's APIC ID (pCPU 4)
    g.store<u32>(0xFEE0'0300, (1u << 8) | 0x61);  // lowest priority: "Unhandled icrlo write"
    g.store<u32>(0xFEE0'0300, 0x61);              // fixed
    sent = true;
  });
  sc_core::sc_start();
  CHECK(taken == 1);
  CHECK(b.vm(0).ipis_dropped == 1);
  CHECK(b.vm(0).ipis_misrouted == 0);
}

// inject_msi_for_lapic_pt ORs the destination pCPUs' LDRs into one logical
// ICR and keeps the MSI's delivery mode: in lowest-priority mode the
// hardware gives the interrupt to one of them, the lower processor priority.
TEST_CASE("a lowest-priority MSI to two LAPIC-passthrough vCPUs goes to one: the lower processor priority") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {2, 3};  // APIC IDs 0x4 and 0x6: cluster 0, LDR bits 4 and 6
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  int on0 = 0, on1 = 0;
  bool ready1 = false, armed = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x51, [&](Guest&) { ++on0; });
    g.set_task_priority(0x40);  // busier: a higher processor priority
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, 0xFEE0'0000ULL | 0x4 | (u64{(1u << 4) | (1u << 6)} << 12), (1u << 8) | 0x51);
    while (!ready1) g.compute(1000);
    armed = true;
    g.compute(100'000);
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x51, [&](Guest&) { ++on1; });
    ready1 = true;
    while (!armed) g.compute(1000);
    g.compute(100'000);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!armed) g.compute(1000);
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(on0 == 0);
  CHECK(on1 == 1);
  CHECK(b.vm(0).interrupts_received == 1);
}

TEST_CASE("a lowest-priority logical IPI under LAPIC passthrough goes to the accepting pCPU of lower priority") {
  // srv-2s-xeon: APIC IDs 0x0, 0x2, ... 0x1E. To vCPU 1 on pCPU 11 (0x16:
  // bits 1, 2 and 4), the pCPUs with x2APIC IDs 2 and 4 accept: pCPUs 1
  // and 2, HMI_VM's two vCPUs, whose guest owns those LAPICs.
  Scenario s = test::two_vm_scenario();
  s.board = "srv-2s-xeon";
  s.vms[0].pcpus = {3, 11};
  s.vms[0].lapic_passthrough = true;
  s.vms[2].pcpus = {1, 2};
  s.vms[2].lapic_passthrough = true;
  test::Bench b(s);
  int fixed[2] = {0, 0}, lowest[2] = {0, 0};
  int ready = 0;
  bool sent = false;
  for (unsigned i = 0; i < 2; ++i)
    b.cpu("HMI_VM", i).set_program([&, i](Vcpu& c) {
      Guest g(c);
      g.enable_x2apic();
      g.on_interrupt(0x61, [&, i](Guest&) { ++fixed[i]; });
      g.on_interrupt(0x62, [&, i](Guest&) { ++lowest[i]; });
      if (i == 0) g.set_task_priority(0x40);  // busier: a higher processor priority
      ++ready;
      while (!sent) g.compute(1000);
      g.compute(100'000);
    });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (!sent) g.compute(1000);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    while (ready < 2) g.compute(1000);
    const u64 to = (u64{0x10040} << 32) | (1u << 11);  // vCPU 1's LDR (cluster 1, bit 6), logical
    g.wrmsr(0x830, to | 0x61);                         // fixed: every accepting pCPU
    g.wrmsr(0x830, to | (1u << 8) | 0x62);             // lowest priority: one of them
    sent = true;
  });
  sc_core::sc_start();
  CHECK(fixed[0] == 1);
  CHECK(fixed[1] == 1);
  CHECK(lowest[0] == 0);
  CHECK(lowest[1] == 1);
  CHECK(b.vm(0).ipis_misrouted == 2);
}

// With APIC-register virtualization and virtual-interrupt delivery the CPU
// virtualizes TPR, EOI and SELF IPI writes (update_msr_bitmap_x2apic_apicv
// leaves them unintercepted); under LAPIC passthrough they are the physical
// LAPIC's. Either way no exit: the TPR masks, the self-IPI is requested.
namespace {
void tpr_eoi_self_ipi(bool passthrough) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = passthrough;
  test::Bench b(s);
  int taken = 0, while_masked = -1;
  u64 writes = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x51, [&](Guest&) { ++taken; });
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)];
    g.wrmsr(0x808, 0x60);  // TPR: class 6 and below masked
    g.wrmsr(0x83F, 0x51);  // SELF IPI, class 5: held
    g.compute(10'000);
    while_masked = taken;
    g.wrmsr(0x808, 0);
    g.compute(10'000);
    g.wrmsr(0x80B, 0);  // EOI
    writes = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)] - before;
  });
  sc_core::sc_start();
  CHECK(while_masked == 0);
  CHECK(taken == 1);
  CHECK(writes == 0);
  CHECK(b.vm(0).exits[static_cast<std::size_t>(ExitReason::msr_write)] == 1);  // the APIC base only
}
}  // namespace

TEST_CASE("TPR and EOI and self-IPI MSR writes do not exit: the TPR masks and the self-IPI is taken") {
  tpr_eoi_self_ipi(false);
}

TEST_CASE("under LAPIC passthrough TPR and EOI and self-IPI MSR writes are the LAPIC's own: no exit") {
  tpr_eoi_self_ipi(true);
}

namespace {
u64 all_exits(const Vcpu& c) {
  u64 n = 0;
  for (u64 e : c.counters().exits) n += e;
  return n;
}
}  // namespace

TEST_CASE("an xAPIC TPR write on the APIC-access page is virtualized: no exit and it masks") {
  test::Bench b(test::two_vm_scenario());
  int taken = 0, while_masked = -1;
  u32 read_back = 0;
  u64 exits = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(0x51, [&](Guest&) { ++taken; });
    const u64 before = all_exits(c);
    g.store<u32>(0xFEE0'0080, 0x60);  // TPR
    read_back = g.load<u32>(0xFEE0'0080);
    exits = all_exits(c) - before;
    g.store<u32>(0xFEE0'0300, (1u << 18) | 0x51);  // ICR: self, fixed, class 5 (self-IPI virtualization)
    g.compute(10'000);
    while_masked = taken;
    g.store<u32>(0xFEE0'0080, 0);
    g.compute(10'000);
    g.store<u32>(0xFEE0'00B0, 0);  // EOI
  });
  sc_core::sc_start();
  CHECK(read_back == 0x60);
  CHECK(exits == 0);
  CHECK(while_masked == 0);
  CHECK(taken == 1);
}

// Reads of the APIC-access page in xAPIC mode (SDM Vol. 3C 29.4.2): the
// registers APIC-register virtualization lists come from the virtual-APIC
// page without an exit; the PPR and the CMCI LVT exit, and
// apic_access_vmexit_handler reads only the CMCI LVT (the PPR reads 0).
// Writes: each LVT keeps its own writable bits (vlapic_write_lvt), ICR_HI
// and a fixed self-IPI are virtualized without an exit (29.4.3.2).
TEST_CASE("an xAPIC guest reads IRR ISR ICR and LVTs from the page without an exit but PPR and CMCI reads exit") {
  test::Bench b(test::two_vm_scenario());
  constexpr Gpa kApic = 0xFEE0'0000;
  u32 lint1 = 0, thermal = 0, error = 0, cmci = 0, icr_hi = 0, icr_lo = 0, irr2 = 0, isr2 = 0, ppr = 1;
  u32 thermal_disabled = 0;
  u64 exits_virtualized = ~u64{0}, exits_ppr = 0, exits_cmci = 0, exits_icr_writes = ~u64{0};
  u64 lvt_writes_trapped = 0, lvt_writes_faulted = 0;
  TimePs trapped_ps = 0, faulted_ps = 0;
  int taken = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto exits_of = [&c](ExitReason r) { return c.counters().exits[static_cast<std::size_t>(r)]; };
    g.on_interrupt(0x51, [&](Guest& h) {
      ++taken;
      isr2 = h.load<u32>(kApic + 0x120);
    });
    (void)g.load<u32>(kApic + 0x20);  // the page's translation cached
    // Bit 17 (the timer's mode) and the LINT bits are not every entry's.
    const TimePs t0 = g.timestamp().time_ps;
    g.store<u32>(kApic + 0x360, 0x3'F420);  // LINT1: all but bit 17 kept
    const TimePs t1 = g.timestamp().time_ps;
    g.store<u32>(kApic + 0x2F0, 0x0422);  // CMCI: an APIC-access exit, vlapic_write
    const TimePs t2 = g.timestamp().time_ps;
    trapped_ps = t1 - t0;
    faulted_ps = t2 - t1;
    g.store<u32>(kApic + 0x330, 0xF423);  // thermal: DS, NMI delivery, vector
    g.store<u32>(kApic + 0x370, 0x0731);  // error: vector (and DS) only
    lvt_writes_trapped = exits_of(ExitReason::apic_write);
    lvt_writes_faulted = exits_of(ExitReason::apic_access);
    g.store<u32>(kApic + 0x080, 0x60);  // TPR masks class 5
    u64 before = all_exits(c);
    g.store<u32>(kApic + 0x310, 0x1234'5678);        // ICR_HI: bytes 2:0 cleared
    g.store<u32>(kApic + 0x300, (1u << 18) | 0x51);  // a fixed self-IPI
    exits_icr_writes = all_exits(c) - before;
    before = all_exits(c);
    lint1 = g.load<u32>(kApic + 0x360);
    thermal = g.load<u32>(kApic + 0x330);
    error = g.load<u32>(kApic + 0x370);
    icr_hi = g.load<u32>(kApic + 0x310);
    icr_lo = g.load<u32>(kApic + 0x300);
    irr2 = g.load<u32>(kApic + 0x220);  // vector 0x51: word 2, bit 17
    exits_virtualized = all_exits(c) - before;
    before = exits_of(ExitReason::apic_access);
    ppr = g.load<u32>(kApic + 0x0A0);
    exits_ppr = exits_of(ExitReason::apic_access) - before;
    before = exits_of(ExitReason::apic_access);
    cmci = g.load<u32>(kApic + 0x2F0);
    exits_cmci = exits_of(ExitReason::apic_access) - before;
    g.store<u32>(kApic + 0x080, 0);
    g.compute(10'000);
    g.store<u32>(kApic + 0x0F0, 0xFF);  // software-disabled: every LVT masked (vlapic_mask_lvts)
    thermal_disabled = g.load<u32>(kApic + 0x330);
  });
  sc_core::sc_start();
  CHECK(lvt_writes_trapped == 3);  // LINT1, thermal, error: APIC-write exits
  CHECK(lvt_writes_faulted == 1);  // CMCI
  // An APIC-write exit needs no decode (apic_write_vmexit_handler); an
  // APIC-access exit decodes and emulates the instruction.
  const TimingParams& t = b.timing;
  CHECK(faulted_ps - trapped_ps == t.mmio_decode_ps + t.hv_mmio_handler_ps - t.apic_write_handler_ps);
  CHECK(exits_icr_writes == 0);
  CHECK(exits_virtualized == 0);
  CHECK(lint1 == 0x1'F420);
  CHECK(thermal == 0x1423);
  CHECK(error == 0x31);
  CHECK(icr_hi == 0x1200'0000);
  CHECK(icr_lo == ((1u << 18) | 0x51));
  CHECK(irr2 == (1u << 17));
  CHECK(exits_ppr == 1);
  CHECK(ppr == 0);
  CHECK(exits_cmci == 1);
  CHECK(cmci == 0x422);
  CHECK(taken == 1);
  CHECK(isr2 == (1u << 17));
  CHECK(thermal_disabled == (0x1'0000 | 0x1423));
}

// x2APIC with APIC-register virtualization: RDMSR of any MSR of the range
// reads 8 bytes of the virtual-APIC page without an exit (SDM Vol. 3C
// 29.5). The LVTs ACRN writes through an exit, CMCI's too, come back; of the
// ICR only the low half (delivery status cleared by vlapic_write_icrlo):
// the high half sits at 0x310, not in the 4 bytes after 0x300. A reserved
// MSR and the write-only EOI read 0, without a fault.
TEST_CASE("an x2APIC guest reads its LVTs and the ICR's low half from the page without an exit") {
  test::Bench b(test::two_vm_scenario());
  u64 icr = 0, pmc = 0, cmci = 0, reserved = ~u64{0}, eoi = ~u64{0}, exits = ~u64{0};
  int taken = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x52, [&](Guest&) { ++taken; });
    g.wrmsr(0x834, 0xF42F);                                           // PMC LVT: DS, NMI delivery, vector
    g.wrmsr(0x82F, 0x1'0433);                                         // CMCI LVT: masked, vector 0x33
    g.wrmsr(0x830, (u64{7} << 32) | (1u << 18) | (1u << 12) | 0x52);  // a self-IPI, DS set
    g.compute(1'000);
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)];
    icr = g.rdmsr(0x830);
    pmc = g.rdmsr(0x834);
    cmci = g.rdmsr(0x82F);
    reserved = g.rdmsr(0x804);
    eoi = g.rdmsr(0x80B);
    exits = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)] - before;
  });
  sc_core::sc_start();
  CHECK(taken == 1);
  CHECK(icr == ((1u << 18) | 0x52));
  CHECK(pmc == 0x142F);
  CHECK(cmci == 0x1'0433);
  CHECK(reserved == 0);
  CHECK(eoi == 0);
  CHECK(exits == 0);
  CHECK(b.vm(0).faults_injected == 0);
}

// Under LAPIC passthrough only the ID, LDR and thermal LVT reads exit
// (update_msr_bitmap_x2apic_passthru); the thermal LVT is the vLAPIC's
// (vlapic_x2apic_read). The rest read the physical LAPIC: the LVTs the
// guest wrote to it, the ICR that vlapic_x2apic_pt_icr_access last wrote
// (shorthand cleared, the pCPU's APIC ID), and #GP without an exit for a
// register it does not read.
TEST_CASE("under LAPIC passthrough x2APIC reads go to the physical LAPIC but the ID and LDR and thermal LVT exit") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  u64 cmci = 0, lint0 = 0, thermal = 0, icr = 0, exits = ~u64{0}, thermal_exits = 0;
  std::vector<u32> faulted;
  int taken = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x52, [&](Guest&) { ++taken; });
    auto read_exits = [&] { return c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)]; };
    g.wrmsr(0x82F, 0x1'0433);                                    // CMCI LVT: the physical LAPIC's
    g.wrmsr(0x835, 0x1'A700);                                    // LINT0: masked, level, ExtINT
    g.wrmsr(0x833, 0x1'0441);                                    // thermal: an exit, the vLAPIC's
    g.wrmsr(0x830, (u64{kRtApicId} << 32) | (1u << 18) | 0x52);  // to self by shorthand
    g.compute(1'000);
    u64 before = read_exits();
    cmci = g.rdmsr(0x82F);
    lint0 = g.rdmsr(0x835);
    icr = g.rdmsr(0x830);
    for (u32 msr : {0x804u, 0x80Bu, 0x831u, 0x83Fu}) {
      try {
        g.rdmsr(msr);
      } catch (const GuestFault& f) {
        if (f.vector == kVectorGp) faulted.push_back(msr);
      }
    }
    exits = read_exits() - before;
    before = read_exits();
    thermal = g.rdmsr(0x833);
    thermal_exits = read_exits() - before;
  });
  sc_core::sc_start();
  CHECK(taken == 1);
  CHECK(cmci == 0x1'0433);
  CHECK(lint0 == 0x1'A700);
  CHECK(icr == ((u64{kRtApicId} << 32) | 0x52));
  CHECK(faulted == std::vector<u32>{0x804, 0x80B, 0x831, 0x83F});
  CHECK(exits == 0);
  CHECK(b.vm(0).faults_injected == 0);
  CHECK(thermal_exits == 1);
  CHECK(thermal == 0x1'0441);
}

// WRMSR of an x2APIC register the LAPIC does not write. Without passthrough
// every such write exits and vlapic_x2apic_write refuses it (-EACCES, #GP),
// except the ID (ignored) and the LDR (stored); under passthrough the
// physical LAPIC refuses them itself, without an exit.
namespace {
bool wrmsr_faults(Guest& g, u32 msr, u64 value) {
  try {
    g.wrmsr(msr, value);
    return false;
  } catch (const GuestFault& f) {
    return f.vector == kVectorGp;
  }
}
}  // namespace

// update_msr_bitmap_x2apic_apicv intercepts every x2APIC write but those
// the CPU virtualizes and the current count's: its read is intercepted
// (INTERCEPT_READ), which leaves its write bit clear, so the write reaches
// the physical LAPIC, which refuses it with #GP without an exit.
TEST_CASE("WRMSR of a read-only x2APIC register exits and gets #GP but the current count faults without an exit") {
  test::Bench b(test::two_vm_scenario());
  std::vector<u32> faulted;
  bool id_faulted = true, ldr_faulted = true;
  u64 id = 0, ldr = 0, exits = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)];
    // Version, a reserved one, PPR, DFR, ISR, TMR, IRR, ICR_HI, current count.
    for (u32 msr : {0x803u, 0x804u, 0x80Au, 0x80Eu, 0x810u, 0x818u, 0x820u, 0x831u, 0x839u})
      if (wrmsr_faults(g, msr, 0)) faulted.push_back(msr);
    id_faulted = wrmsr_faults(g, 0x802, 0x55);
    ldr_faulted = wrmsr_faults(g, 0x80D, 0x1234'5678);
    exits = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)] - before;
    id = g.rdmsr(0x802);
    ldr = g.rdmsr(0x80D);
  });
  sc_core::sc_start();
  CHECK(faulted == std::vector<u32>{0x803, 0x804, 0x80A, 0x80E, 0x810, 0x818, 0x820, 0x831, 0x839});
  CHECK(b.vm(0).faults_injected == 8);  // the current count's #GP is the LAPIC's
  CHECK(exits == 10);
  CHECK_FALSE(id_faulted);
  CHECK(id == kRtApicId);
  CHECK_FALSE(ldr_faulted);
  CHECK(ldr == 0x1200'0000);  // vlapic_write_ldr keeps bits 31:24 only
}

TEST_CASE("under LAPIC passthrough WRMSR of a read-only x2APIC register is #GP without an exit") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  std::vector<u32> faulted;
  u64 exits = 0;
  bool lint0_faulted = true;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)];
    // ID, LDR, PPR, IRR, current count: read-only on the physical LAPIC.
    for (u32 msr : {0x802u, 0x80Du, 0x80Au, 0x820u, 0x839u})
      if (wrmsr_faults(g, msr, 0)) faulted.push_back(msr);
    lint0_faulted = wrmsr_faults(g, 0x835, 0x10000);  // LVT LINT0, masked: the LAPIC's own
    exits = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_write)] - before;
  });
  sc_core::sc_start();
  CHECK(faulted == std::vector<u32>{0x802, 0x80D, 0x80A, 0x820, 0x839});
  CHECK_FALSE(lint0_faulted);
  CHECK(exits == 0);
  CHECK(b.vm(0).faults_injected == 0);
}
