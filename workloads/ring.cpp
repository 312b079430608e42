// The ring workload: a producer streams numbered messages through an SPSC
// ring in the region (workloads/shm_ring.h) to a consumer, which checks
// each arrives in order exactly once. Messages are published in batches;
// the consumer is told by polling, by a doorbell every notify_every
// messages, or by a linux-uio guest's timerfd.
#include "workloads/ring.h"

#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"
#include "workloads/shm_ring.h"

namespace ivsim {

namespace {

constexpr u64 kReady = 0x00;              // consumer's interrupt is set up
constexpr u64 kRingAt = kCacheLineBytes;  // the ring follows the flag's line
constexpr u16 kVector = 0;

struct RingSetup {
  IvshmemGuestDevice dev;
  Gpa base = 0;
  ShmRing ring;
  u64 messages = 0, warmup = 0, batch = 1, notify_every = 1;
  NotifyMode mode = NotifyMode::poll;
};

RingSetup setup(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  RingSetup s;
  s.dev = *dev;
  const u64 size = ivshmem_get_mem(g, *dev, &s.base);
  const u64 slot = static_cast<u64>(ctx.param_int("slot_bytes"));
  const u64 depth = static_cast<u64>(ctx.param_int("depth"));
  if (ring_region_bytes(slot, depth) > size) throw std::runtime_error("the ring does not fit the region");
  s.ring = ShmRing::at(s.base + kRingAt, slot, depth);
  s.messages = static_cast<u64>(ctx.param_int("iterations"));
  s.warmup = static_cast<u64>(ctx.param_int("warmup"));
  s.batch = static_cast<u64>(ctx.param_int("batch"));
  s.notify_every = static_cast<u64>(ctx.param_int("notify_every"));
  s.mode = notify_mode(ctx.param_string("notify"));
  return s;
}

}  // namespace

u64 ring_region_bytes(u64 slot_bytes, u64 depth) { return kRingAt + ShmRing::bytes(slot_bytes, depth); }

void ring_producer(Guest& g, const WorkloadContext& ctx) {
  const RingSetup s = setup(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), s.dev, s.mode, kVector);
  RingProducer out(g, s.ring);
  OneWayChannel& way = one_way_channel(ctx, "ring");
  const u32 consumer = ctx.role_vm.at("consumer");
  const u64 total = s.warmup + s.messages;
  std::vector<u64> msg(std::max<u64>(2, s.ring.slot_bytes / 8), 0);
  std::vector<Timestamp> started;  // the unpublished batch's start times
  u64 announced = 0;               // messages the consumer was told of
  if (s.mode == NotifyMode::doorbell) g.wait_until(s.base + kReady, 8, Cmp::eq, 1);

  auto announce = [&] {
    os.notify(consumer);
    announced = out.head();
  };
  for (u64 seq = 1; seq <= total; ++seq) {
    if (!out.has_room()) {
      // Before waiting for room, the consumer must know there is work.
      if (s.mode == NotifyMode::doorbell && announced < out.head()) announce();
      out.wait_room();
    }
    started.push_back(g.timestamp());
    msg[0] = seq;
    msg[1] = static_cast<u64>(g.now_ns());
    out.write(msg.data(), s.ring.slot_bytes);
    if (seq % s.batch != 0 && seq != total) continue;
    out.publish();
    if (s.mode == NotifyMode::doorbell && (out.head() - announced >= s.notify_every || seq == total)) announce();
    const Timestamp visible = g.timestamp();
    for (u64 k = 0; k < started.size(); ++k) way.sent(seq - started.size() + 1 + k, started[k], visible);
    started.clear();
  }
}

void ring_consumer(Guest& g, const WorkloadContext& ctx) {
  const RingSetup s = setup(g, ctx);
  GuestOs os(g, guest_os_kind(ctx.os), s.dev, s.mode, kVector);
  RingConsumer in(g, s.ring);
  OneWayChannel& way = one_way_channel(ctx, "ring");
  LatencyMetric& latency = ctx.metrics->metric("message");
  const u64 total = s.warmup + s.messages;
  std::vector<u64> msg(std::max<u64>(2, s.ring.slot_bytes / 8), 0);
  if (s.mode == NotifyMode::doorbell) g.store<u64>(s.base + kReady, 1);

  TimePs first_ps = g.timestamp().time_ps, last_ps = first_ps;
  u64 delivered = 0, out_of_order = 0;
  for (u64 seq = 1; seq <= total; ++seq) {
    if (in.available() == 0) {
      in.release();
      os.wait(s.ring.head, Cmp::ge, in.tail() + 1);
      in.available();
    } else {
      os.mark();
    }
    in.read(msg.data(), s.ring.slot_bytes);
    in.release();
    const Timestamp end = g.timestamp();
    if (msg[0] == seq)
      ++delivered;
    else
      ++out_of_order;
    way.received(seq, os, end, seq > s.warmup ? &latency : nullptr, one_way_gap(s.mode));
    if (seq == s.warmup) first_ps = end.time_ps;
    last_ps = end.time_ps;
  }
  ctx.metrics->count("delivered", delivered);
  ctx.metrics->count("out_of_order", out_of_order);
  const double seconds = static_cast<double>(last_ps - first_ps) * 1e-12;
  if (seconds > 0) {
    const double per_s = static_cast<double>(s.messages) / seconds;
    ctx.metrics->value("throughput", per_s * static_cast<double>(s.ring.slot_bytes) / 1e6, "MB/s");
    ctx.metrics->value("message_rate", per_s / 1e6, "M messages/s");
  }
}

}  // namespace ivsim
