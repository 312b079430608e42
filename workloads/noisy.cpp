// The noisy workload: a memory-intensive neighbour. It walks a working set
// (in its own guest RAM, or in the region when the workload names one) with
// a stride, each access a read or a write as the read/write mix draws it,
// so that the shared LLC and memory feel it while other workloads run.
// With split_lock_percent, that share of the accesses are instead a LOCK
// CMPXCHG of 8 bytes across the boundary of the slot's line and the next:
// a split lock, which takes the bus (Vcpu::bus_locked_cmpxchg), as in the
// denial-of-service loops the kernel's split-lock detection answers.
// With wbinvd_every, every that many accesses it also executes WBINVD, as
// a kernel changing memory types or a driver's wbinvd_on_all_cpus does,
// which ACRN emulates (wbinvd_vmexit_handler).
// Records each access's latency and the access rate.
#include <random>
#include <stdexcept>

#include "models/core/metrics.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/measurements.h"
#include "workloads/noisy.h"

namespace ivsim {

void noisy_neighbour(Guest& g, const WorkloadContext& ctx) {
  const u64 bytes = static_cast<u64>(ctx.param_int("working_set_bytes"));
  const u64 stride = static_cast<u64>(ctx.param_int("stride_bytes"));
  const u64 accesses = static_cast<u64>(ctx.param_int("iterations"));
  const unsigned read_percent = static_cast<unsigned>(ctx.param_int("read_percent"));
  const unsigned split_lock_percent = static_cast<unsigned>(ctx.param_int("split_lock_percent"));
  const u64 wbinvd_every = static_cast<u64>(ctx.param_int("wbinvd_every"));
  Gpa base = scratch_gpa(g);
  if (!ctx.config->region.empty()) {
    const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
    if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
    if (ivshmem_get_mem(g, *dev, &base) < bytes) throw std::runtime_error("the working set does not fit the region");
  }
  std::mt19937_64 rng(static_cast<u64>(ctx.param_int("seed")));
  LatencyMetric& m = ctx.metrics->metric("access");
  const u64 slots = bytes / 8;
  u64 offset = 0, reads = 0, writes = 0, split_locks = 0, wbinvds = 0;
  const Timestamp start = g.timestamp();
  for (u64 i = 0; i < accesses; ++i) {
    const Gpa at = base + (offset % slots) * 8;
    offset += stride / 8;
    const Timestamp t0 = g.timestamp();
    // Drawn only when asked for: without split locks the mix is as before.
    if (split_lock_percent != 0 && rng() % 100 < split_lock_percent) {
      // The last 4 bytes of the slot's line and the first 4 of the next, or,
      // for the working set's last line, of the line before and this one.
      const Gpa line = at & ~Gpa{kCacheLineBytes - 1};
      const Gpa split = line + kCacheLineBytes + 4 <= base + bytes ? line + kCacheLineBytes - 4 : line - 4;
      (void)g.cmpxchg64(split, i, i + 1);
      ++split_locks;
    } else if (rng() % 100 < read_percent) {
      (void)g.load<u64>(at);
      ++reads;
    } else {
      g.store<u64>(at, i);
      ++writes;
    }
    m.record(t0, g.timestamp());
    if (wbinvd_every != 0 && (i + 1) % wbinvd_every == 0) {
      const Timestamp w0 = g.timestamp();
      g.wbinvd();
      ctx.metrics->metric("wbinvd").record(w0, g.timestamp());
      ++wbinvds;
    }
  }
  ctx.metrics->count("reads", reads);
  ctx.metrics->count("writes", writes);
  if (split_lock_percent != 0) ctx.metrics->count("split_locks", split_locks);
  if (wbinvd_every != 0) ctx.metrics->count("wbinvds", wbinvds);
  const double seconds = static_cast<double>(g.timestamp().time_ps - start.time_ps) * 1e-12;
  if (seconds > 0) ctx.metrics->value("access_rate", static_cast<double>(accesses) / seconds / 1e6, "M accesses/s");
}

}  // namespace ivsim
