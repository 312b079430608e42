// The virtual LAPIC's software enable and its TSC-deadline timer, driven by
// guest programs, as ACRN's vlapic.c does them: a software-disabled LAPIC
// ignores fixed interrupts (vlapic_accept_intr) and stops its timer
// (vlapic_write_svr); IA32_TSC_DEADLINE arms the timer in TSC-deadline mode
// only, 0 disarms it and a new deadline replaces the old
// (vlapic_set_tsc_deadline_msr); an expiry requests the vector unless the
// LVT masks it (vlapic_timer_expired).
#include <cstdlib>
#include <systemc>

#include <catch2/catch.hpp>

#include "models/hv/ivshmem_device.h"
#include "platforms/host_caches.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
constexpr Gpa kXapicEsr = 0xFEE0'0280;
constexpr u32 kTscDeadline = 0x6E0;
constexpr Gpa kXapicSvr = 0xFEE0'00F0;
constexpr u8 kTimerVector = 0xEC;
constexpr u64 kTscDeadlineMode = u64{2} << 17, kMasked = u64{1} << 16;

std::size_t exit_index(ExitReason r) { return static_cast<std::size_t>(r); }

u64 ticks_in(const test::Bench& b, TimePs ps) { return static_cast<u64>(b.timing.core_clock.cycles_in(ps)); }

u64 doorbells_delivered(Platform& p, VmId vm) {
  for (const auto& d : p.hypervisor().ivshmem_devices())
    if (d->vm().id == vm) return d->region().doorbells.delivered;
  throw std::logic_error("no device");
}

}  // namespace

TEST_CASE("a software-disabled LAPIC ignores an MSI (vlapic_accept_intr) and takes the next one once enabled again") {
  test::Bench b(test::two_vm_scenario());
  int handled = 0;
  u32 svr_booted = 0, svr_off = 0, esr = 1;
  u64 ignored_while_off = 0, handled_while_off = 1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.on_interrupt(0x41, [&](Guest&) { ++handled; });
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x41);
    ivshmem_setup_msix(g, *d, 1, msi_address(g.apic_id()), 0x04);  // a reserved vector
    svr_booted = g.load<u32>(kXapicSvr);  // the virtual-APIC page: no exit
    g.store<u32>(kXapicSvr, 0xFF);        // software-disabled (an APIC-access exit)
    svr_off = g.load<u32>(kXapicSvr);
    ivshmem_write_doorbell(g, *d, 0, 0);  // to itself
    // vlapic_receive_intr asks vlapic_enabled before vlapic_set_intr: the
    // reserved vector is dropped with no receive error.
    ivshmem_write_doorbell(g, *d, 0, 1);
    g.compute(100'000);
    ignored_while_off = c.counters().interrupts_ignored;
    handled_while_off = static_cast<u64>(handled);
    g.store<u32>(kXapicSvr, 0x1FF);
    g.store<u32>(kXapicEsr, 0);  // latches the errors collected so far
    esr = g.load<u32>(kXapicEsr);
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(100'000);
  });
  sc_core::sc_start();
  CHECK(svr_booted == 0x1FF);  // as the guest kernel's bring-up leaves it
  CHECK(svr_off == 0xFF);
  CHECK(handled_while_off == 0);
  CHECK(ignored_while_off == 2);
  CHECK(esr == 0);
  CHECK(handled == 1);
  CHECK(b.cpu("RT_VM").counters().interrupts_ignored == 2);
  CHECK(doorbells_delivered(*b.platform, 0) == 3);  // the device delivered all three; the LAPIC ignored two
}

TEST_CASE("the x2APIC SVR and timer LVT read from the virtual-APIC page without an exit, and their writes exit") {
  test::Bench b(test::two_vm_scenario());
  u64 svr = 0, lvt = 0, lvt_disabled = 0, reads_exited = 1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const u64 reads = c.counters().exits[exit_index(ExitReason::msr_read)];
    svr = g.rdmsr(kX2apicSvr);
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    lvt = g.rdmsr(kX2apicLvtTimer);
    g.wrmsr(kX2apicSvr, 0xFF);
    // vlapic_write_lvt: masked while software-disabled, and it stays masked
    // when the LAPIC is enabled again (vlapic_mask_lvts on the disable).
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    g.wrmsr(kX2apicSvr, 0x1FF);
    lvt_disabled = g.rdmsr(kX2apicLvtTimer);
    reads_exited = c.counters().exits[exit_index(ExitReason::msr_read)] - reads;
  });
  sc_core::sc_start();
  CHECK(svr == 0x1FF);
  CHECK(lvt == (kTscDeadlineMode | kTimerVector));
  CHECK(lvt_disabled == (kMasked | kTscDeadlineMode | kTimerVector));
  CHECK(reads_exited == 0);
  // The APIC base (enable_x2apic), two LVT and two SVR writes.
  CHECK(b.vm(0).exits[exit_index(ExitReason::msr_write)] == 5);
}

TEST_CASE("the TSC-deadline timer: 0 disarms it, a new deadline replaces the old, a masked LVT requests nothing") {
  test::Bench b(test::two_vm_scenario());
  std::vector<TimePs> fired;
  TimePs rearmed_at = 0, disarmed_window_end = 0, masked_window_end = 0;
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest& isr) { fired.push_back(isr.timestamp().time_ps); });
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    // Armed, then disarmed with 0: nothing fires (here it fired at once).
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    g.wrmsr(kTscDeadline, 0);
    g.compute(2 * ticks_10us);
    disarmed_window_end = c.now_ps();
    // Armed for 10 us, then for 30 us: it fires once, at the second.
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    const u64 tsc = g.rdtsc();
    rearmed_at = c.now_ps();
    g.wrmsr(kTscDeadline, tsc + 3 * ticks_10us);
    g.compute(5 * ticks_10us);
    // Masked: it expires and requests nothing.
    g.wrmsr(kX2apicLvtTimer, kMasked | kTscDeadlineMode | kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    g.compute(2 * ticks_10us);
    masked_window_end = c.now_ps();
    // One-shot mode: IA32_TSC_DEADLINE writes are ignored.
    g.wrmsr(kX2apicLvtTimer, kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    g.compute(2 * ticks_10us);
  });
  sc_core::sc_start();
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] > disarmed_window_end);
  // Taken at the first boundary after it: the hypervisor timer's exit
  // (external_interrupt, timer_softirq) comes first.
  const TimePs expiry_exit = b.timing.vm_exit_entry_ps + b.timing.timer_emulation_ps;
  CHECK(fired[0] >= rearmed_at + 30'000'000 + expiry_exit);
  CHECK(fired[0] < rearmed_at + 31'000'000 + expiry_exit);
  CHECK(fired[0] < masked_window_end);
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == 1);
  CHECK(b.cpu("RT_VM").counters().interrupts_ignored == 0);
  // The masked expiry exits too: vlapic_timer_expired requests nothing.
  CHECK(b.cpu("RT_VM").counters().exits[exit_index(ExitReason::external_interrupt)] == 2);
}

TEST_CASE("a halted vCPU wakes at its timer's deadline, and an MSI before it wakes it at the MSI") {
  test::Bench b(test::two_vm_scenario());
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  TimePs armed = 0, woke_timer = 0, armed2 = 0, woke_msi = 0;
  u8 v_timer = 0, v_msi = 0;
  bool ready = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    g.on_interrupt(0x41, [](Guest&) {});
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x41);
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    armed = c.now_ps();
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    v_timer = g.halt();
    woke_timer = c.now_ps();
    // Armed for 100 us; the peer's doorbell comes first.
    ready = true;
    armed2 = c.now_ps();
    g.wrmsr(kTscDeadline, g.rdtsc() + 10 * ticks_10us);
    v_msi = g.halt();
    woke_msi = c.now_ps();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!ready) g.compute(1'000);
    g.compute(ticks_10us);
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(v_timer == kTimerVector);
  CHECK(woke_timer >= armed + 10'000'000);
  CHECK(woke_timer < armed + 12'000'000 + b.timing.c1_exit_ps);  // its idle pCPU leaves C1 too
  CHECK(v_msi == 0x41);
  CHECK(woke_msi > armed2 + 10'000'000);
  CHECK(woke_msi < armed2 + 20'000'000);
}

TEST_CASE("software-disabling the LAPIC stops an armed timer (vlapic_write_svr)") {
  test::Bench b(test::two_vm_scenario());
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  int fired = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest&) { ++fired; });
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    g.wrmsr(kX2apicSvr, 0xFF);
    g.wrmsr(kX2apicSvr, 0x1FF);
    g.compute(3 * ticks_10us);
    CHECK_FALSE(c.lapic().timer_armed());
  });
  sc_core::sc_start();
  CHECK(fired == 0);
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == 0);
}

namespace {

// RT_VM polls a line HMI_VM writes at 50 us, its timer armed for 10 us.
void poll_through_timer(bool masked, bool passthrough = false) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = passthrough;
  test::Bench b(s);
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  TimePs armed = 0, fired_at = 0, seen_at = 0, written_at = 0;
  u64 seen = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest& isr) { fired_at = isr.timestamp().time_ps; });
    g.wrmsr(kX2apicLvtTimer, (masked ? kMasked : 0) | kTscDeadlineMode | kTimerVector);
    armed = c.now_ps();
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    seen = g.wait_until(d->shmem, 8, Cmp::eq, 7);
    seen_at = c.now_ps();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.compute(5 * ticks_10us);
    written_at = c.now_ps();
    g.store<u64>(d->shmem, 7);
  });
  sc_core::sc_start();
  CHECK(b.cpu("RT_VM").finished());
  CHECK(seen == 7);
  CHECK(seen_at > written_at);
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == (masked ? 0 : 1));
  // A poller runs the guest: the hypervisor timer's expiry exits it either
  // way; the physical timer of a passthrough LAPIC does not.
  CHECK(b.cpu("RT_VM").counters().exits[exit_index(ExitReason::external_interrupt)] == (passthrough ? 0u : 1u));
  if (masked) {
    CHECK(fired_at == 0);
  } else {
    const TimePs expiry_exit = passthrough ? 0 : b.timing.vm_exit_entry_ps + b.timing.timer_emulation_ps;
    CHECK(fired_at >= armed + 10'000'000 + expiry_exit);
    CHECK(fired_at < armed + 11'000'000 + expiry_exit);
  }
}

}  // namespace

TEST_CASE("a vCPU polling a line takes its timer at the deadline and goes on polling") { poll_through_timer(false); }

TEST_CASE("a vCPU polling a line goes on polling when its masked timer expires") { poll_through_timer(true); }

TEST_CASE("under LAPIC passthrough a vCPU polling a line takes its physical timer without an exit") {
  poll_through_timer(false, true);
}

// The count-down modes (vlapic_write_icrtmr, set_expiration): the initial
// count, shifted by the divide configuration, in TSC ticks from the write.
namespace {
constexpr u32 kTimerIcr = 0x838, kTimerCcr = 0x839, kTimerDcr = 0x83E;
constexpr u64 kPeriodicMode = u64{1} << 17;
constexpr u64 kDivideBy1 = 0xB;
}  // namespace

TEST_CASE("a periodic LAPIC timer wakes a halted vCPU every period, on its first expiry's grid") {
  test::Bench b(test::two_vm_scenario());
  // A 1 ms period: above ACRN's floor for periodic timers (MIN_TIMER_PERIOD_US).
  const u64 ticks_period = ticks_in(b, 1'000'000'000);
  std::vector<TimePs> woke;
  TimePs armed = 0;
  u64 icr = 0, dcr = 0, ccr = 0, reads_exited = 0, writes_exited = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    const u64 reads = c.counters().exits[exit_index(ExitReason::msr_read)];
    const u64 writes = c.counters().exits[exit_index(ExitReason::msr_write)];
    g.wrmsr(kX2apicLvtTimer, kPeriodicMode | kTimerVector);
    g.wrmsr(kTimerDcr, kDivideBy1);
    g.wrmsr(kTimerIcr, ticks_period);
    armed = c.lapic().timer_deadline_ps() - 1'000'000'000;  // set_expiration ran inside the exit
    icr = g.rdmsr(kTimerIcr);                            // from the virtual-APIC page
    dcr = g.rdmsr(kTimerDcr);
    ccr = g.rdmsr(kTimerCcr);  // vlapic_get_ccr: an exit
    reads_exited = c.counters().exits[exit_index(ExitReason::msr_read)] - reads;
    writes_exited = c.counters().exits[exit_index(ExitReason::msr_write)] - writes;
    for (int i = 0; i < 4; ++i) {
      CHECK(g.halt() == kTimerVector);
      woke.push_back(c.now_ps());
      g.compute(3 * ticks_period / 10);  // work between ticks; the period keeps its phase
    }
    g.wrmsr(kTimerIcr, 0);  // stops it
    g.compute(3 * ticks_period);
  });
  sc_core::sc_start();
  CHECK(icr == ticks_period);
  CHECK(dcr == kDivideBy1);
  CHECK(ccr > 0);
  CHECK(ccr < ticks_period);
  CHECK(reads_exited == 1);
  CHECK(writes_exited == 3);
  REQUIRE(woke.size() == 4);
  for (std::size_t i = 0; i < woke.size(); ++i) {
    const TimePs due = armed + (i + 1) * 1'000'000'000;
    CHECK(woke[i] >= due + 1'000);
    CHECK(woke[i] < due + 2'000'000 + b.timing.c1_exit_ps);  // the HLT's wake-up, its idle pCPU out of C1 first
    // Each period ends 1 ms after the last, whatever the work in between.
    if (i > 0) CHECK(std::llabs(static_cast<long long>(woke[i] - woke[i - 1]) - 1'000'000'000) <= 1'000);
  }
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == 4);
  CHECK_FALSE(b.cpu("RT_VM").lapic().timer_armed());
}

TEST_CASE("a one-shot xAPIC timer fires once, its current count read through an APIC-access exit") {
  test::Bench b(test::two_vm_scenario());
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  constexpr Gpa kApic = 0xFEE0'0000;
  std::vector<TimePs> fired;
  TimePs armed = 0;
  u32 ccr_early = 0, ccr_late = 0, icr = 0;
  u64 exits_for_reads = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(kTimerVector, [&](Guest& isr) { fired.push_back(isr.timestamp().time_ps); });
    g.store<u32>(kApic + 0x320, kTimerVector);  // one-shot
    g.store<u32>(kApic + 0x3E0, 0x3);           // divide by 16
    g.store<u32>(kApic + 0x380, static_cast<u32>(ticks_10us / 16));
    armed = c.lapic().timer_deadline_ps() - 10'000'000;  // set_expiration ran inside the exit
    const u64 before = c.counters().exits[exit_index(ExitReason::apic_access)];
    icr = g.load<u32>(kApic + 0x380);  // the virtual-APIC page
    ccr_early = g.load<u32>(kApic + 0x390);
    exits_for_reads = c.counters().exits[exit_index(ExitReason::apic_access)] - before;
    g.compute(3 * ticks_10us);
    ccr_late = g.load<u32>(kApic + 0x390);
  });
  sc_core::sc_start();
  CHECK(icr == ticks_10us / 16);
  CHECK(ccr_early > 0);
  CHECK(ccr_early <= ticks_10us / 16);
  CHECK(ccr_late == 0);
  CHECK(exits_for_reads == 1);
  REQUIRE(fired.size() == 1);
  // Taken at the first boundary after it, after the hypervisor timer's exit,
  // its ISR entered; the count is rounded down to 16 ticks.
  const TimePs expiry_exit = b.timing.vm_exit_entry_ps + b.timing.timer_emulation_ps;
  CHECK(fired[0] >= armed + 10'000'000 - 10'000 + expiry_exit);
  CHECK(fired[0] < armed + 11'000'000 + expiry_exit);
  CHECK(b.cpu("RT_VM").counters().exits[exit_index(ExitReason::external_interrupt)] == 1);
}

TEST_CASE("a masked periodic timer does not end a halt (vlapic_timer_expired requests nothing)") {
  test::Bench b(test::two_vm_scenario());
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  TimePs armed = 0, woke = 0, written = 0;
  u8 vector = 0;
  bool ready = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.enable_x2apic();
    g.on_interrupt(0x41, [](Guest&) {});
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x41);
    g.wrmsr(kX2apicLvtTimer, kMasked | kPeriodicMode | kTimerVector);
    g.wrmsr(kTimerDcr, kDivideBy1);
    armed = c.now_ps();
    g.wrmsr(kTimerIcr, ticks_10us);
    ready = true;
    vector = g.halt();
    woke = c.now_ps();
    g.wrmsr(kTimerIcr, 0);
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!ready) g.compute(1'000);
    g.compute(5 * ticks_10us);  // five periods
    written = c.now_ps();
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(vector == 0x41);
  CHECK(woke > written);
  CHECK(woke > armed + 50'000'000);
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == 0);
  CHECK(b.cpu("RT_VM").counters().exits[exit_index(ExitReason::hlt)] == 1);
}

// LAPIC passthrough, once the guest is in x2APIC mode (vlapic_set_apicbase ->
// switch_apicv_mode_x2apic): the timer's registers are the physical LAPIC's
// (update_msr_bitmap_x2apic_passthru intercepts none of them; the TSC
// deadline neither while the TSC offset is 0, set_tsc_msr_interception), its
// count-down counts at the core crystal clock, and HLT does not exit.
TEST_CASE("under LAPIC passthrough a periodic timer counts at the crystal clock and wakes a HLT that did not exit") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  REQUIRE(b.timing.crystal_khz > 0);
  const u64 crystal_10us = b.timing.crystal_khz / 100;  // crystal ticks in 10 us
  std::vector<TimePs> woke;
  TimePs first_due = 0;
  u64 icr = 0, ccr = 0, msr_exits = 0, hlt_exits = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    const u64 before =
        c.counters().exits[exit_index(ExitReason::msr_write)] + c.counters().exits[exit_index(ExitReason::msr_read)];
    g.wrmsr(kX2apicLvtTimer, kPeriodicMode | kTimerVector);
    g.wrmsr(kTimerDcr, kDivideBy1);
    g.wrmsr(kTimerIcr, crystal_10us);
    first_due = c.lapic().timer_deadline_ps();
    icr = g.rdmsr(kTimerIcr);
    ccr = g.rdmsr(kTimerCcr);  // the physical LAPIC's current count: no exit
    for (int i = 0; i < 4; ++i) {
      CHECK(g.halt() == kTimerVector);
      woke.push_back(c.now_ps());
      g.compute(3'000);
    }
    g.wrmsr(kTimerIcr, 0);
    msr_exits = c.counters().exits[exit_index(ExitReason::msr_write)] +
                c.counters().exits[exit_index(ExitReason::msr_read)] - before;
    hlt_exits = c.counters().exits[exit_index(ExitReason::hlt)];
  });
  sc_core::sc_start();
  CHECK(icr == crystal_10us);
  CHECK(ccr > 0);
  CHECK(ccr <= crystal_10us);
  CHECK(msr_exits == 0);
  CHECK(hlt_exits == 0);
  REQUIRE(woke.size() == 4);
  // Ten microseconds of the crystal clock apart, whatever the TSC's rate;
  // each wake-up leaves C1 and enters the handler, with no VM entry.
  for (std::size_t i = 0; i < woke.size(); ++i) {
    const TimePs due = first_due + i * 10'000'000;
    const TimePs path = b.timing.c1_exit_ps + b.timing.isr_entry_ps;
    CHECK(std::llabs(static_cast<long long>(woke[i] - (due + path))) <= 2);
  }
  CHECK(b.cpu("RT_VM").counters().timer_interrupts == 4);
}

namespace {
// IA32_TSC_DEADLINE read back: 0 outside TSC-deadline mode, the deadline
// while it is ahead, 0 once it has fired (vlapic_get_tsc_deadline_msr; a
// physical LAPIC clears the MSR when its timer fires). The read exits
// unless the LAPIC is passed through (set_tsc_msr_interception).
void tsc_deadline_reads(bool passthrough) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = passthrough;
  test::Bench b(s);
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  u64 one_shot = 1, written = 0, armed = 0, fired = 1, exits = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    one_shot = g.rdmsr(kTscDeadline);  // the LVT timer resets to one-shot mode
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    written = g.rdtsc() + ticks_10us;
    g.wrmsr(kTscDeadline, written);
    const u64 before = c.counters().exits[exit_index(ExitReason::msr_read)];
    armed = g.rdmsr(kTscDeadline);
    exits = c.counters().exits[exit_index(ExitReason::msr_read)] - before;
    CHECK(g.halt() == kTimerVector);
    fired = g.rdmsr(kTscDeadline);
  });
  sc_core::sc_start();
  CHECK(one_shot == 0);
  CHECK(written != 0);
  CHECK(armed == written);
  CHECK(fired == 0);
  CHECK(exits == (passthrough ? 0u : 1u));
}
}  // namespace

TEST_CASE("IA32_TSC_DEADLINE reads back the armed deadline and then 0 through an exit") { tsc_deadline_reads(false); }

TEST_CASE("under LAPIC passthrough IA32_TSC_DEADLINE reads back from the physical LAPIC without an exit") {
  tsc_deadline_reads(true);
}

// The TSC is one counter for the package (SDM Vol. 3B 18.17): a vCPU on a
// core with a slower clock of its own (a hybrid part's Atom core) reads the
// same TSC, and its TSC deadline, converted by the hypervisor
// (vlapic_set_tsc_deadline_msr), expires as far ahead as the guest asked.
// With the core's own clock for its TSC the deadline would have been in the
// past by the hypervisor's count, and fired at once.
TEST_CASE("a vCPU on a core with a slower clock of its own counts the package's TSC and its deadline fires on time") {
  const Scenario s = test::two_vm_scenario();
  const Board board = load_board(s.board, {});
  const TimingParams timing = resolve_timing(load_timing_profile(board.timing_profile, {}));
  HostTiming host = HostTiming::uniform(timing, cache_topology(board).distance);
  TimingParams slow = timing;
  slow.core_clock = Frequency::from_mhz(timing.core_clock.mhz() * 3 / 4);
  const unsigned rt_pcpu = s.vms[0].pcpus.at(0);
  host.by_pcpu.at(rt_pcpu) = slow;
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
  Platform p(s, board, timing, host);
  constexpr TimePs kAhead = 100'000'000;  // 100 us
  const u64 ticks = static_cast<u64>(timing.tsc_clock.cycles_in(kAhead));
  TimePs armed = 0, fired = 0;
  u64 tsc_at_arm = 0;
  p.vcpu("RT_VM", 0)->set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest&) { fired = c.now_ps(); });
    g.wrmsr(0x832, kTscDeadlineMode | kTimerVector);
    g.compute(20'000'000);  // milliseconds in: a TSC at the core's clock would lag the package's by far more than 5 us
    tsc_at_arm = g.rdtsc();
    armed = c.now_ps();
    g.wrmsr(kTscDeadline, tsc_at_arm + ticks);
    while (fired == 0) g.compute(1'000);
  });
  sc_core::sc_start();
  REQUIRE(timing.tsc_clock.mhz() == timing.core_clock.mhz());
  CHECK(tsc_at_arm == static_cast<u64>(timing.tsc_clock.cycles_in(armed)));
  CHECK(fired >= armed + kAhead);
  CHECK(fired < armed + kAhead + 5'000'000);  // within 5 us: the exit, the compute step, the injection
}

// The guest kernel's tick on a LAPIC-passthrough VM's vCPU: the physical
// timer interrupts the guest directly only once the vCPU has switched to
// x2APIC mode (is_lapic_pt_enabled); before, its LAPIC is ACRN's and each
// tick is an exit, the injection and the TSC-deadline write's exit.
namespace {
u64 tick_exits_of_pt_linux_vm(bool x2apic) {
  Scenario s = test::two_vm_scenario();
  s.vms[2].lapic_passthrough = true;
  s.vms[2].os = "linux-uio";  // a 250 Hz tick
  s.noise.guest_ticks = true;
  test::Bench b(s);
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (x2apic) g.enable_x2apic();
    g.compute(40'000'000);  // 20 ms at 2 GHz: several ticks
  });
  sc_core::sc_start();
  REQUIRE(b.cpu("HMI_VM").counters().ticks >= 4);
  return b.cpu("HMI_VM").counters().exits[static_cast<std::size_t>(ExitReason::external_interrupt)];
}
}  // namespace

TEST_CASE("a LAPIC-passthrough vCPU's kernel ticks exit while it is in xAPIC mode: its LAPIC is still ACRN's") {
  CHECK(tick_exits_of_pt_linux_vm(false) >= 4);
}

TEST_CASE("a LAPIC-passthrough vCPU in x2APIC mode takes its kernel ticks without an exit") {
  CHECK(tick_exits_of_pt_linux_vm(true) == 0);
}
