#include <stdexcept>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/measurements.h"

namespace ivsim {

namespace {
// The line both sides bounce: in the region when the workload has one,
// else in guest RAM (both roles then run in one VM, like two threads).
Gpa shared_line(Guest& g, const WorkloadContext& ctx) {
  if (ctx.config->region.empty()) return scratch_gpa(g);
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  return dev->shmem;
}
}  // namespace

void c2c_ping(Guest& g, const WorkloadContext& ctx) {
  const Gpa line = shared_line(g, ctx);
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("iterations"));
  LatencyMetric& rt = ctx.metrics->metric("round_trip");
  for (u64 i = 0; i < total; ++i) {
    const Timestamp start = g.timestamp();
    g.store<u64>(line, 2 * i + 1);
    g.wait_until(line, 8, Cmp::eq, 2 * i + 2);
    if (i >= warmup) rt.record(start, g.timestamp());
  }
}

void c2c_pong(Guest& g, const WorkloadContext& ctx) {
  const Gpa line = shared_line(g, ctx);
  const u64 total = static_cast<u64>(ctx.param_int("warmup") + ctx.param_int("iterations"));
  for (u64 i = 0; i < total; ++i) {
    g.wait_until(line, 8, Cmp::eq, 2 * i + 1);
    g.store<u64>(line, 2 * i + 2);
  }
}

}  // namespace ivsim
