// A sparse map from a 4 KiB page's address to a pointer, as a three-level
// radix (1 GiB directories of 2 MiB leaves of page slots), each level
// allocated on first use: 4 KiB per GiB and 4 KiB per 2 MiB touched, so a
// large address space that is sparsely touched costs little.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

template <class T>
class PageRadix {
 public:
  // nullptr when the page's slot was never set.
  T* find(u64 addr) const {
    const u64 g = addr >> 30;
    if (g >= top_.size() || !top_[g]) return nullptr;
    const Leaf* l = (*top_[g])[(addr >> 21) & 511].get();
    return l ? (*l)[(addr >> kPageShift4K) & 511] : nullptr;
  }
  // The page's slot, its directory and leaf created on the way.
  T*& slot(u64 addr) {
    const u64 g = addr >> 30;
    if (g >= top_.size()) top_.resize(g + 1);
    auto& dir = top_[g];
    if (!dir) dir = std::make_unique<Dir>();
    auto& leaf = (*dir)[(addr >> 21) & 511];
    if (!leaf) {
      leaf = std::make_unique<Leaf>();
      leaf->fill(nullptr);
    }
    return (*leaf)[(addr >> kPageShift4K) & 511];
  }
  // Calls f(page address, pointer) for every page set in [begin, end), in
  // address order, skipping the directories and leaves never created.
  template <class F>
  void for_each_in(u64 begin, u64 end, F&& f) const {
    const u64 first = begin >> kPageShift4K, last = (end + kPageSize4K - 1) >> kPageShift4K;
    for (u64 page = first; page < last;) {
      const u64 g = page >> 18;
      if (g >= top_.size()) return;
      if (!top_[g]) {
        page = (g + 1) << 18;
        continue;
      }
      const Leaf* l = (*top_[g])[(page >> 9) & 511].get();
      if (!l) {
        page = ((page >> 9) + 1) << 9;
        continue;
      }
      const u64 leaf_end = std::min(last, ((page >> 9) + 1) << 9);
      for (; page < leaf_end; ++page)
        if (T* p = (*l)[page & 511]) f(page << kPageShift4K, p);
    }
  }

 private:
  using Leaf = std::array<T*, 512>;
  using Dir = std::array<std::unique_ptr<Leaf>, 512>;
  std::vector<std::unique_ptr<Dir>> top_;
};

}  // namespace ivsim
