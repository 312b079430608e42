// The bulk workload: large transfers through the region. Each direction has
// its own SPSC ring of block-sized slots in one half of the region; the
// sender copies blocks in, the receiver copies them out and checks each
// block's number and length, so the bytes moved are exactly the bytes
// asked. direction: both sends every block back the other way, in lock
// step. Throughput is bytes moved over the time from the first block
// written to the last block read.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"
#include "workloads/ring.h"
#include "workloads/shm_ring.h"

namespace ivsim {

namespace {

constexpr u64 kMaxDepth = 8;

struct Bulk {
  IvshmemGuestDevice dev;
  ShmRing forward, back;  // sender -> receiver, receiver -> sender
  u64 block = 0, total = 0;
  bool both = false;
};

Bulk setup(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  Bulk b;
  b.dev = *dev;
  Gpa base = 0;
  const u64 size = ivshmem_get_mem(g, *dev, &base);
  b.block = static_cast<u64>(ctx.param_int("block_bytes"));
  b.total = static_cast<u64>(ctx.param_int("total_bytes"));
  b.both = ctx.param_string("direction") == "both";
  const u64 depth = bulk_depth(b.block, size);
  if (depth == 0) throw std::runtime_error("a block does not fit half the region");
  b.forward = ShmRing::at(base, b.block, depth);
  b.back = ShmRing::at(base + size / 2, b.block, depth);
  return b;
}

u64 blocks(const Bulk& b) { return (b.total + b.block - 1) / b.block; }
u64 block_len(const Bulk& b, u64 i) { return std::min(b.block, b.total - i * b.block); }

// One block out: its number and length in its first two words, then data.
void send_block(RingProducer& out, std::vector<u64>& buf, u64 i, u64 len) {
  out.wait_room();
  buf[0] = i;
  buf[1] = len;
  out.write(buf.data(), len);
  out.publish();
}

// One block in; false when it is not block i of length len.
bool receive_block(Guest& g, RingConsumer& in, std::vector<u64>& buf, u64 i, u64 len) {
  if (in.available() == 0) g.wait_until(in.ring().head, 8, Cmp::ge, in.tail() + 1);
  in.read(buf.data(), len);
  in.release();
  return len < 16 ? true : buf[0] == i && buf[1] == len;
}

void report(const WorkloadContext& ctx, u64 bytes, TimePs from, TimePs to) {
  const double seconds = static_cast<double>(to - from) * 1e-12;
  ctx.metrics->count("bytes_moved", bytes);
  if (seconds > 0) ctx.metrics->value("throughput", static_cast<double>(bytes) / seconds / 1e9, "GB/s");
}

}  // namespace

u64 bulk_depth(u64 block_bytes, u64 region_bytes) {
  const u64 half = region_bytes / 2;
  if (half < ShmRing::kHeaderBytes) return 0;
  return std::min(kMaxDepth, (half - ShmRing::kHeaderBytes) / round_up(block_bytes, kCacheLineBytes));
}

void bulk_sender(Guest& g, const WorkloadContext& ctx) {
  const Bulk b = setup(g, ctx);
  RingProducer out(g, b.forward);
  RingConsumer in(g, b.back);
  LatencyMetric& block_metric = ctx.metrics->metric("block");
  std::vector<u64> buf(b.block / 8 + 2, 0);
  const TimePs start = g.timestamp().time_ps;
  u64 errors = 0, received = 0;
  for (u64 i = 0; i < blocks(b); ++i) {
    const Timestamp t0 = g.timestamp();
    send_block(out, buf, i, block_len(b, i));
    if (!b.both) continue;
    if (!receive_block(g, in, buf, i, block_len(b, i))) ++errors;
    received += block_len(b, i);
    block_metric.record(t0, g.timestamp());  // a block there and back
  }
  if (b.both) {
    ctx.metrics->count("errors_back", errors);
    report(ctx, 2 * received, start, g.timestamp().time_ps);
  }
}

void bulk_receiver(Guest& g, const WorkloadContext& ctx) {
  const Bulk b = setup(g, ctx);
  RingConsumer in(g, b.forward);
  RingProducer out(g, b.back);
  LatencyMetric& block_metric = ctx.metrics->metric("block");
  std::vector<u64> buf(b.block / 8 + 2, 0);
  TimePs first = 0;
  u64 errors = 0, received = 0;
  for (u64 i = 0; i < blocks(b); ++i) {
    const Timestamp t0 = g.timestamp();
    if (!receive_block(g, in, buf, i, block_len(b, i))) ++errors;
    if (i == 0) first = t0.time_ps;
    received += block_len(b, i);
    if (!b.both) block_metric.record(t0, g.timestamp());  // waiting for and copying out one block
    if (b.both) send_block(out, buf, i, block_len(b, i));
  }
  ctx.metrics->count("errors", errors);
  ctx.metrics->count("bytes_received", received);
  if (!b.both) report(ctx, received, first, g.timestamp().time_ps);
}

}  // namespace ivsim
