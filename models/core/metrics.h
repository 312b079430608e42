// Latency metrics a workload records: a histogram of intervals and the sum of
// their breakdowns, so a report can say where the time went.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/histogram.h"

namespace ivsim {

// A point on one vCPU's timeline: its time and cumulative breakdown.
struct Timestamp {
  TimePs time_ps = 0;
  Breakdown cumulative;
};

struct LatencyMetric {
  std::string name;
  std::string unit = "ns";
  Histogram histogram;
  Breakdown breakdown_sum;  // sum over all recorded intervals
  TimePs last_end_ps = 0;   // when the latest interval ended: the workload's last sign of progress

  void record(const Timestamp& start, const Timestamp& end) {
    histogram.record(end.time_ps - start.time_ps);
    breakdown_sum += end.cumulative - start.cumulative;
    if (end.time_ps > last_end_ps) last_end_ps = end.time_ps;
  }
};

// The metrics of one workload, in the order they were first recorded.
class MetricSink {
 public:
  LatencyMetric& metric(const std::string& name) {
    for (auto& m : metrics_)
      if (m->name == name) return *m;
    metrics_.push_back(std::make_unique<LatencyMetric>());
    metrics_.back()->name = name;
    return *metrics_.back();
  }
  const std::vector<std::unique_ptr<LatencyMetric>>& metrics() const { return metrics_; }

  // Event counts a workload reports beside its latencies (e.g. protocol errors).
  void count(const std::string& name, u64 n = 1) { counters_[name] += n; }
  const std::map<std::string, u64>& counters() const { return counters_; }

 private:
  std::vector<std::unique_ptr<LatencyMetric>> metrics_;
  std::map<std::string, u64> counters_;
};

}  // namespace ivsim
