// One cache's placement and replacement: which lines a set-associative array
// of the board's size and ways holds, and which line a fill evicts. Lines are
// named by their line number (host physical address >> 6).
//
// Replacement is true LRU within a set (each set keeps its lines in recency
// order), with an optional second chance: the caller may spare the LRU
// candidate of a full set, which then becomes the most recently used and the
// next candidate is considered (CLOCK-like). The hierarchy uses it to fold in
// references this array never sees: L1D hits on the vCPU's fast path, and,
// for the L2, lines its L1D still holds. Each line of the set is offered at
// most once; if all are spared, the least recently used of the original
// order goes, so a fill always finds a victim.
//
// The set index is the line number modulo the number of sets: the hashed
// slice selection of Intel's LLCs is not modelled. Plain C++, no allocation
// after construction, deterministic.
#pragma once

#include <cstring>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

class SetAssocCache {
 public:
  static constexpr u64 kNoLine = ~u64{0};

  // size_bytes must be a multiple of ways * 64 bytes.
  SetAssocCache(u64 size_bytes, unsigned ways);

  u64 sets() const { return sets_; }
  unsigned ways() const { return ways_; }
  u64 capacity_lines() const { return sets_ * ways_; }
  u64 set_index(u64 line) const { return set_mask_ ? (line & set_mask_) : (line % sets_); }

  bool contains(u64 line) const { return find(set_of(line), line) < ways_; }
  // A hit: the line becomes the most recently used of its set. False when absent.
  bool touch(u64 line);
  // Inserts an absent line as the most recently used; returns the line evicted
  // to make room, or kNoLine when the set had a free way.
  u64 insert(u64 line) {
    return insert(line, [](u64) { return false; });
  }
  // As insert(line), asking spare(candidate) before evicting the LRU line of a
  // full set: true spares it (it moves to most recently used).
  template <class Spare>
  u64 insert(u64 line, Spare&& spare) {
    u64* set = set_of(line);
    const unsigned last = ways_ - 1;
    u64 victim = kNoLine;
    if (set[last] != kNoLine) {
      for (unsigned spared = 0; spared < ways_ && spare(set[last]); ++spared) to_front(set, last);
      victim = set[last];
    }
    std::memmove(set + 1, set, last * sizeof(u64));
    set[0] = line;
    return victim;
  }
  // Invalidates the line; false when absent.
  bool erase(u64 line);

 private:
  u64* set_of(u64 line) { return tags_.data() + set_index(line) * ways_; }
  const u64* set_of(u64 line) const { return tags_.data() + set_index(line) * ways_; }
  unsigned find(const u64* set, u64 line) const {
    unsigned i = 0;
    while (i < ways_ && set[i] != line) ++i;
    return i;
  }
  static void to_front(u64* set, unsigned i) {
    const u64 l = set[i];
    std::memmove(set + 1, set, i * sizeof(u64));
    set[0] = l;
  }

  unsigned ways_;
  u64 sets_;
  u64 set_mask_;  // sets - 1 when a power of two, else 0 (modulo)
  // sets x ways line numbers; each set most recently used first, free ways
  // (kNoLine) packed at the end.
  std::vector<u64> tags_;
};

}  // namespace ivsim
