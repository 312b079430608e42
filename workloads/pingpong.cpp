#include "workloads/pingpong.h"

#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

namespace ivsim {

namespace {

// Layout of the region: each flag on its own cache line, then the payloads.
constexpr u64 kCommandSeq = 0x00;
constexpr u64 kResponseSeq = 0x40;
constexpr u64 kPayload = 0x80;

struct Layout {
  Gpa command_seq, response_seq, command, response;
  u64 bytes;
};

Layout bring_up(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  const u64 bytes = static_cast<u64>(ctx.param_int("message_bytes"));
  const u64 slot = round_up(bytes, kCacheLineBytes);
  if (kPayload + 2 * slot > dev->shmem_size) throw std::runtime_error("message does not fit the region");
  return Layout{dev->shmem + kCommandSeq, dev->shmem + kResponseSeq, dev->shmem + kPayload,
                dev->shmem + kPayload + slot, bytes};
}

}  // namespace

void pingpong_initiator(Guest& g, const WorkloadContext& ctx) {
  const Layout l = bring_up(g, ctx);
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("iterations"));
  LatencyMetric& round_trip = ctx.metrics->metric("round_trip");
  std::vector<u64> message(l.bytes / 8 + 1, 0), response(l.bytes / 8 + 1, 0);

  for (u64 seq = 1; seq <= total; ++seq) {
    const Timestamp start = g.timestamp();
    message[0] = seq;
    g.write(l.command, message.data(), l.bytes);
    g.store<u64>(l.command_seq, seq);
    g.wait_until(l.response_seq, 8, Cmp::eq, seq);
    g.read(l.response, response.data(), l.bytes);
    if (response[0] != ~seq) ctx.metrics->count("protocol_errors");
    if (seq > warmup) round_trip.record(start, g.timestamp());
  }
}

void pingpong_responder(Guest& g, const WorkloadContext& ctx) {
  const Layout l = bring_up(g, ctx);
  const u64 total = static_cast<u64>(ctx.param_int("warmup") + ctx.param_int("iterations"));
  const u64 work = static_cast<u64>(ctx.param_int("response_compute_cycles"));
  std::vector<u64> buffer(l.bytes / 8 + 1, 0);

  for (u64 seq = 1; seq <= total; ++seq) {
    g.wait_until(l.command_seq, 8, Cmp::eq, seq);
    g.read(l.command, buffer.data(), l.bytes);
    if (buffer[0] != seq) ctx.metrics->count("protocol_errors");
    g.compute(work);
    buffer[0] = ~buffer[0];
    g.write(l.response, buffer.data(), l.bytes);
    g.store<u64>(l.response_seq, seq);
  }
}

}  // namespace ivsim
