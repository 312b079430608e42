// LOCK CMPXCHG as the processor carries it out: a cache lock on one line
// (misaligned or not), a bus lock when no cache can lock it (split across two
// lines, or to UC memory), never a fault (models/cpu/vcpu_module.cpp,
// Vcpu::bus_locked_cmpxchg).
#include <systemc>

#include <catch2/catch.hpp>

#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;
using test::hv_device;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

}  // namespace

TEST_CASE("a LOCK CMPXCHG split across two cache lines is an atomic bus lock at the profile's cost") {
  test::Bench b(test::two_vm_scenario());
  u64 swapped = 0, failed = 0, value = 0, in_line = 0;
  Breakdown split_cost, line_cost;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gva shm = ivshmem_probe(g, k08)->shmem;
    const Gva split = shm + 60;  // bytes 60-67: two lines
    g.store<u64>(split, 7);
    Timestamp t0 = g.timestamp();
    swapped = g.cmpxchg64(split, 7, 9);
    split_cost = g.timestamp().cumulative - t0.cumulative;
    failed = g.cmpxchg64(split, 7, 11);  // 9 is there: no swap
    value = g.load<u64>(split);
    // Misaligned within one line: an ordinary cache lock.
    g.store<u64>(shm + 130, 1);
    t0 = g.timestamp();
    in_line = g.cmpxchg64(shm + 130, 1, 2);
    line_cost = g.timestamp().cumulative - t0.cumulative;
  });
  sc_core::sc_start();
  CHECK(swapped == 7);
  CHECK(failed == 9);
  CHECK(value == 9);
  CHECK(split_cost.get(Component::coherence) == b.timing.bus_lock_ps);
  CHECK(in_line == 1);
  CHECK(line_cost.get(Component::coherence) == 0);
  CHECK(line_cost.total() == b.timing.l1_hit_ps);  // the line is Modified here already
  // Both lines are this core's, Modified, after the split lock.
  const Hpa region = hv_device(*b.platform, 0)->region().hpa;
  const unsigned pcpu = b.cpu("RT_VM").config().pcpu;
  CHECK(b.platform->directory().l1d(pcpu).contains((region + 60) >> kCacheLineShift));
  CHECK(b.platform->directory().l1d(pcpu).contains((region + 64) >> kCacheLineShift));
}

TEST_CASE("a LOCK CMPXCHG on UC memory is a bus lock that invalidates the other cores' copies") {
  test::Bench b(test::mixed_scenario());
  const Hpa pool = b.platform->layout().ivshmem_base;
  u64 old = 0, after = 0;
  Breakdown spent;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    g.store<u64>(hv->shmem + 0x10, 0x5A5A);  // Modified in the RT VM's core (BAR2 is write-back)
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(50'000'000);
    const Timestamp t0 = g.timestamp();
    old = g.cmpxchg64(pool + 0x10, 0x5A5A, 0xA5A5);  // the Service VM's UC mapping of the pool
    spent = g.timestamp().cumulative - t0.cumulative;
    after = g.load<u64>(pool + 0x10);
  });
  sc_core::sc_start();
  CHECK(old == 0x5A5A);
  CHECK(after == 0xA5A5);
  CHECK(spent.get(Component::coherence) == b.timing.bus_lock_ps);
  const Hpa line = hv_device(*b.platform, 0)->region().hpa + 0x10;
  CHECK_FALSE(b.platform->directory().l1d(b.cpu("RT_VM").config().pcpu).contains(line >> kCacheLineShift));
}

// The split lock takes the bus for bus_lock from its time on: another core's
// request beyond its L2 then waits for the lock's end
// (CoherenceDirectory::bus_lock; tests/unit/test_cache_hierarchy.cpp).
TEST_CASE("a split lock holds the bus for the profile's bus_lock from its time on") {
  test::Bench b(test::two_vm_scenario());
  TimePs locked_at = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gva split = ivshmem_probe(g, k08)->shmem + 60;
    g.store<u64>(split, 1);
    g.store<u64>(split + 4, 1);  // both lines Modified here: the lock costs nothing else
    locked_at = g.timestamp().time_ps;
    (void)g.cmpxchg64(split, 0, 0);
  });
  sc_core::sc_start();
  REQUIRE(locked_at > 0);
  CoherenceDirectory& dir = b.platform->directory();
  const unsigned other = b.cpu("Service_VM").config().pcpu;
  const Hpa fresh = b.platform->layout().ivshmem_base + 0x4000;  // a line no core has touched
  const AccessCost held = dir.load(dir.line(fresh), other, locked_at + 1000);
  CHECK(held.queue_ps >= b.timing.bus_lock_ps - 1000);
  CHECK(held.ps >= b.timing.dram_ps + b.timing.bus_lock_ps - 1000);
  // The locker itself is not held.
  const unsigned rt = b.cpu("RT_VM").config().pcpu;
  CHECK(dir.load(dir.line(fresh + kCacheLineBytes), rt, locked_at + 1000).queue_ps < b.timing.bus_lock_ps / 2);
}
