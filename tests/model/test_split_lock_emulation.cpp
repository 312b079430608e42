// ACRN's split-lock emulation in a VM of several vCPUs (lock_instr_emul.c,
// v3.3): the #AC exit's handler makes ACRN_REQUEST_SPLIT_LOCK of the VM's
// other running vCPUs and kicks them, the instruction is stepped without its
// LOCK prefix under the monitor trap flag, and the MTF exit's handler
// signals VCPU_EVENT_SPLIT_LOCK. A vCPU that takes the request before the
// signal waits for it in the hypervisor; one that takes it after does not.
#include <systemc>

#include <catch2/catch.hpp>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr Gpa kBase = 16 * kMiB;
constexpr Gva kSplit = kBase + 60;  // bytes 60-67: two lines
constexpr Gva kFlag = kBase + 4096;

// A Tiger Lake NUC (its CPU enumerates split-lock detection) with the
// detection on: RT_VM has two vCPUs, on pCPUs 2 and 3.
Scenario tiger_lake(std::vector<unsigned> rt_pcpus) {
  Scenario s = test::two_vm_scenario();
  s.board = "nuc11tnbi5";
  s.split_lock_detection = true;
  s.vms[0].pcpus = std::move(rt_pcpus);
  s.vms[2].pcpus = {1};
  return s;
}

u64 exits(const Vcpu& c, ExitReason r) { return c.counters().exits[static_cast<std::size_t>(r)]; }

}  // namespace

TEST_CASE("a split lock in a VM of two vCPUs: the other vCPU waits from its kick to the MTF exit") {
  test::Bench b(tiger_lake({2, 3}));
  u64 swapped = 0;
  Breakdown cost;
  TimePs sibling_done_ps = 0;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(kSplit, 7);  // both lines Modified here, their translation cached
    g.compute(10000);         // the other vCPU is polling by now
    const Timestamp t0 = g.timestamp();
    swapped = g.cmpxchg64(kSplit, 7, 9);
    cost = g.timestamp().cumulative - t0.cumulative;
    g.store<u64>(kFlag, 1);
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.wait_until(kFlag, 8, Cmp::ne, 0);
    sibling_done_ps = c.now_ps();
  });
  sc_core::sc_start();

  const Vcpu& stepping = b.cpu("RT_VM", 0);
  const Vcpu& other = b.cpu("RT_VM", 1);
  CHECK(swapped == 7);
  CHECK(stepping.counters().bus_locks == 0);
  // Two exits: the #AC (its handler fetches the instruction's first byte)
  // and the MTF step's end.
  CHECK(exits(stepping, ExitReason::exception_or_nmi) == 1);
  CHECK(exits(stepping, ExitReason::monitor_trap) == 1);
  CHECK(cost.get(Component::exit) == 2 * b.timing.vm_exit_entry_ps);
  CHECK(cost.get(Component::hv) == b.timing.mmio_decode_ps);
  CHECK(cost.get(Component::coherence) < b.timing.bus_lock_ps);  // no LOCK#
  // Polling, the other vCPU was kicked out of its guest by the #AC exit's
  // handler, after the fetch, and its own exit took as long as the
  // stepping vCPU's VM entry and MTF exit together (each a vm_exit_entry
  // round trip): it waited through the step.
  CHECK(other.counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)] == 1);
  CHECK(other.counters().split_lock_pauses == 1);
  const TimePs step = cost.total() - cost.get(Component::exit) - cost.get(Component::tlb) - b.timing.mmio_decode_ps;
  REQUIRE(step > 0);
  CHECK(other.counters().split_lock_paused_ps == step);
  CHECK(sibling_done_ps > 0);
}

TEST_CASE("a split lock in a VM of one vCPU: no MTF step, no one to pause") {
  test::Bench b(tiger_lake({2}));
  Breakdown cost;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(kSplit, 7);
    const Timestamp t0 = g.timestamp();
    g.cmpxchg64(kSplit, 7, 9);
    cost = g.timestamp().cumulative - t0.cumulative;
  });
  sc_core::sc_start();
  const Vcpu& c = b.cpu("RT_VM");
  CHECK(exits(c, ExitReason::exception_or_nmi) == 1);
  CHECK(exits(c, ExitReason::monitor_trap) == 0);
  CHECK(cost.get(Component::exit) == b.timing.vm_exit_entry_ps);
  CHECK(c.counters().bus_locks == 0);
}

TEST_CASE("a vCPU that takes the split-lock request after the MTF exit does not wait") {
  test::Bench b(tiger_lake({2, 3}));
  TimePs lock_done_ps = 0;
  bool other_done = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(kSplit, 7);
    g.cmpxchg64(kSplit, 7, 9);
    lock_done_ps = c.now_ps();
  });
  // Busy in a long computation, it takes the kick at its next quantum
  // boundary, after the step is over: the event is set already
  // (signal_event), so wait_event returns at once.
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(200000);
    other_done = true;
  });
  sc_core::sc_start();
  const Vcpu& other = b.cpu("RT_VM", 1);
  REQUIRE(lock_done_ps > 0);
  CHECK(other_done);
  CHECK(other.counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)] >= 1);
  CHECK(other.counters().split_lock_pauses == 0);
}

TEST_CASE("two vCPUs of a VM split-locking at once: the second spins on the VM lock until the first's MTF exit") {
  test::Bench b(tiger_lake({2, 3}));
  struct Side {
    Breakdown cost;
    TimePs start_ps = 0, end_ps = 0;
  };
  Side side[2];
  const TimePs at_ps = ns_to_ps(20000);
  for (unsigned i = 0; i < 2; ++i)
    b.cpu("RT_VM", i).set_program([&, i](Vcpu& c) {
      Guest g(c);
      const Gva split = kSplit + i * kPageSize4K;  // lines of its own
      g.store<u64>(split, 7);
      while (c.now_ps() < at_ps) g.compute(8);
      const Timestamp t0 = g.timestamp();
      side[i].start_ps = c.now_ps();
      g.cmpxchg64(split, 7, 9);
      side[i].cost = g.timestamp().cumulative - t0.cumulative;
      side[i].end_ps = c.now_ps();
    });
  sc_core::sc_start();
  // get_vm_lock: one took the lock at its handler's time, the other found
  // it taken and spun in its #AC handler until the first's MTF exit.
  const bool first_is_0 = side[0].cost.get(Component::hv) == b.timing.mmio_decode_ps;
  const Side& holder = side[first_is_0 ? 0 : 1];
  const Side& spinner = side[first_is_0 ? 1 : 0];
  CHECK(holder.cost.get(Component::hv) == b.timing.mmio_decode_ps);
  CHECK(spinner.cost.get(Component::hv) > b.timing.mmio_decode_ps);
  for (unsigned i = 0; i < 2; ++i) {
    const Vcpu& c = b.cpu("RT_VM", i);
    CHECK(exits(c, ExitReason::exception_or_nmi) == 1);
    CHECK(exits(c, ExitReason::monitor_trap) == 1);
    CHECK(c.counters().bus_locks == 0);
  }
  // Both arrived within a few cycles of each other; the spinner's lock
  // check came after the holder's, and its spin ended when the holder's
  // MTF exit's handler released the lock, a vm_exit_entry before the
  // holder's instruction was done.
  CHECK(spinner.start_ps - holder.start_ps < ns_to_ps(10));
  const TimePs spin_end = spinner.start_ps + b.timing.vm_exit_entry_ps + spinner.cost.get(Component::hv);
  CHECK(spin_end == holder.end_ps);
}

TEST_CASE(
    "a halted vCPU is not kicked for a split lock: it takes the request when an interrupt wakes it, without "
    "waiting, and waits for the next one") {
  test::Bench b(tiger_lake({2, 3}));
  u32 sibling_apic_id = 0;
  bool halted_once = false, woken = false;
  int interrupts = 0;
  TimePs second_lock_done_ps = 0;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(0x61, [&](Guest&) { ++interrupts; });
    sibling_apic_id = g.apic_id();
    halted_once = true;
    g.halt();  // HLT exits: the vCPU is off its pCPU, not in its guest
    woken = true;
    g.wait_until(kFlag, 8, Cmp::ne, 0);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.store<u64>(kSplit, 7);
    while (!halted_once) g.compute(1000);
    g.compute(10000);           // the sibling is halted by now
    g.cmpxchg64(kSplit, 7, 9);  // its request is set, no kick
    g.compute(10000);
    g.wrmsr(0x830, (u64{sibling_apic_id} << 32) | 0x61);  // a fixed IPI wakes it
    while (!woken) g.compute(1000);
    g.compute(10000);           // polling now
    g.cmpxchg64(kSplit, 9, 7);  // kicked: it waits through this step
    second_lock_done_ps = c.now_ps();
    g.store<u64>(kFlag, 1);
  });
  sc_core::sc_start();
  const Vcpu& stepping = b.cpu("RT_VM", 0);
  const Vcpu& other = b.cpu("RT_VM", 1);
  REQUIRE(second_lock_done_ps > 0);
  CHECK(exits(stepping, ExitReason::monitor_trap) == 2);
  CHECK(interrupts == 1);
  // Halted, it was not kicked; it took the first request on its wake-up,
  // after the MTF exit had set the event, and did not wait. Had it not
  // cleared the event then, it would not have waited for the second step.
  CHECK(other.counters().local_exits[static_cast<std::size_t>(ExitReason::external_interrupt)] == 1);
  CHECK(other.counters().split_lock_pauses == 1);
  CHECK(other.finished());
}

TEST_CASE(
    "a LAPIC-passthrough vCPU halted in its guest is kicked with an INIT: one exit, no wait, and it halts "
    "again") {
  Scenario s = tiger_lake({2, 3});
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  u32 sibling_apic_id = 0;
  bool halted = false;
  int interrupts = 0;
  TimePs woken_ps = 0, ipi_sent_ps = 0;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();  // the LAPIC passed through from here: HLT does not exit
    g.on_interrupt(0x61, [&](Guest&) { ++interrupts; });
    sibling_apic_id = g.apic_id();
    halted = true;
    g.halt();
    woken_ps = c.now_ps();
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.store<u64>(kSplit, 7);
    while (!halted) g.compute(1000);
    g.compute(10000);  // the sibling is halted in its guest by now
    g.cmpxchg64(kSplit, 7, 9);
    g.compute(100000);
    ipi_sent_ps = c.now_ps();
    g.wrmsr(0x830, (u64{sibling_apic_id} << 32) | 0x61);  // a fixed IPI wakes it
  });
  sc_core::sc_start();
  const Vcpu& other = b.cpu("RT_VM", 1);
  REQUIRE(ipi_sent_ps > 0);
  // Its pCPU got the INIT: one exit. The core left C1 first (c1_exit, longer
  // than the step), so it took the request after the step's end had set the
  // event, and did not wait.
  CHECK(other.counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)] == 1);
  CHECK(other.counters().split_lock_pauses == 0);
  // The entry halted it again: only the IPI ended its HLT, and from C1.
  CHECK(woken_ps > ipi_sent_ps + b.timing.c1_exit_ps);
  CHECK(interrupts == 1);
  CHECK(other.finished());
}

TEST_CASE("an interrupt during a halted LAPIC-passthrough vCPU's INIT exit is taken at its VM entry") {
  Scenario s = tiger_lake({2, 3});
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  constexpr TimePs kLockPs = ns_to_ps(20000);               // when the sibling split-locks
  constexpr TimePs kDeadlinePs = kLockPs + ns_to_ps(1000);  // inside the INIT's exit
  TimePs woken_ps = 0, irq_ps = 0;
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();  // the timer passed through too: it interrupts the guest directly
    g.on_interrupt(0x61, [](Guest&) {});
    g.wrmsr(0x832, (u64{2} << 17) | 0x61);  // LVT timer: TSC-deadline mode
    g.wrmsr(0x6E0, b.timing.core_clock.cycles_in(kDeadlinePs));
    const Timestamp t0 = g.timestamp();
    g.halt();
    woken_ps = c.now_ps();
    irq_ps = (g.timestamp().cumulative - t0.cumulative).get(Component::irq);
  });
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.store<u64>(kSplit, 7);
    while (c.now_ps() < kLockPs) g.compute(100);
    g.cmpxchg64(kSplit, 7, 9);  // the INIT: the sibling's core leaves C1 and exits
  });
  sc_core::sc_start();
  const Vcpu& other = b.cpu("RT_VM", 1);
  CHECK(other.counters().local_exits[static_cast<std::size_t>(ExitReason::init_signal)] == 1);
  // The timer expired while the core was out of its halt: the VM entry took
  // it, without a second C1 exit. One C1 exit was the INIT's.
  CHECK(woken_ps > kDeadlinePs);
  CHECK(irq_ps == b.timing.c1_exit_ps + b.timing.isr_entry_ps);
}

// MSR_TEST_CTL (0x33): where the CPU enumerates the detection ACRN keeps
// each vCPU's own value (wrmsr_vmexit_handler: vcpu_set_guest_msr), and
// emulate_lock_instr injects the #AC back into a guest that set bit 29
// itself (is_guest_ac_enabled) instead of running the instruction unlocked.
TEST_CASE("a guest that turns on its own split-lock detection gets the #AC back and its instruction does not run") {
  Scenario s = tiger_lake({2, 3});
  s.console_loglevel = 4;  // pr_warn: the ignored MSR_TEST_CTL writes go to the serial console
  test::Bench b(s);
  constexpr u32 kMsrTestCtl = 0x33;
  u64 read_back = 0, other_read = 1, value_after = 0;
  u8 fault = 0;
  u64 swapped_after_off = 0;
  Breakdown cost;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(kSplit, 7);
    g.wrmsr(kMsrTestCtl, kMsrTestCtlSplitLockAc);
    read_back = g.rdmsr(kMsrTestCtl);
    const Timestamp t0 = g.timestamp();
    try {
      (void)g.cmpxchg64(kSplit, 7, 9);
    } catch (const GuestFault& f) {
      fault = f.vector;
    }
    cost = g.timestamp().cumulative - t0.cumulative;
    value_after = g.load<u64>(kSplit);
    // The guest's #AC handler turns its detection off and retries (Linux's
    // split_lock_detect=warn): now ACRN emulates the lock.
    g.wrmsr(kMsrTestCtl, 0);
    swapped_after_off = g.cmpxchg64(kSplit, 7, 9);
    g.store<u64>(kFlag, 1);
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.wait_until(kFlag, 8, Cmp::ne, 0);
    other_read = g.rdmsr(kMsrTestCtl);  // per vCPU: never written here
  });
  sc_core::sc_start();
  const Vcpu& v = b.cpu("RT_VM", 0);
  CHECK(read_back == kMsrTestCtlSplitLockAc);
  CHECK(other_read == 0);
  CHECK(fault == kVectorAc);
  CHECK(value_after == 7);  // the faulting CMPXCHG wrote nothing
  // The #AC exit and no step: no fetch, no kick, no MTF.
  CHECK(cost.get(Component::exit) == b.timing.vm_exit_entry_ps);
  CHECK(cost.get(Component::hv) == 0);
  CHECK(b.cpu("RT_VM", 1).counters().split_lock_pauses == 1);  // the retry's, not the fault's
  CHECK(exits(v, ExitReason::exception_or_nmi) == 2);
  CHECK(exits(v, ExitReason::monitor_trap) == 1);
  CHECK(swapped_after_off == 7);
  CHECK(v.counters().bus_locks == 0);
  CHECK(b.vm(0).faults_injected == 1);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 2);
  CHECK(log.first_lines().at(0).find("[sev=4][seq=1]:Ignore writting 0x20000000 to MSR_TEST_CTL from VM0") !=
        std::string::npos);
  CHECK(log.first_lines().at(1).find("[sev=4][seq=2]:Ignore writting 0x0 to MSR_TEST_CTL from VM0") !=
        std::string::npos);
}

TEST_CASE("MSR_TEST_CTL does not exist for a guest on a CPU without split-lock detection") {
  Scenario s = test::two_vm_scenario();  // cfl-k700-i7: a Coffee Lake
  s.split_lock_detection = true;
  test::Bench b(s);
  u8 write_fault = 0, read_fault = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    try {
      g.wrmsr(0x33, kMsrTestCtlSplitLockAc);
    } catch (const GuestFault& f) {
      write_fault = f.vector;
    }
    try {
      (void)g.rdmsr(0x33);
    } catch (const GuestFault& f) {
      read_fault = f.vector;
    }
  });
  sc_core::sc_start();
  CHECK(write_fault == kVectorGp);
  CHECK(read_fault == kVectorGp);
}

TEST_CASE("without ACRN's detection a guest's own MSR_TEST_CTL bit traps nothing: its split lock locks the bus") {
  Scenario s = tiger_lake({2});
  s.split_lock_detection = false;  // ACRN leaves the physical MSR alone
  test::Bench b(s);
  u64 swapped = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.store<u64>(kSplit, 7);
    g.wrmsr(0x33, kMsrTestCtlSplitLockAc);  // kept as the guest's value only
    swapped = g.cmpxchg64(kSplit, 7, 9);
  });
  sc_core::sc_start();
  CHECK(swapped == 7);
  CHECK(b.cpu("RT_VM").counters().bus_locks == 1);
  CHECK(exits(b.cpu("RT_VM"), ExitReason::exception_or_nmi) == 0);
  CHECK(b.vm(0).guest_msrs.at(0).test_ctl == kMsrTestCtlSplitLockAc);
}
