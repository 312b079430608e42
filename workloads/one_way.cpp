#include "workloads/one_way.h"

#include <memory>
#include <utility>

namespace ivsim {

void OneWayChannel::sent(u64 seq, const Timestamp& start, const Timestamp& notified) {
  const auto it = pending_.try_emplace(seq).first;
  Half& h = it->second;
  h.sent = true;
  h.start = start;
  h.notified = notified;
  complete(it);
}

void OneWayChannel::received(u64 seq, const GuestOs& os, const Timestamp& end, LatencyMetric* m, Component gap) {
  const auto it = pending_.try_emplace(seq).first;
  Half& h = it->second;
  h.received = true;
  h.woke = os.woke();
  h.end = end;
  h.before_wake = os.isr_steps();
  h.metric = m;
  h.gap = gap;
  complete(it);
}

void OneWayChannel::complete(std::map<u64, Half>::iterator it) {
  const Half& h = it->second;
  if (!h.sent || !h.received) return;
  if (h.metric && h.end.time_ps >= h.start.time_ps) {
    const TimePs total = h.end.time_ps - h.start.time_ps;
    Breakdown parts = h.notified.cumulative - h.start.cumulative;
    parts += h.before_wake;
    parts += h.end.cumulative - h.woke.cumulative;
    if (total > parts.total()) parts.add(h.gap, total - parts.total());
    h.metric->record(h.start.time_ps, h.end.time_ps, apportion(total, parts));
  }
  pending_.erase(it);
}

OneWayChannel& one_way_channel(const WorkloadContext& ctx, const std::string& direction) {
  // One elaboration per process: the workload's configuration identifies it.
  static std::map<std::pair<const WorkloadConfig*, std::string>, std::unique_ptr<OneWayChannel>> channels;
  auto& c = channels[{ctx.config, direction}];
  if (!c) c = std::make_unique<OneWayChannel>();
  return *c;
}

}  // namespace ivsim
