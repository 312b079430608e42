#include "workloads/walk_refs.h"

#include "models/core/metrics.h"
#include "workloads/guest_api.h"

namespace ivsim {

void walk_refs_walker(Guest& g, const WorkloadContext& ctx) {
  const u64 bytes = static_cast<u64>(ctx.param_int("working_set_mib")) * kMiB;
  // base_mib counts from the start of the VM's RAM (the Service VM's is not at GPA 0).
  const u64 base = g.ram_base() + static_cast<u64>(ctx.param_int("base_mib")) * kMiB;
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("accesses"));
  u64 x = static_cast<u64>(ctx.param_int("seed"));
  LatencyMetric& load = ctx.metrics->metric("load");
  VcpuCounters before{};
  for (u64 i = 0; i < total; ++i) {
    if (i == warmup) before = g.perf_counters();
    // Knuth's MMIX LCG: the same addresses on every run.
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const Gva va = base + ((x >> 20) % bytes & ~u64{7});
    const Timestamp start = g.timestamp();
    g.load<u64>(va);
    if (i >= warmup) load.record(start, g.timestamp());
  }
  const VcpuCounters& after = g.perf_counters();
  ctx.metrics->count("tlb_misses", after.tlb_misses - before.tlb_misses);
  ctx.metrics->count("stlb_hits", after.stlb_hits - before.stlb_hits);
  ctx.metrics->count("walks", after.walks - before.walks);
  ctx.metrics->count("walk_refs", after.walk_refs - before.walk_refs);
}

}  // namespace ivsim
