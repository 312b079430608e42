// Where the slow samples' time went: each sample's breakdown summed into
// the log-spaced bin of its value (16 per power of two, the report's
// histogram bins), so the breakdown of the slowest samples can be told
// apart from the mean's. Memory grows with the largest value seen (a bin
// index), not with the number of samples.
#pragma once

#include <algorithm>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/types.h"

namespace ivsim {

class TailBreakdown {
 public:
  static constexpr unsigned kBits = 4;  // 16 bins per power of two

  void add(u64 value, const Breakdown& b) {
    const std::size_t i = bin(value);
    if (i >= bins_.size()) bins_.resize(i + 1);
    bins_[i].count += 1;
    bins_[i].sum += b;
  }

  struct Slowest {
    u64 count = 0;       // samples taken: ceil(share x total)
    u64 from_value = 0;  // the smallest value of the lowest bin taken from
    Breakdown sum;       // their breakdowns, summed
  };
  // The slowest ceil(share x total) samples: whole bins from the top, and
  // from the bin where the share ends, the samples needed at that bin's
  // mean breakdown (its samples are within 1/16 of an octave of each other).
  Slowest slowest(double share, u64 total) const {
    Slowest s;
    const double exact = share * static_cast<double>(total);
    const u64 want = static_cast<u64>(exact) + (static_cast<double>(static_cast<u64>(exact)) < exact ? 1 : 0);
    for (std::size_t i = bins_.size(); i-- > 0 && s.count < want;) {
      const Bin& b = bins_[i];
      if (b.count == 0) continue;
      const u64 take = std::min(b.count, want - s.count);
      if (take == b.count) {
        s.sum += b.sum;
      } else {
        for (std::size_t c = 0; c < kComponentCount; ++c)
          s.sum.ps[c] += static_cast<TimePs>(static_cast<long double>(b.sum.ps[c]) * take / b.count);
      }
      s.count += take;
      s.from_value = low(i);
    }
    return s;
  }

 private:
  struct Bin {
    u64 count = 0;
    Breakdown sum;
  };
  // Values below 2^(kBits+1) a bin each, then 2^kBits bins per octave.
  static std::size_t bin(u64 v) {
    if (v < (u64{2} << kBits)) return static_cast<std::size_t>(v);
    const unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(v));
    const u64 sub = (v >> (e - kBits)) & ((u64{1} << kBits) - 1);
    return (std::size_t{2} << kBits) + (e - kBits - 1) * (std::size_t{1} << kBits) + static_cast<std::size_t>(sub);
  }
  static u64 low(std::size_t i) {
    if (i < (std::size_t{2} << kBits)) return i;
    const std::size_t j = i - (std::size_t{2} << kBits);
    const unsigned e = static_cast<unsigned>(j >> kBits) + kBits + 1;
    const u64 sub = j & ((std::size_t{1} << kBits) - 1);
    return (u64{1} << e) | (sub << (e - kBits));
  }

  std::vector<Bin> bins_;
};

}  // namespace ivsim
