#include <random>
#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/measurements.h"

namespace ivsim {

void pointer_chase(Guest& g, const WorkloadContext& ctx) {
  const u64 bytes = static_cast<u64>(ctx.param_int("working_set_bytes"));
  const u64 loads = static_cast<u64>(ctx.param_int("iterations"));
  const u64 lines = bytes / kCacheLineBytes;
  const Gpa scratch = scratch_gpa(g);
  // A random cyclic order of the lines defeats any prefetcher, as MLC's
  // random-access chase does; the seed makes it reproducible.
  std::vector<u64> order(lines);
  for (u64 i = 0; i < lines; ++i) order[i] = i;
  std::mt19937_64 rng(static_cast<u64>(ctx.param_int("seed")));
  for (u64 i = lines - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  for (u64 i = 0; i < lines; ++i)
    g.store<u64>(scratch + order[i] * kCacheLineBytes, scratch + order[(i + 1) % lines] * kCacheLineBytes);

  // One pass to warm the caches, then the measured dependent loads.
  Gpa p = scratch + order[0] * kCacheLineBytes;
  for (u64 i = 0; i < lines; ++i) p = g.load<u64>(p);
  LatencyMetric& m = ctx.metrics->metric("load_latency");
  for (u64 i = 0; i < loads; ++i) {
    const Timestamp start = g.timestamp();
    p = g.load<u64>(p);
    m.record(start, g.timestamp());
  }
}

}  // namespace ivsim
