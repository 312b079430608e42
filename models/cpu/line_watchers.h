// vCPUs asleep in wait_until, by the cache line they poll. A store to a
// watched line wakes them at the store's simulated time: polling costs
// nothing to simulate however long it lasts, and its latency is exact.
#pragma once

#include <vector>

#include "models/core/breakdown.h"
#include "models/host/coherence_directory.h"

namespace ivsim {

class Vcpu;

class LineWatchers {
 public:
  void watch(LineState& line, Vcpu& v) {
    // Field by field: an Entry built on the stack and copied whole is read
    // back before its two stores can forward (a stall at every sleep).
    Entry& e = entries_.emplace_back();
    e.line = &line;
    e.vcpu = &v;
    ++line.watched;
  }
  void unwatch(LineState& line, Vcpu& v) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].line == &line && entries_[i].vcpu == &v) {
        entries_[i] = entries_.back();
        entries_.pop_back();
        --line.watched;
        return;
      }
    }
  }
  // How many vCPUs a store by `writer` to `line` would wake (notify).
  unsigned waking(const LineState& line, const Vcpu& writer) const;
  // Wakes every vCPU other than `writer` watching `line`; blame is the
  // writer's recent work, which the waiters' waiting time is charged to;
  // they wake delay_ps after the current kernel time (the store's time).
  void notify(LineState& line, const Vcpu& writer, const Breakdown& blame, TimePs delay_ps);

 private:
  struct Entry {
    LineState* line;
    Vcpu* vcpu;
  };
  std::vector<Entry> entries_;
};

}  // namespace ivsim
