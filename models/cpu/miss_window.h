// How the line accesses of one block copy overlap (memory-level
// parallelism). An out-of-order core issues a streaming copy's lines one
// after another at its L1D throughput and keeps up to `mlp` L1D misses in
// flight, one per line fill buffer; a miss that finds every buffer busy
// waits for the first to free. The block is done when its last access
// completes. A single-core copy from DRAM therefore streams at
// mlp x 64 B / latency (about 11 GB/s on a Skylake client: latency
// reference section 6), not 64 B per miss latency, and a block's first
// access still costs its full latency.
//
// Each access reports how much later it makes the block complete: the time
// to charge for it, so a block's charges add up to its duration and each
// part of it stays with the component (cache, coherence, dram) that caused it.
#pragma once

#include <algorithm>
#include <array>

#include "models/core/types.h"

namespace ivsim {

class MissWindow {
 public:
  static constexpr unsigned kMaxSlots = 64;

  // issue_ps: the interval at which the core issues consecutive lines.
  // Nothing is cleared: a buffer not used yet is free from the block's start,
  // and a copy of one line builds a window too.
  MissWindow(unsigned mlp, TimePs issue_ps) : slots_(std::clamp(mlp, 1u, kMaxSlots)), issue_ps_(issue_ps) {}

  // One line access completing latency_ps after it starts; `miss` when it
  // needs a fill buffer. Returns how far it moves the block's completion.
  TimePs add(TimePs latency_ps, bool miss) {
    TimePs start = next_issue_;
    if (miss) {
      if (used_ < slots_) {
        // A buffer never used is free since the block's start.
        free_at_[used_++] = start + latency_ps;
        if (used_ == slots_) std::sort(free_at_.begin(), free_at_.begin() + slots_);
      } else {
        // Which buffer is immaterial; the earliest time one frees is not.
        // Once all are in use their free times are kept in order, earliest
        // at head_, around a ring: the earliest leaves and this miss's
        // completion, most often the latest, goes in at its place.
        start = std::max(start, free_at_[head_]);
        replace_earliest(start + latency_ps);
      }
    }
    next_issue_ = start + issue_ps_;
    const TimePs done = start + latency_ps;
    if (done <= end_) return 0;
    const TimePs later = done - end_;
    end_ = done;
    return later;
  }

  TimePs duration() const { return end_; }

 private:
  // The earliest free time leaves; `t` goes in at its place in the order.
  void replace_earliest(TimePs t) {
    unsigned pos = head_;  // now the ring's last place
    head_ = head_ + 1 == slots_ ? 0 : head_ + 1;
    while (pos != head_) {
      const unsigned before = pos == 0 ? slots_ - 1 : pos - 1;
      if (free_at_[before] <= t) break;
      free_at_[pos] = free_at_[before];
      pos = before;
    }
    free_at_[pos] = t;
  }

  unsigned slots_;
  TimePs issue_ps_;
  unsigned used_ = 0;                      // fill buffers taken so far: free_at_[0, used_) is set
  unsigned head_ = 0;                      // once all are: where the earliest free time is
  std::array<TimePs, kMaxSlots> free_at_;  // when each fill buffer frees, from the block's start
  TimePs next_issue_ = 0;
  TimePs end_ = 0;
};

}  // namespace ivsim
