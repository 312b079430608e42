#include "workloads/one_way.h"

#include <map>
#include <memory>
#include <utility>

namespace ivsim {

OneWayChannel::Slot& OneWayChannel::slot(u64 seq) {
  Slot* free = nullptr;
  for (Slot& s : pending_) {
    if (s.used && s.seq == seq) return s;
    if (!s.used && !free) free = &s;
  }
  if (!free) free = &pending_.emplace_back();
  free->seq = seq;
  free->used = true;
  // sent() and received() each set every field of their half, and
  // complete() reads the halves only once both are in: clear the flags.
  free->half.sent = false;
  free->half.received = false;
  return *free;
}

void OneWayChannel::sent(u64 seq, const Timestamp& start, const Timestamp& notified) {
  Slot& s = slot(seq);
  Half& h = s.half;
  h.sent = true;
  h.start_ps = start.time_ps;
  h.sender = notified.cumulative - start.cumulative;
  complete(s);
}

void OneWayChannel::received(u64 seq, const GuestOs& os, const Timestamp& end, LatencyMetric* m, Component gap) {
  Slot& s = slot(seq);
  Half& h = s.half;
  h.received = true;
  h.end_ps = end.time_ps;
  h.receiver = end.cumulative - os.woke().cumulative;
  h.receiver += os.isr_steps();
  h.metric = m;
  h.gap = gap;
  complete(s);
}

void OneWayChannel::complete(Slot& s) {
  const Half& h = s.half;
  if (!h.sent || !h.received) return;
  if (h.metric && h.end_ps >= h.start_ps) {
    const TimePs total = h.end_ps - h.start_ps;
    Breakdown parts = h.sender;
    parts += h.receiver;
    const TimePs known = parts.total();
    // What the halves account for falls short of the interval by the gap
    // (parts then sums to it), or covers more, which is scaled down.
    if (total >= known) {
      parts.add(h.gap, total - known);
      h.metric->record(h.start_ps, h.end_ps, parts);
    } else {
      h.metric->record(h.start_ps, h.end_ps, apportion(total, parts));
    }
  }
  s.used = false;
}

OneWayChannel& one_way_channel(const WorkloadContext& ctx, const std::string& direction) {
  // One elaboration per process: the workload's configuration identifies it.
  static std::map<std::pair<const WorkloadConfig*, std::string>, std::unique_ptr<OneWayChannel>> channels;
  auto& c = channels[{ctx.config, direction}];
  if (!c) c = std::make_unique<OneWayChannel>();
  return *c;
}

}  // namespace ivsim
