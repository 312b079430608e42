// One cache's placement and replacement: which lines a set-associative array
// of the board's size and ways holds, in which way, and which line a fill
// evicts. Lines are named by their line number (host physical address >> 6).
//
// Replacement is true LRU within a set (each set keeps its lines in recency
// order, each with the way it occupies), with an optional second chance: the
// caller may spare the LRU candidate of a full set, which then becomes the
// most recently used and the next candidate is considered (CLOCK-like). The
// hierarchy uses it to fold in references this array never sees: L1D hits on
// the vCPU's fast path, and, for the L2, lines its L1D still holds. Each line
// of the set is offered at most once; if all are spared, the least recently
// used of the original order goes, so a fill always finds a victim.
//
// A fill may be restricted to a mask of ways, as Intel's Cache Allocation
// Technology restricts the filling core's class of service to the ways its
// capacity bitmask selects: the line goes into a free way of the mask, else
// evicts the least recently used line among the mask's ways (the second
// chance offered among those only). Lookups and hits see every way. Each
// entry's way is kept beside the recency order once a restricted fill needs
// it (track_ways), so an unrestricted cache pays only a test per move.
//
// The set index is the line number modulo the number of sets: the hashed
// slice selection of Intel's LLCs is not modelled. Plain C++, no allocation
// after construction but the way table (once, when ways are first tracked),
// deterministic.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

using WayMask = u64;  // one bit per way, way 0 the lowest

class SetAssocCache {
 public:
  static constexpr u64 kNoLine = ~u64{0};
  static constexpr unsigned kNoWay = ~0u;
  static constexpr unsigned kMaxMaskedWays = 64;  // a fill mask covers at most this many ways

  // size_bytes must be a multiple of ways * 64 bytes; at most 256 ways.
  SetAssocCache(u64 size_bytes, unsigned ways);

  u64 sets() const { return sets_; }
  unsigned ways() const { return ways_; }
  u64 capacity_lines() const { return sets_ * ways_; }
  u64 set_index(u64 line) const { return set_mask_ ? (line & set_mask_) : (line % sets_); }
  // Every way (the unrestricted fill); all ones beyond kMaxMaskedWays.
  WayMask all_ways() const { return all_ways_; }

  // Keeps the way of every line from now on (the lines already there get
  // distinct ways of their set). Only restricted fills need it, so a cache
  // that never sees one keeps none and its fills cost what they did; a
  // restricted fill turns it on.
  void track_ways();
  bool tracks_ways() const { return tracked_; }

  bool contains(u64 line) const { return find(set_of(line), line) < ways_; }
  // The way holding the line; kNoWay when absent or when ways are not tracked.
  unsigned way_of(u64 line) const {
    const u64* set = set_of(line);
    const unsigned i = find(set, line);
    return i < ways_ && tracks_ways() ? way_[static_cast<std::size_t>(set - tags_.data()) + i] : kNoWay;
  }
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
    // Offered from the LRU end, each spared line moves to the front ahead of
    // the ones spared before it: the first line not spared goes, and the set
    // ends up rotated to start at it. When every line is spared the order
    // comes full circle and the LRU line goes. Computed in one pass and one
    // rotation, not one shift per spared line.
    unsigned at = last;
    if (set[last] != kNoLine) {
      while (spare(set[at])) {
        if (at == 0) {
          at = last;
          break;
        }
        --at;
      }
    }
    const u64 victim = set[at];
    rotate_to_front(set, at);
    // The line takes the victim's (or the free) way.
    set[0] = line;
    return victim;
  }
  // As insert(line, spare), allocating only into the ways of `allowed` (a
  // subset of all_ways(), not empty) and evicting only from them.
  template <class Spare>
  u64 insert(u64 line, Spare&& spare, WayMask allowed) {
    if (allowed == all_ways_) return insert(line, spare);
    if (!tracks_ways()) track_ways();
    u64* set = set_of(line);
    // Free ways sit at the LRU end, so the first entry of the mask from there
    // is a free way of the mask if there is one, else its LRU line.
    unsigned at = last_in(set, allowed);
    u64 victim = kNoLine;
    if (set[at] != kNoLine) {
      const unsigned offered = static_cast<unsigned>(__builtin_popcountll(allowed));
      for (unsigned spared = 0; spared < offered && spare(set[at]); ++spared) {
        to_front(set, at);
        // The spared line now leads the set; the next candidate is the LRU
        // one of the mask among the rest.
        at = last_in(set, allowed);
      }
      victim = set[at];
    }
    move_to_front(set, at);
    set[0] = line;
    return victim;
  }
  // Invalidates the line; false when absent.
  bool erase(u64 line);

 private:
  u64* set_of(u64 line) { return tags_.data() + set_index(line) * ways_; }
  const u64* set_of(u64 line) const { return tags_.data() + set_index(line) * ways_; }
  u8* ways_of(const u64* set) { return way_.data() + (set - tags_.data()); }
  unsigned find(const u64* set, u64 line) const {
    unsigned i = 0;
    while (i < ways_ && set[i] != line) ++i;
    return i;
  }
  // The position, from the LRU end, of the last entry whose way is in `allowed`.
  unsigned last_in(u64* set, WayMask allowed) {
    const u8* w = ways_of(set);
    unsigned i = ways_ - 1;
    while (i > 0 && !((allowed >> w[i]) & 1)) --i;
    return i;
  }
  // Entries i..ways-1 move ahead of 0..i-1, in order, with their ways.
  void rotate_to_front(u64* set, unsigned i) {
    if (i == ways_ - 1) return move_to_front(set, i);  // the usual case: the LRU line goes
    std::rotate(set, set + i, set + ways_);
    if (__builtin_expect(!tracked_, 1)) return;
    u8* w = ways_of(set);
    std::rotate(w, w + i, w + ways_);
  }
  // Entry i moves to the front (most recently used) with its way.
  void to_front(u64* set, unsigned i) {
    const u64 l = set[i];
    move_to_front(set, i);
    set[0] = l;
  }
  // Shifts entries 0..i-1 back by one; entry 0 keeps entry i's way, the
  // caller writes its line.
  void move_to_front(u64* set, unsigned i) {
    std::memmove(set + 1, set, i * sizeof(u64));
    if (__builtin_expect(!tracked_, 1)) return;
    u8* w = ways_of(set);
    const u8 wi = w[i];
    std::memmove(w + 1, w, i);
    w[0] = wi;
  }

  unsigned ways_;
  u64 sets_;
  u64 set_mask_;  // sets - 1 when a power of two, else 0 (modulo)
  WayMask all_ways_;
  // sets x ways line numbers; each set most recently used first, free ways
  // (kNoLine) packed at the end.
  std::vector<u64> tags_;
  // The way of each entry of tags_, once tracked (track_ways); empty before.
  std::vector<u8> way_;
  bool tracked_ = false;
};

}  // namespace ivsim
