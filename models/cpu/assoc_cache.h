// A set-associative array with true LRU replacement: the shape of the TLBs
// and paging-structure caches the MMU models. Lookups and fills happen only
// on the translation slow path (the per-access fast path never reaches
// here), so it favours plain code over speed. Deterministic: replacement
// depends on the access order alone.
#pragma once

#include <vector>

#include "models/core/types.h"

namespace ivsim {

template <class V>
class AssocCache {
 public:
  // `entries` 0 disables the cache (it never hits and never fills); `ways` 0
  // or at least `entries` makes it fully associative. Sets need not be a
  // power of two (Skylake's STLB has 1536 / 12 = 128, Tiger Lake's 2048 / 16).
  AssocCache(unsigned entries, unsigned ways) {
    if (entries == 0) return;
    ways_ = (ways == 0 || ways > entries) ? entries : ways;
    sets_ = entries / ways_;
    slots_.resize(static_cast<std::size_t>(sets_) * ways_);
  }

  bool enabled() const { return sets_ != 0; }
  unsigned capacity() const { return sets_ * ways_; }

  // The entry tagged `tag` in the set `index` selects; a hit becomes the most recently used.
  V* find(u64 index, u64 tag) {
    if (!enabled()) return nullptr;
    Slot* set = set_of(index);
    for (unsigned w = 0; w < ways_; ++w)
      if (set[w].valid && set[w].tag == tag) {
        // The entry used last of all stays so: the replacement order is unchanged.
        if (set[w].stamp != clock_) {
          set[w].stamp = ++clock_;
          ++changes_;
        }
        return &set[w].value;
      }
    return nullptr;
  }

  // Counts every change to the contents or the replacement order: equal
  // counts, the same cache (as far as any lookup or fill can tell).
  u64 changes() const { return changes_; }

  struct Fill {
    bool evicted = false;  // a valid entry with another tag was replaced
    u64 evicted_tag = 0;
    V evicted_value{};
  };
  // Installs tag -> value as the most recently used entry of its set:
  // replaces the same tag if present, else an invalid way, else the LRU way.
  Fill insert(u64 index, u64 tag, const V& value) {
    Fill f;
    if (!enabled()) return f;
    ++changes_;
    Slot* set = set_of(index);
    Slot* victim = nullptr;
    for (unsigned w = 0; w < ways_ && !victim; ++w)
      if (set[w].valid && set[w].tag == tag) victim = &set[w];
    for (unsigned w = 0; w < ways_ && !victim; ++w)
      if (!set[w].valid) victim = &set[w];
    if (!victim) {
      victim = &set[0];
      for (unsigned w = 1; w < ways_; ++w)
        if (set[w].stamp < victim->stamp) victim = &set[w];
      f.evicted = true;
      f.evicted_tag = victim->tag;
      f.evicted_value = victim->value;
    }
    victim->valid = true;
    victim->tag = tag;
    victim->value = value;
    victim->stamp = ++clock_;
    return f;
  }

  // Drops every entry for which keep(tag, value) is false.
  template <class Keep>
  void retain_if(Keep keep) {
    ++changes_;
    for (Slot& s : slots_)
      if (s.valid && !keep(s.tag, s.value)) s.valid = false;
  }
  void clear() {
    ++changes_;
    for (Slot& s : slots_) s.valid = false;
  }

 private:
  struct Slot {
    u64 tag = 0;
    u64 stamp = 0;
    bool valid = false;
    V value{};
  };
  Slot* set_of(u64 index) { return &slots_[static_cast<std::size_t>(index % sets_) * ways_]; }

  unsigned sets_ = 0;
  unsigned ways_ = 0;
  u64 clock_ = 0;
  u64 changes_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace ivsim
