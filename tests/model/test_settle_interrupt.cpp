// An interrupt that comes while a poller settles (waits out its time ahead
// of the kernel before it watches the line, Vcpu::sync_before_sleep: a
// timed wait, deaf to the interrupt's event) is taken when it is due, not
// when the line is next written.
#include <systemc>

#include <catch2/catch.hpp>

#include "sim/run.h"
#include "tests/support/testbench.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {
const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
}

TEST_CASE("a doorbell that lands while the poller settles is taken then, not when the line is written") {
  test::Bench b(test::two_vm_scenario_with_workload());
  // A quantum longer than a doorbell's delivery (about 2.6 us): a vCPU may
  // run that far ahead, so the doorbell can land inside its settle.
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(10, sc_core::SC_US));
  constexpr unsigned kRounds = 80;
  std::vector<TimePs> isr_ps(kRounds, 0), wait_ps(kRounds, 0), written_ps(kRounds, 0);
  unsigned round_now = 0;
  u32 hmi = 0;
  // HMI_VM polls a line that RT_VM writes about 10 us after ringing HMI_VM's
  // doorbell; RT_VM is busy meanwhile, so HMI_VM settles before it sleeps.
  // Each round rings a little later, so the doorbell lands at every point
  // of HMI_VM's approach to its wait, its settle included.
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    KPollSignal sig;
    hmi = ivshmem_get_id(g, *d);  // IVPosition: the peer RT_VM rings
    REQUIRE(ivshmem_register_handler(g, *d, &sig, 0, [&](Guest& h) {
              if (!isr_ps[round_now]) isr_ps[round_now] = h.timestamp().time_ps;
            }) == 0);
    for (unsigned r = 0; r < kRounds; ++r) {
      round_now = r;
      g.store<u64>(d->shmem + 64, r + 1);  // ready for round r
      g.compute(6'600);                    // ahead of the kernel by a few us
      wait_ps[r] = g.timestamp().time_ps;
      g.wait_until(d->shmem, 8, Cmp::eq, r + 1);
    }
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    for (unsigned r = 0; r < kRounds; ++r) {
      g.wait_until(d->shmem + 64, 8, Cmp::eq, r + 1);
      g.compute(40 * r);  // 0 to about 1.8 us later each round
      REQUIRE(ivshmem_int_peer(g, *d, hmi, 0) == 0);
      g.compute(30'000);  // busy
      written_ps[r] = g.timestamp().time_ps;
      g.store<u64>(d->shmem, r + 1);
    }
  });
  RunConfig limits;
  limits.watchdog_ms = 2000;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  REQUIRE(out.cut == RunCut::none);
  unsigned during_wait = 0;
  for (unsigned r = 0; r < kRounds; ++r) {
    INFO("round " << r << ": waiting from " << wait_ps[r] << " ps, doorbell taken at " << isr_ps[r]
                  << " ps, line written at " << written_ps[r] << " ps");
    CHECK(isr_ps[r] > 0);
    CHECK(isr_ps[r] < written_ps[r]);
    during_wait += isr_ps[r] > wait_ps[r];
  }
  // Rounds whose doorbell came once the poller was in wait_until (with the
  // check before sleeping removed, these take it only after the write).
  CHECK(during_wait > kRounds / 2);
}
