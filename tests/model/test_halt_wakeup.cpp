// How a halted vCPU wakes, as ACRN does it: an exited HLT through the
// hypervisor's scheduler (hlt_wakeup), after the core leaves C1 when its
// pCPU was idle in ACRN v3.3's idle loop (cpu_do_idle in IDLE_MODE_HLT; a
// pCPU another vCPU keeps busy is not halted, and PAUSE never halts it); a
// LAPIC-passthrough guest's HLT, which does not exit, ends with the core
// leaving C1 in the guest (c1_exit).
#include <string>
#include <systemc>

#include <catch2/catch.hpp>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr u32 kTscDeadline = 0x6E0;
constexpr u8 kTimerVector = 0xEC;
constexpr u64 kTscDeadlineMode = u64{2} << 17;

std::size_t exit_index(ExitReason r) { return static_cast<std::size_t>(r); }

u64 ticks_in(const test::Bench& b, TimePs ps) { return static_cast<u64>(b.timing.core_clock.cycles_in(ps)); }

}  // namespace

namespace {
// A TSC deadline 10 us ahead, then HLT. ACRN's emulation traps the write
// (vlapic_set_tsc_deadline_msr) and the HLT, and wakes the halted vCPU
// through its scheduler; the physical timer does neither. Meanwhile the
// pCPU runs ACRN's idle loop: HLT (ACRN v3.3 cpu_do_idle), which the timer
// interrupt ends with a C1 exit before the scheduler runs, or PAUSE, which
// it ends at once. A passthrough LAPIC's pCPU never halts in root mode.
void tsc_deadline_then_halt(bool passthrough, const char* idle = "HLT") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = passthrough;
  s.idle = idle;
  test::Bench b(s);
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  TimePs deadline = 0, woke = 0;
  u64 writes = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    const u64 before = c.counters().exits[exit_index(ExitReason::msr_write)];
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    writes = c.counters().exits[exit_index(ExitReason::msr_write)] - before;
    deadline = c.lapic().timer_deadline_ps();
    CHECK(g.halt() == kTimerVector);
    woke = c.now_ps();
  });
  sc_core::sc_start();
  CHECK(writes == (passthrough ? 0u : 1u));
  const bool core_halts = !passthrough && std::string(idle) == "HLT";
  CHECK(b.cpu("RT_VM").config().idle_halts == core_halts);
  const TimePs wake =
      passthrough ? b.timing.c1_exit_ps : b.timing.hlt_wakeup_ps + (core_halts ? b.timing.c1_exit_ps : 0);
  CHECK(woke == deadline + wake + b.timing.isr_entry_ps);
  CHECK(b.cpu("RT_VM").counters().exits[exit_index(ExitReason::hlt)] == (passthrough ? 0u : 1u));
}
}  // namespace

TEST_CASE("under LAPIC passthrough a TSC-deadline write and HLT do not exit, and the physical timer wakes the core") {
  tsc_deadline_then_halt(true);
}

TEST_CASE("without LAPIC passthrough a TSC-deadline write and HLT exit, and the emulated timer wakes the vCPU") {
  tsc_deadline_then_halt(false);
}

TEST_CASE("an idle loop that pauses (KEEP_IRQ_DISABLED, ACRN before v3.3) wakes the halted vCPU without a C1 exit") {
  tsc_deadline_then_halt(false, "PAUSE");
}

namespace {
// RT_VM and HMI_VM share pCPU 3 under SCHED_IORR. RT_VM arms its TSC
// deadline and halts; HMI_VM then computes through the deadline (`busy`)
// or halts too. Returns what RT_VM's wake-up charged (component irq, the
// ISR entry included).
TimePs shared_pcpu_wakeup(bool busy, TimePs& c1_exit, TimePs& plain) {
  Scenario s = test::two_vm_scenario();
  s.scheduler = "SCHED_IORR";
  s.vms[2].pcpus = {3};
  test::Bench b(s);
  const u64 ticks_10us = ticks_in(b, 10'000'000);
  TimePs irq = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + ticks_10us);
    const TimePs before = c.cumulative().get(Component::irq);
    CHECK(g.halt() == kTimerVector);
    irq = c.cumulative().get(Component::irq) - before;
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (busy)
      g.compute(2 * ticks_10us);
    else
      g.halt();
  });
  sc_core::sc_start();
  c1_exit = b.timing.c1_exit_ps;
  plain = b.timing.hlt_wakeup_ps + b.timing.isr_entry_ps;
  return irq;
}
}  // namespace

// One elaboration per process: the two cases are two tests.
TEST_CASE("a vCPU woken on a pCPU another vCPU keeps busy pays no C1 exit") {
  TimePs c1 = 0, plain = 0;
  const TimePs irq = shared_pcpu_wakeup(true, c1, plain);
  CHECK(c1 > 0);
  CHECK(irq == plain);
}

TEST_CASE("a vCPU woken on a shared pCPU that is idle pays the C1 exit") {
  TimePs c1 = 0, plain = 0;
  const TimePs irq = shared_pcpu_wakeup(false, c1, plain);
  CHECK(c1 > 0);
  CHECK(irq == plain + c1);
}

// SCHED_PRIO on pCPU 3: RT_VM (priority 2) and HMI_VM (priority 1). RT_VM
// halts for 50 us, which lets HMI_VM run: it arms its TSC deadline 100 us
// out and halts. RT_VM then computes for 200 us, through HMI_VM's deadline. The
// timer's interrupt exits RT_VM, wake_thread asks for a reschedule whatever
// the priorities (make_reschedule_request), and sched_prio_pick_next picks
// RT_VM again: one external_interrupt exit, no switch, and HMI_VM handles
// its timer only once RT_VM is done.
TEST_CASE("under SCHED_PRIO a lower-priority wake-up exits the running vCPU and the reschedule picks it again") {
  Scenario s = test::two_vm_scenario();
  s.scheduler = "SCHED_PRIO";
  s.vms[0].priority = 2;
  s.vms[2].priority = 1;
  s.vms[2].pcpus = {3};
  test::Bench b(s);
  const u64 ticks_1us = ticks_in(b, 1'000'000);
  u64 compute_exits = ~u64{0}, compute_switches = ~u64{0};
  TimePs rt_done = 0, hmi_deadline = 0, hmi_handled = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [](Guest&) {});
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + 50 * ticks_1us);
    CHECK(g.halt() == kTimerVector);
    const u64 exits = c.counters().local_exits[exit_index(ExitReason::external_interrupt)];
    const u64 switches = c.sched_entity().context_switches;
    g.compute(200 * ticks_1us);
    compute_exits = c.counters().local_exits[exit_index(ExitReason::external_interrupt)] - exits;
    compute_switches = c.sched_entity().context_switches - switches;
    rt_done = c.now_ps();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest&) { hmi_handled = c.now_ps(); });
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    g.wrmsr(kTscDeadline, g.rdtsc() + 100 * ticks_1us);
    hmi_deadline = c.lapic().timer_deadline_ps();
    CHECK(g.halt() == kTimerVector);
  });
  sc_core::sc_start();
  CHECK(compute_exits == 1);
  CHECK(compute_switches == 0);
  CHECK(hmi_deadline < rt_done);  // the timer fired while RT_VM computed
  CHECK(hmi_handled >= rt_done);
}

// apicv_advanced_accept_intr notifies the destination's pCPU whether or not
// the destination runs there. Under SCHED_PRIO, HMI_VM (priority 2) keeps
// pCPU 3 from RT_VM's vCPU 0 (priority 1), which is runnable, not halted.
// RT_VM's vCPU 1 on pCPU 4 sends vCPU 0 a fixed IPI: its notification
// vector is RT_VM's, not HMI_VM's, so HMI_VM exits (external_interrupt);
// vCPU 0 takes the interrupt once it runs (at its first boundary, before
// it could install a handler).
TEST_CASE("a posted interrupt to a vCPU waiting for its shared pCPU exits the other VM's vCPU running there") {
  Scenario s = test::two_vm_scenario();
  s.scheduler = "SCHED_PRIO";
  s.vms[0].pcpus = {3, 4};
  s.vms[0].priority = 1;
  s.vms[2].priority = 2;
  s.vms[2].pcpus = {3};
  test::Bench b(s);
  const u64 ticks_1us = ticks_in(b, 1'000'000);
  u64 hmi_exits = ~u64{0};
  TimePs sent = 0, hmi_done = 0, rt_started = 0;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    rt_started = c.now_ps();
    Guest g(c);
    g.compute(10 * ticks_1us);
  });
  const u64 to_vcpu0 = u64{b.cpu("RT_VM", 0).config().apic_id} << 32;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.compute(50 * ticks_1us);
    sent = c.now_ps();
    g.wrmsr(0x830, to_vcpu0 | 0x61);  // fixed
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const u64 exits = c.counters().local_exits[exit_index(ExitReason::external_interrupt)];
    g.compute(200 * ticks_1us);
    hmi_exits = c.counters().local_exits[exit_index(ExitReason::external_interrupt)] - exits;
    hmi_done = c.now_ps();
  });
  sc_core::sc_start();
  CHECK(sent > 0);
  CHECK(sent < hmi_done);
  CHECK(hmi_exits == 1);
  CHECK(rt_started >= hmi_done);
  CHECK(b.cpu("RT_VM", 0).counters().interrupts == 1);
}
