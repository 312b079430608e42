// The fanout workload: one producer, up to four consumers on one region.
// Each message is written once into a ring slot; every consumer reads it
// and publishes its own tail (each on its own cache line), and the producer
// reuses a slot only when the slowest consumer has passed it. Each consumer
// checks every message arrives in order exactly once.
#include <stdexcept>
#include <string>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/fan.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"

namespace ivsim {

namespace {

// head, then consumer k's tail on line k (1..4), then the slots.
constexpr u64 kSlotsAt = (1 + kFanMaxPeers) * kCacheLineBytes;

struct Fanout {
  Gpa base = 0;
  u64 slot = 0, depth = 0, messages = 0, warmup = 0;
  Gpa head() const { return base; }
  Gpa tail(unsigned k) const { return base + k * kCacheLineBytes; }
  Gpa slot_at(u64 index) const { return base + kSlotsAt + (index % depth) * round_up(slot, kCacheLineBytes); }
};

Fanout setup(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  Fanout f;
  const u64 size = ivshmem_get_mem(g, *dev, &f.base);
  f.slot = static_cast<u64>(ctx.param_int("slot_bytes"));
  f.depth = static_cast<u64>(ctx.param_int("depth"));
  f.messages = static_cast<u64>(ctx.param_int("iterations"));
  f.warmup = static_cast<u64>(ctx.param_int("warmup"));
  if (fanout_region_bytes(f.slot, f.depth) > size) throw std::runtime_error("the ring does not fit the region");
  return f;
}

// The consumers the scenario placed: consumer1, consumer2, ...
std::vector<unsigned> consumers(const WorkloadContext& ctx) {
  std::vector<unsigned> ks;
  for (unsigned k = 1; k <= kFanMaxPeers; ++k)
    if (ctx.role_vm.count("consumer" + std::to_string(k))) ks.push_back(k);
  return ks;
}

}  // namespace

u64 fanout_region_bytes(u64 slot_bytes, u64 depth) { return kSlotsAt + round_up(slot_bytes, kCacheLineBytes) * depth; }

void fanout_producer(Guest& g, const WorkloadContext& ctx) {
  const Fanout f = setup(g, ctx);
  const std::vector<unsigned> ks = consumers(ctx);
  std::vector<OneWayChannel*> ways;
  for (unsigned k : ks) ways.push_back(&one_way_channel(ctx, "consumer" + std::to_string(k)));
  std::vector<u64> msg(f.slot / 8 + 1, 0);
  for (u64 seq = 1; seq <= f.warmup + f.messages; ++seq) {
    // Slot seq-1 is free once every consumer has read message seq - depth.
    if (seq > f.depth)
      for (unsigned k : ks) g.wait_until(f.tail(k), 8, Cmp::ge, seq - f.depth);
    const Timestamp start = g.timestamp();
    msg[0] = seq;
    g.write(f.slot_at(seq - 1), msg.data(), f.slot);
    g.store<u64>(f.head(), seq);
    const Timestamp visible = g.timestamp();
    for (OneWayChannel* w : ways) w->sent(seq, start, visible);
  }
}

void fanout_consumer(Guest& g, const WorkloadContext& ctx) {
  const Fanout f = setup(g, ctx);
  const unsigned k = static_cast<unsigned>(std::stoul(ctx.role.substr(std::string("consumer").size())));
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  GuestOs os(g, GuestOsKind::bare, *dev, NotifyMode::poll);
  OneWayChannel& way = one_way_channel(ctx, ctx.role);
  LatencyMetric& delivery = ctx.metrics->metric("delivery");
  std::vector<u64> msg(f.slot / 8 + 1, 0);
  u64 in_order = 0, out_of_order = 0;
  for (u64 seq = 1; seq <= f.warmup + f.messages; ++seq) {
    os.wait(f.head(), Cmp::ge, seq);
    g.read(f.slot_at(seq - 1), msg.data(), f.slot);
    g.store<u64>(f.tail(k), seq);
    (msg[0] == seq ? in_order : out_of_order) += 1;
    way.received(seq, os, g.timestamp(), seq > f.warmup ? &delivery : nullptr, Component::coherence);
  }
  ctx.metrics->count(ctx.role + ".delivered", in_order);
  ctx.metrics->count(ctx.role + ".out_of_order", out_of_order);
}

}  // namespace ivsim
