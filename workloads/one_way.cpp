#include "workloads/one_way.h"

#include <memory>
#include <utility>

namespace ivsim {

void OneWayChannel::sent(u64 seq, const Timestamp& start, const Timestamp& notified) {
  Half& h = pending_[seq];
  h.sent = true;
  h.start = start;
  h.notified = notified;
  complete(seq);
}

void OneWayChannel::received(u64 seq, const GuestOs& os, const Timestamp& end, LatencyMetric* m, Component gap) {
  Half& h = pending_[seq];
  h.received = true;
  h.woke = os.woke();
  h.end = end;
  h.before_wake = os.isr_steps();
  h.metric = m;
  h.gap = gap;
  complete(seq);
}

void OneWayChannel::complete(u64 seq) {
  const auto it = pending_.find(seq);
  if (!it->second.sent || !it->second.received) return;
  const Half h = it->second;
  pending_.erase(it);
  if (!h.metric || h.end.time_ps < h.start.time_ps) return;
  const TimePs total = h.end.time_ps - h.start.time_ps;
  Breakdown parts = h.notified.cumulative - h.start.cumulative;
  parts += h.before_wake;
  parts += h.end.cumulative - h.woke.cumulative;
  if (total > parts.total()) parts.add(h.gap, total - parts.total());
  h.metric->record(h.start.time_ps, h.end.time_ps, apportion(total, parts));
}

OneWayChannel& one_way_channel(const WorkloadContext& ctx, const std::string& direction) {
  // One elaboration per process: the workload's configuration identifies it.
  static std::map<std::pair<const WorkloadConfig*, std::string>, std::unique_ptr<OneWayChannel>> channels;
  auto& c = channels[{ctx.config, direction}];
  if (!c) c = std::make_unique<OneWayChannel>();
  return *c;
}

}  // namespace ivsim
