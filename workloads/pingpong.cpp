#include "workloads/pingpong.h"

#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"

namespace ivsim {

namespace {

// Layout of the region: each flag on its own cache line, then the payloads.
constexpr u64 kCommandSeq = 0x00;
constexpr u64 kResponseSeq = 0x40;
constexpr u64 kResponderReady = 0x80;
constexpr u64 kPayload = 0x100;

// Doorbell mode: MSI-X entry 0 of each side's device, pointed by the
// driver at the CPU the role runs on (ivshmem_register_handler).
constexpr u16 kDoorbellVector = 0;  // MSI-X entry the peer rings
struct Session {
  IvshmemGuestDevice dev;
  Gpa command_seq, response_seq, ready, command, response;
  u64 bytes;
  NotifyMode mode;
};

Session bring_up(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  const u64 bytes = static_cast<u64>(ctx.param_int("message_bytes"));
  if (pingpong_region_bytes(bytes) > dev->shmem_size) throw std::runtime_error("message does not fit the region");
  Gpa base = 0;
  const u64 size = ivshmem_get_mem(g, *dev, &base);
  // The response in its own slot after the command's, or over the command
  // when the two do not both fit (a message as large as the region).
  const u64 slot = round_up(bytes, kCacheLineBytes);
  const u64 response_at = kPayload + 2 * slot <= size ? slot : 0;
  return Session{*dev,
                 base + kCommandSeq,
                 base + kResponseSeq,
                 base + kResponderReady,
                 base + kPayload,
                 base + kPayload + response_at,
                 bytes,
                 notify_mode(ctx.param_string("notify"))};
}

// The message's first word carries the sequence number, its second the
// sender's clock (a guest writes its TSC there).
void stamp(std::vector<u64>& m, u64 seq, const Guest& g) {
  m[0] = seq;
  if (m.size() > 1) m[1] = static_cast<u64>(g.now_ns());
}

}  // namespace

u64 pingpong_region_bytes(u64 message_bytes) { return kPayload + round_up(message_bytes, kCacheLineBytes); }

void pingpong_initiator(Guest& g, const WorkloadContext& ctx) {
  const Session s = bring_up(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), s.dev, s.mode, kDoorbellVector);
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = warmup + static_cast<u64>(ctx.param_int("iterations"));
  const u32 responder = ctx.role_vm.at("responder");
  LatencyMetric& round_trip = ctx.metrics->metric("round_trip");
  LatencyMetric& one_way = ctx.metrics->metric("one_way");
  OneWayChannel& command_way = one_way_channel(ctx, "command");
  OneWayChannel& response_way = one_way_channel(ctx, "response");
  const u64 words = (s.bytes + 7) / 8;
  std::vector<u64> message(words, 0), response(words, 0);
  // The responder must have its interrupt set up before the first doorbell.
  if (s.mode == NotifyMode::doorbell) g.wait_until(s.ready, 8, Cmp::eq, 1);

  for (u64 seq = 1; seq <= total; ++seq) {
    const Timestamp start = g.timestamp();
    stamp(message, seq, g);
    g.write(s.command, message.data(), s.bytes);
    g.store<u64>(s.command_seq, seq);
    os.notify(responder);
    command_way.sent(seq, start, g.timestamp());
    os.wait(s.response_seq, seq);
    g.read(s.response, response.data(), s.bytes);
    if (response[0] != ~seq) ctx.metrics->count("protocol_errors");
    const Timestamp end = g.timestamp();
    response_way.received(seq, os, end, seq > warmup ? &one_way : nullptr, one_way_gap(s.mode));
    if (seq > warmup) round_trip.record(start, end);
  }
}

void pingpong_responder(Guest& g, const WorkloadContext& ctx) {
  const Session s = bring_up(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), s.dev, s.mode, kDoorbellVector);
  const u64 warmup = static_cast<u64>(ctx.param_int("warmup"));
  const u64 total = static_cast<u64>(ctx.param_int("warmup") + ctx.param_int("iterations"));
  const u64 work = static_cast<u64>(ctx.param_int("response_compute_cycles"));
  const u32 initiator = ctx.role_vm.at("initiator");
  ctx.metrics->metric("round_trip");
  LatencyMetric& one_way = ctx.metrics->metric("one_way");
  OneWayChannel& command_way = one_way_channel(ctx, "command");
  OneWayChannel& response_way = one_way_channel(ctx, "response");
  std::vector<u64> buffer((s.bytes + 7) / 8, 0);
  if (s.mode == NotifyMode::doorbell) g.store<u64>(s.ready, 1);

  for (u64 seq = 1; seq <= total; ++seq) {
    os.wait(s.command_seq, seq);
    g.read(s.command, buffer.data(), s.bytes);
    command_way.received(seq, os, g.timestamp(), seq > warmup ? &one_way : nullptr, one_way_gap(s.mode));
    if (buffer[0] != seq) ctx.metrics->count("protocol_errors");
    g.compute(work);
    const Timestamp start = g.timestamp();
    buffer[0] = ~buffer[0];
    g.write(s.response, buffer.data(), s.bytes);
    g.store<u64>(s.response_seq, seq);
    os.notify(initiator);
    response_way.sent(seq, start, g.timestamp());
  }
}

}  // namespace ivsim
