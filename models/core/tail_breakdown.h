// Where the slow samples' time went: each sample's breakdown summed into
// the log-spaced bin of its value (16 per power of two, the report's
// histogram bins), so the breakdown of the slowest samples can be told
// apart from the mean's. Memory is the pages of the bins that hold samples,
// not the number of samples.
#pragma once

#include <algorithm>

#include "models/core/breakdown.h"
#include "models/core/chunk_arena.h"
#include "models/core/types.h"

namespace ivsim {

class TailBreakdown {
 public:
  static constexpr unsigned kBits = 4;  // 16 bins per power of two

  TailBreakdown() : cells_(kBins * kStride) {}

  void add(u64 value, const Breakdown& b) {
    const std::size_t i = bin(value);
    u64* c = &cells_[i * kStride];
    c[0] += 1;
    for (std::size_t k = 0; k < kComponentCount; ++k) c[1 + k] += b.ps[k];
    used_ = std::max(used_, i + 1);
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
    for (std::size_t i = used_; i-- > 0 && s.count < want;) {
      const u64* b = &cells_[i * kStride];
      const u64 count = b[0];
      if (count == 0) continue;
      const u64 take = std::min(count, want - s.count);
      for (std::size_t c = 0; c < kComponentCount; ++c)
        s.sum.ps[c] +=
            take == count ? b[1 + c] : static_cast<TimePs>(static_cast<long double>(b[1 + c]) * take / count);
      s.count += take;
      s.from_value = low(i);
    }
    return s;
  }

 private:
  // Bin i is kStride words from cells_[i * kStride]: its count, then its
  // breakdown's sum. Every bin a value can have, in pages that read as zero
  // until written (ZeroPageArray): a metric costs the pages its samples
  // touch, with no allocation as its values grow.
  static constexpr std::size_t kStride = 1 + kComponentCount;
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

  // Every bin bin() can return: up to 2^64's octave (976 bins, 122 KiB of address space).
  static constexpr std::size_t kBins = (std::size_t{2} << kBits) + (63 - kBits) * (std::size_t{1} << kBits);
  ZeroPageArray<u64> cells_;
  std::size_t used_ = 0;  // one past the highest bin with a sample
};

}  // namespace ivsim
