// Latency metrics a workload records: a histogram of intervals and the sum of
// their breakdowns, so a report can say where the time went.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/histogram.h"
#include "models/core/tail_breakdown.h"

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
  TailBreakdown by_value;   // the breakdowns by the interval's length: what made the slow ones slow
  TimePs last_end_ps = 0;   // when the latest interval ended: the workload's last sign of progress

  void record(const Timestamp& start, const Timestamp& end) {
    record(start.time_ps, end.time_ps, end.cumulative - start.cumulative);
  }
  // An interval whose ends are on different vCPUs (a one-way latency): its
  // breakdown is given, and must add up to end_ps - start_ps.
  void record(TimePs start_ps, TimePs end_ps, const Breakdown& parts) {
    histogram.record(end_ps - start_ps);
    breakdown_sum += parts;
    by_value.add(end_ps - start_ps, parts);
    if (end_ps > last_end_ps) last_end_ps = end_ps;
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

  // Scalar results beside the latencies (a throughput), with their unit.
  struct Value {
    double value = 0;
    std::string unit;
  };
  void value(const std::string& name, double v, const std::string& unit) { values_[name] = Value{v, unit}; }
  const std::map<std::string, Value>& values() const { return values_; }

  // Verdicts a workload reaches, one by one, in the order reached: each
  // attacker attempt ("attack", contained or not), each script expectation
  // ("expect", met or not), a script error ("error").
  struct Finding {
    std::string kind;
    std::string name;
    bool ok = true;
    std::string detail;
  };
  void finding(std::string kind, std::string name, bool ok, std::string detail) {
    findings_.push_back(Finding{std::move(kind), std::move(name), ok, std::move(detail)});
  }
  const std::vector<Finding>& findings() const { return findings_; }

 private:
  std::map<std::string, Value> values_;
  std::vector<Finding> findings_;
  std::vector<std::unique_ptr<LatencyMetric>> metrics_;
  std::map<std::string, u64> counters_;
};

}  // namespace ivsim
