// Two vCPUs with different classes of service on one pCPU: the hypervisor
// loads each one's CLOS at VM entry (IA32_PQR_ASSOC from its MSR area,
// vmsr.c: prepare_auto_msr_area), so the pCPU fills with the masks of
// whichever vCPU runs, however the scheduler interleaves them.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr unsigned kPcpu = 2;
constexpr Gpa kBase = 16 * kMiB;
constexpr u64 kBytes = 2 * kMiB;  // twice the L2: its victims reach the L3
constexpr unsigned kRounds = 3;

}  // namespace

TEST_CASE("vCPUs sharing a pCPU with different CLOS masks each fill only their own L3 ways") {
  Scenario s = test::two_vm_scenario();
  s.board = "srv-2s-xeon";
  s.scheduler = "SCHED_IORR";
  s.vms[0].pcpus = {kPcpu};
  s.vms[2].pcpus = {kPcpu};
  s.rdt.enabled = true;
  CacheAllocation l3;
  l3.cache_level = 3;
  l3.cache_id = 0;
  l3.policies = {{"RT_VM", 0, CachePolicyType::unified, 0x7f}, {"HMI_VM", 0, CachePolicyType::unified, 0x780}};
  s.cache_allocation = {l3};
  test::Bench b(s);
  const CoherenceDirectory& dir = b.platform->directory();
  REQUIRE(dir.has_llc(kPcpu));
  const LineCache& llc = dir.llc(dir.llc_of(kPcpu));
  REQUIRE(llc.ways() == 11);

  struct Side {
    WayMask ways;
    std::vector<u64> lines;     // the lines it touched
    unsigned wrong_loaded = 0;  // rounds in which its pCPU had another CLOS loaded
  };
  Side rt{0x7f, {}, 0}, hmi{0x780, {}, 0};
  auto program = [&](Side& side, const Vm& vm) {
    return [&side, &vm, &b, &dir](Vcpu& c) {
      Guest g(c);
      for (unsigned r = 0; r < kRounds; ++r) {
        for (u64 off = 0; off < kBytes; off += kCacheLineBytes) {
          g.load<u64>(kBase + off);
          if (r == 0) side.lines.push_back(b.platform->hypervisor().gpa2hpa(vm, kBase + off) >> kCacheLineShift);
        }
        if (dir.llc_fill_ways(kPcpu) != side.ways) ++side.wrong_loaded;
        g.compute(b.timing.iorr_slice_ps / 1000 * 5);  // cycles: over a slice at any clock above 0.5 GHz
      }
    };
  };
  b.cpu("RT_VM").set_program(program(rt, b.vm(0)));
  b.cpu("HMI_VM").set_program(program(hmi, b.vm(2)));
  sc_core::sc_start();

  CHECK(b.cpu("RT_VM").sched_entity().context_switches >= kRounds);  // they did take turns
  CHECK(rt.wrong_loaded == 0);
  CHECK(hmi.wrong_loaded == 0);
  // The L3 is a victim cache: an L2 victim goes into the ways of the vCPU
  // whose fill evicted it (docs/cache-allocation.md), so on a shared pCPU
  // some of the RT VM's lines land in the HMI VM's ways when the HMI VM's
  // misses push them out. Both classes filled: lines sit in both partitions,
  // and each VM's own misses filled its own ways.
  unsigned in_rt_ways = 0, in_hmi_ways = 0;
  for (const Side* side : {&rt, &hmi})
    for (u64 line : side->lines)
      if (llc.contains(line)) {
        const WayMask way = WayMask{1} << llc.way_of(line);
        in_rt_ways += (way & rt.ways) != 0;
        in_hmi_ways += (way & hmi.ways) != 0;
        REQUIRE((way & (rt.ways | hmi.ways)) != 0);
      }
  CHECK(in_rt_ways > 1000);
  CHECK(in_hmi_ways > 1000);
}
