// Which cores hold each 64-byte line of host memory, and what an access costs
// given that (MESI, tracked per line like an inclusive LLC's core-valid bits).
//
// This is the small model of the first slice: no capacity, so a line once
// cached stays cached; a read of a line modified in another core pays the
// core-to-core transfer for their topology distance; a store to a line that
// other cores hold invalidates them, its RFO hidden by the store buffer and
// overlapped with the reader's later miss (so a polled flag hand-off costs
// one transfer, as measured by core-to-core ping-pong tools). The per-line
// state lives in pages that a vCPU caches next to its DMI pointer, so the
// common case is one load and one compare.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/timing.h"
#include "models/core/types.h"

namespace ivsim {

using CoreMask = u64;  // one bit per pCPU (ACRN supports at most 64)
constexpr unsigned kMaxCores = 64;

struct LineState {
  CoreMask holders = 0;      // cores with a valid copy (M, E or S)
  u8 modified_by = 0;        // 1 + core index when one core holds it Modified; 0 otherwise
  u8 watched = 0;            // some vCPU sleeps on this line (spin_until)
  TimePs last_write_ps = 0;  // when the last store to the line happened
};

struct LinePage {
  std::array<LineState, kPageSize4K / kCacheLineBytes> line{};
};

struct AccessCost {
  TimePs ps = 0;
  Component component = Component::cache;
};

class CoherenceDirectory {
 public:
  // distance[a][b]: topology distance between pCPU a and pCPU b.
  CoherenceDirectory(const TimingParams& timing, std::vector<std::vector<CoreDistance>> distance);

  // The line states of the 4 KiB host page holding hpa (allocated on first use).
  LinePage* page(Hpa hpa);

  // True when the access involves another core's copy: the caller must be
  // synchronised to simulated time before it (exact communication).
  static bool involves_other_core(const LineState& l, unsigned core, bool write) {
    const CoreMask me = CoreMask{1} << core;
    if (write) return (l.holders & ~me) != 0;
    return l.modified_by != 0 && l.modified_by != core + 1;
  }
  // The fast path: the core already has what it needs.
  static bool hits(const LineState& l, unsigned core, bool write) {
    const CoreMask me = CoreMask{1} << core;
    return write ? l.holders == me : (l.holders & me) != 0;
  }

  // Performs the state transition and returns the cost to the accessing core.
  AccessCost load(LineState& l, unsigned core);
  AccessCost store(LineState& l, unsigned core, TimePs now_ps);

  TimePs l1_hit_ps() const { return timing_.l1_hit_ps; }
  TimePs transfer_ps(unsigned from, unsigned to) const {
    return timing_.c2c_ps[static_cast<unsigned>(distance_[from][to])];
  }

 private:
  static constexpr unsigned kChunkShift = 30;
  static constexpr u64 kPagesPerChunk = u64{1} << (kChunkShift - kPageShift4K);

  TimingParams timing_;
  std::vector<std::vector<CoreDistance>> distance_;
  std::vector<std::unique_ptr<std::array<LinePage*, kPagesPerChunk>>> chunks_;
  std::vector<std::unique_ptr<LinePage>> owned_;
};

}  // namespace ivsim
