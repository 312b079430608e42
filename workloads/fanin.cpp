// The fanin workload: up to four producers, one collector on one region.
// Each producer has its own SPSC ring (workloads/shm_ring.h); after
// publishing, it adds one to a shared pending count (LOCK CMPXCHG), so the
// collector waits on that one line, then drains every ring in turn. The
// collector checks each producer's messages arrive in order exactly once.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/fan.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/one_way.h"
#include "workloads/shm_ring.h"

namespace ivsim {

namespace {

constexpr u64 kRingsAt = kCacheLineBytes;  // the pending count's line, then producer k's ring

struct Fanin {
  Gpa base = 0;
  u64 slot = 0, depth = 0, messages = 0, warmup = 0;
  Gpa pending() const { return base; }
  ShmRing ring(unsigned k) const {
    return ShmRing::at(base + kRingsAt + (k - 1) * ShmRing::bytes(slot, depth), slot, depth);
  }
};

Fanin setup(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  Fanin f;
  const u64 size = ivshmem_get_mem(g, *dev, &f.base);
  f.slot = static_cast<u64>(ctx.param_int("slot_bytes"));
  f.depth = static_cast<u64>(ctx.param_int("depth"));
  f.messages = static_cast<u64>(ctx.param_int("iterations"));
  f.warmup = static_cast<u64>(ctx.param_int("warmup"));
  if (fanin_region_bytes(f.slot, f.depth) > size) throw std::runtime_error("the rings do not fit the region");
  return f;
}

void atomic_add(Guest& g, Gpa at, u64 n) {
  u64 old = g.load<u64>(at);
  for (u64 seen; (seen = g.cmpxchg64(at, old, old + n)) != old;) old = seen;
}

}  // namespace

u64 fanin_region_bytes(u64 slot_bytes, u64 depth) {
  return kRingsAt + kFanMaxPeers * ShmRing::bytes(slot_bytes, depth);
}

void fanin_producer(Guest& g, const WorkloadContext& ctx) {
  const Fanin f = setup(g, ctx);
  const unsigned k = static_cast<unsigned>(std::stoul(ctx.role.substr(std::string("producer").size())));
  RingProducer out(g, f.ring(k));
  OneWayChannel& way = one_way_channel(ctx, ctx.role);
  std::vector<u64> msg(f.slot / 8 + 1, 0);
  for (u64 seq = 1; seq <= f.warmup + f.messages; ++seq) {
    out.wait_room();
    const Timestamp start = g.timestamp();
    msg[0] = seq;
    out.write(msg.data(), f.slot);
    out.publish();
    atomic_add(g, f.pending(), 1);
    way.sent(seq, start, g.timestamp());
  }
}

void fanin_collector(Guest& g, const WorkloadContext& ctx) {
  const Fanin f = setup(g, ctx);
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  GuestOs os(g, GuestOsKind::bare, *dev, NotifyMode::poll);
  LatencyMetric& delivery = ctx.metrics->metric("delivery");
  struct Source {
    unsigned k;
    std::unique_ptr<RingConsumer> in;
    OneWayChannel* way;
    u64 next = 1, in_order = 0, out_of_order = 0;
  };
  std::vector<Source> sources;
  for (unsigned k = 1; k <= kFanMaxPeers; ++k) {
    const std::string role = "producer" + std::to_string(k);
    if (ctx.role_vm.count(role))
      sources.push_back({k, std::make_unique<RingConsumer>(g, f.ring(k)), &one_way_channel(ctx, role)});
  }
  const u64 per_source = f.warmup + f.messages, total = per_source * sources.size();
  std::vector<u64> msg(f.slot / 8 + 1, 0);
  for (u64 got = 0; got < total;) {
    os.wait(f.pending(), Cmp::ge, got + 1);
    for (Source& s : sources) {
      for (u64 n = s.in->available(); n > 0; --n) {
        s.in->read(msg.data(), f.slot);
        s.in->release();
        const u64 seq = s.next++;
        (msg[0] == seq ? s.in_order : s.out_of_order) += 1;
        s.way->received(seq, os, g.timestamp(), seq > f.warmup ? &delivery : nullptr, Component::coherence);
        os.mark();
        ++got;
      }
    }
  }
  for (const Source& s : sources) {
    const std::string p = "producer" + std::to_string(s.k);
    ctx.metrics->count(p + ".delivered", s.in_order);
    ctx.metrics->count(p + ".out_of_order", s.out_of_order);
  }
}

}  // namespace ivsim
