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
//
// What the array keeps for a line is its tag: the line number itself
// (SetAssocCache), or a handle its owner resolves without a lookup (the
// coherence directory keeps a pointer to the line's state, so a victim or a
// second-chance candidate needs no search for it). CacheTag<Tag> gives the
// free-way value and a tag's line number, which picks the set. Fills,
// touches and erasures name the tag; contains() and way_of() the line number.
#pragma once

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/core/chunk_arena.h"
#include "models/core/types.h"

namespace ivsim {

using WayMask = u64;  // one bit per way, way 0 the lowest

template <class Tag>
struct CacheTag;
template <>
struct CacheTag<u64> {
  static constexpr u64 none() { return ~u64{0}; }
  static u64 line(u64 tag) { return tag; }
};

template <class Tag>
class BasicSetAssocCache {
 public:
  static constexpr Tag kNoLine = CacheTag<Tag>::none();
  static constexpr unsigned kNoWay = ~0u;
  static constexpr unsigned kMaxMaskedWays = 64;  // a fill mask covers at most this many ways

  // size_bytes must be a multiple of ways * 64 bytes; at most 256 ways.
  BasicSetAssocCache(u64 size_bytes, unsigned ways) : ways_(ways) {
    if (ways == 0 || ways > 256 || size_bytes == 0 || size_bytes % (u64{ways} * kCacheLineBytes) != 0)
      throw std::invalid_argument("a cache of " + std::to_string(size_bytes) + " bytes cannot have " +
                                  std::to_string(ways) + " ways of 64-byte lines");
    sets_ = size_bytes / (u64{ways} * kCacheLineBytes);
    set_mask_ = is_power_of_two(sets_) ? sets_ - 1 : 0;
    // A single set: the mask would be 0, which means modulo; that is right too.
    all_ways_ = ways >= kMaxMaskedWays ? ~WayMask{0} : (WayMask{1} << ways) - 1;
    tags_.assign(sets_ * ways_, kNoLine);
  }

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
  void track_ways() {
    if (tracks_ways()) return;
    // Entry i of each set takes way i, the lines present included: any
    // distinct placement is one the hardware could have made.
    way_.resize(tags_.size());
    for (std::size_t i = 0; i < way_.size(); ++i) way_[i] = static_cast<u8>(i % ways_);
    tracked_ = true;
  }
  bool tracks_ways() const { return tracked_; }

  bool contains(u64 line) const { return find_line(set_of(line), line) < ways_; }
  // The way holding the line; kNoWay when absent or when ways are not tracked.
  unsigned way_of(u64 line) const {
    const Tag* set = set_of(line);
    const unsigned i = find_line(set, line);
    return i < ways_ && tracks_ways() ? way_[static_cast<std::size_t>(set - tags_.data()) + i] : kNoWay;
  }
  // A hit: the line becomes the most recently used of its set. False when absent.
  bool touch(Tag line) {
    Tag* set = set_of(CacheTag<Tag>::line(line));
    const unsigned i = find(set, line);
    if (i == ways_) return false;
    to_front(set, i);
    return true;
  }
  // Inserts an absent line as the most recently used; returns the line evicted
  // to make room, or kNoLine when the set had a free way.
  Tag insert(Tag line) {
    return insert(line, [](Tag) { return false; });
  }
  // As insert(line), asking spare(candidate) before evicting the LRU line of a
  // full set: true spares it (it moves to most recently used).
  template <class Spare>
  Tag insert(Tag line, Spare&& spare) {
    Tag* set = set_of(CacheTag<Tag>::line(line));
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
    const Tag victim = set[at];
    rotate_to_front(set, at);
    // The line takes the victim's (or the free) way.
    set[0] = line;
    return victim;
  }
  // As insert(line, spare), allocating only into the ways of `allowed` (a
  // subset of all_ways(), not empty) and evicting only from them.
  template <class Spare>
  Tag insert(Tag line, Spare&& spare, WayMask allowed) {
    if (allowed == all_ways_) return insert(line, spare);
    if (!tracks_ways()) track_ways();
    Tag* set = set_of(CacheTag<Tag>::line(line));
    // Free ways sit at the LRU end, so the first entry of the mask from there
    // is a free way of the mask if there is one, else its LRU line.
    unsigned at = last_in(set, allowed);
    Tag victim = kNoLine;
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
  // Every line the array holds, set by set, each set most recently used
  // first (a whole-cache flush collects them before erasing any).
  template <class F>
  void for_each_line(F&& f) const {
    for (const Tag& t : tags_)
      if (t != kNoLine) f(t);
  }
  // Invalidates the line; false when absent.
  bool erase(Tag line) {
    Tag* set = set_of(CacheTag<Tag>::line(line));
    const unsigned i = find(set, line);
    if (i == ways_) return false;
    shift_down(set + i, ways_ - 1 - i);
    set[ways_ - 1] = kNoLine;
    if (tracked_) {
      // Its way is free again, at the end with the other free ways.
      u8* w = ways_of(set);
      const u8 wi = w[i];
      std::memmove(w + i, w + i + 1, ways_ - 1 - i);
      w[ways_ - 1] = wi;
    }
    return true;
  }

 private:
  Tag* set_of(u64 line) { return tags_.data() + set_index(line) * ways_; }
  const Tag* set_of(u64 line) const { return tags_.data() + set_index(line) * ways_; }
  u8* ways_of(const Tag* set) { return way_.data() + (set - tags_.data()); }
  unsigned find(const Tag* set, Tag line) const {
    unsigned i = 0;
    while (i < ways_ && set[i] != line) ++i;
    return i;
  }
  unsigned find_line(const Tag* set, u64 line) const {
    unsigned i = 0;
    while (i < ways_ && (set[i] == kNoLine || CacheTag<Tag>::line(set[i]) != line)) ++i;
    return i;
  }
  // The position, from the LRU end, of the last entry whose way is in `allowed`.
  unsigned last_in(Tag* set, WayMask allowed) {
    const u8* w = ways_of(set);
    unsigned i = ways_ - 1;
    while (i > 0 && !((allowed >> w[i]) & 1)) --i;
    return i;
  }
  // Entries i..ways-1 move ahead of 0..i-1, in order, with their ways.
  void rotate_to_front(Tag* set, unsigned i) {
    if (i == ways_ - 1) return move_to_front(set, i);  // the usual case: the LRU line goes
    std::rotate(set, set + i, set + ways_);
    if (__builtin_expect(!tracked_, 1)) return;
    u8* w = ways_of(set);
    std::rotate(w, w + i, w + ways_);
  }
  // Entry i moves to the front (most recently used) with its way.
  void to_front(Tag* set, unsigned i) {
    const Tag l = set[i];
    move_to_front(set, i);
    set[0] = l;
  }
  // Shifts entries 0..i-1 back by one; entry 0 keeps entry i's way, the
  // caller writes its line.
  void move_to_front(Tag* set, unsigned i) {
    shift_up(set, i);
    if (__builtin_expect(!tracked_, 1)) return;
    u8* w = ways_of(set);
    const u8 wi = w[i];
    std::memmove(w + 1, w, i);
    w[0] = wi;
  }

  // Entries 0..i-1 move to 1..i. A set is a few dozen bytes: moved inline, in
  // 32-byte steps from the top, not by a library call per fill, hit and
  // erasure.
  static void shift_up(Tag* set, unsigned i) {
    static_assert(sizeof(Tag) == 8, "four tags to a 32-byte step");
    while (i >= 4) {
      i -= 4;
      move_tags<4>(set + i + 1, set + i);
    }
    if (i >= 2) {
      i -= 2;
      move_tags<2>(set + i + 1, set + i);
    }
    if (i) set[1] = set[0];
  }
  // Entries 1..n of `at` move to 0..n-1, in steps from the bottom.
  static void shift_down(Tag* at, unsigned n) {
    unsigned k = 0;
    for (; n - k >= 4; k += 4) move_tags<4>(at + k, at + k + 1);
    if (n - k >= 2) {
      move_tags<2>(at + k, at + k + 1);
      k += 2;
    }
    if (n - k) at[k] = at[k + 1];
  }
  // N tags from src to an overlapping dst: all read before any is written.
  // Fixed-size copies through a temporary, which the compiler turns into a
  // few vector moves; GCC 12 calls the library for a memmove even of a known
  // size (through the PLT, at every fill, hit and erasure).
  template <unsigned N>
  static void move_tags(Tag* dst, const Tag* src) {
    Tag t[N];
    std::memcpy(t, src, sizeof t);
    std::memcpy(dst, t, sizeof t);
  }

  unsigned ways_;
  u64 sets_;
  u64 set_mask_;  // sets - 1 when a power of two, else 0 (modulo)
  WayMask all_ways_;
  // sets x ways line numbers; each set most recently used first, free ways
  // (kNoLine) packed at the end.
  std::vector<Tag, LargeArrayAllocator<Tag>> tags_;
  // The way of each entry of tags_, once tracked (track_ways); empty before.
  std::vector<u8> way_;
  bool tracked_ = false;
};

using SetAssocCache = BasicSetAssocCache<u64>;

}  // namespace ivsim
