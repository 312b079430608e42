// The run loop (sim/run.h run_platform) on guest programs written to go
// wrong: two guests each waiting for the other (a deadlock: nothing is left
// to simulate), and a guest that keeps trapping on a register that never
// changes (a livelock: time passes, nothing progresses).
#include <systemc>

#include <catch2/catch.hpp>

#include "sim/run.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/workload_kind.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

}  // namespace

TEST_CASE(
    "two guests each waiting for the other's flag deadlock: the run ends at once, each vCPU named with the flag it "
    "polls") {
  test::Bench b(test::two_vm_scenario_with_workload());
  for (const auto& [vm, mine, theirs] : {std::tuple{"RT_VM", 0x0, 0x40}, std::tuple{"HMI_VM", 0x40, 0x0}}) {
    b.cpu(vm).set_program([&, mine = mine, theirs = theirs](Vcpu& c) {
      Guest g(c);
      const auto d = ivshmem_probe(g, k08);
      g.wait_until(d->shmem + theirs, 8, Cmp::eq, 1);  // never: the other waits too
      g.store<u64>(d->shmem + mine, 1);
    });
  }
  RunConfig limits;
  limits.watchdog_ms = 1000;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  CHECK(out.cut == RunCut::stall);
  CHECK(out.stall.deadlock);
  CHECK(out.simulated_ps < 1'000'000'000);  // long before the watchdog: nothing was left to simulate
  REQUIRE(out.stall.blocked.size() == 2);
  for (const auto& blocked : out.stall.blocked) {
    INFO(blocked.waits);
    CHECK(blocked.waits.find("polling GVA ") == 0);
    CHECK(blocked.waits.find("region hv:/shm0") != std::string::npos);
  }
  CHECK(b.platform->workloads()[0]->status() == "stalled");
  const std::string text = out.stall.text();
  CHECK(text.find("nothing is left to simulate (deadlock)") != std::string::npos);
  CHECK(text.find("handshake.initiator on vm0_RT_VM_vcpu0 (pCPU 3): polling GVA") != std::string::npos);
  CHECK(text.find("handshake.responder on vm2_HMI_VM_vcpu0 (pCPU 5): polling GVA") != std::string::npos);
}

TEST_CASE("a guest that keeps trapping on a register and never measures is stopped by the watchdog") {
  test::Bench b(test::two_vm_scenario_with_workload());
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (g.load<u32>(d->regs + 0x08) != 99) {  // IVPosition is this VM's id, never 99
    }
  });
  b.cpu("HMI_VM").set_program([](Vcpu&) {});
  RunConfig limits;
  limits.watchdog_ms = 1;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  CHECK(out.cut == RunCut::stall);
  CHECK_FALSE(out.stall.deadlock);
  // Trapped accesses count as bring-up progress for a while, then no more:
  // the run ends one watchdog span after the last of them.
  CHECK(b.cpu("RT_VM").exits_done() > WorkloadRun::kBringUpExits);
  CHECK(out.simulated_ps - out.stall.last_progress_ps == 1'000'000'000);
  REQUIRE(out.stall.blocked.size() == 1);
  CHECK(out.stall.blocked[0].vcpu == "vm0_RT_VM_vcpu0");
  CHECK(out.stall.text().find("no workload made progress since") != std::string::npos);
}
