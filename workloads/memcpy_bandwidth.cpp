#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/measurements.h"

namespace ivsim {

// A single-core copy of a buffer larger than the caches, in 64 KiB chunks;
// one sample per copy, so bytes / time is the bandwidth.
// Chunks as large as a copy loop's working buffer: each chunk's misses
// overlap, as a large memcpy's do.
constexpr u64 kChunkBytes = 64 * 1024;

void memcpy_bandwidth(Guest& g, const WorkloadContext& ctx) {
  const u64 bytes = static_cast<u64>(ctx.param_int("bytes"));
  const u64 copies = static_cast<u64>(ctx.param_int("iterations"));
  const Gpa src = scratch_gpa(g), dst = src + round_up(bytes, kPageSize2M);
  std::vector<u8> chunk(kChunkBytes);

  LatencyMetric& m = ctx.metrics->metric("copy");
  for (u64 c = 0; c < copies; ++c) {
    const Timestamp start = g.timestamp();
    for (u64 off = 0; off < bytes; off += chunk.size()) {
      g.read(src + off, chunk.data(), chunk.size());
      g.write(dst + off, chunk.data(), chunk.size());
    }
    m.record(start, g.timestamp());
  }
}

}  // namespace ivsim
