// The guest-traffic fuzz target's seed corpus and reproducers, replayed on
// one platform as the fuzzer runs them: every operation completes and
// isolation holds after each (fuzz/targets/guest_traffic.h).
#include <systemc>

#include <catch2/catch.hpp>

#include "fuzz/targets/guest_traffic.h"
#include "models/hv/ivshmem_region_pool.h"
#include "tests/support/fuzz_inputs.h"

using namespace ivsim;

TEST_CASE("fuzz corpus: guest traffic runs with isolation intact after every operation", "[fuzz]") {
  fuzz::GuestTraffic traffic;
  const auto seeds = test::fuzz_inputs("guest_traffic", "corpus");
  CHECK(seeds.size() >= 8);
  for (const auto& in : seeds) {
    INFO(in.path);
    traffic.run(test::bytes_of(in), in.bytes.size());
  }
  for (const auto& in : test::fuzz_inputs("guest_traffic", "regressions")) {
    INFO(in.path);
    traffic.run(test::bytes_of(in), in.bytes.size());
  }
  // The seeds reach the device: doorbells rang and were delivered to the peer.
  CHECK(traffic.ops_run() > 100);
  const IvshmemRegion* r = traffic.platform().hypervisor().ivshmem_pool()->find("hv:/shm0");
  REQUIRE(r);
  CHECK(r->doorbells.delivered > 0);
  Hypervisor& hv = traffic.platform().hypervisor();
  CHECK(hv.vm(0)->interrupts_received > 0);
  CHECK(hv.vm(2)->interrupts_received > 0);
  // The LAPIC seeds: RT_VM's timer expired, its periodic count-down again
  // and again (the TSC-deadline seed alone expires once), and its LAPIC
  // ignored a doorbell while software-disabled.
  const Vcpu& rt = *traffic.platform().vcpus_of(0).at(0);
  CHECK(rt.counters().timer_interrupts > 5);
  CHECK(rt.counters().interrupts_ignored > 0);
  // The HLT seed: RT_VM halted four times and HMI_VM once, each an exit
  // (their LAPICs are emulated), and each was woken, or the input would not
  // have completed.
  const auto hlt = static_cast<std::size_t>(ExitReason::hlt);
  CHECK(rt.counters().exits[hlt] >= 4);
  CHECK(traffic.platform().vcpus_of(2).at(0)->counters().exits[hlt] >= 1);
  // The region held the input's canary where no operation wrote, as the
  // members' bytes the non-member must never read.
  CHECK(traffic.canary() != 0);
  CHECK(traffic.platform().host_memory().read_u64(r->hpa + r->size / 2) == traffic.canary());
}
