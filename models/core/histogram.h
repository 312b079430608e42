// Latency histogram over u64 values (picoseconds), HDR-style log-linear
// buckets: every value below 2^(k+1) has its own bucket, and each power of two
// above is split into 2^k equal sub-buckets, so a bucket is never wider than
// 1/2^k of its lower bound (k = 8: < 0.4 %). The bucket array is allocated
// once at construction, as pages that read as zero until written
// (ZeroPageArray): a histogram costs the pages its samples touch, not 114 KiB
// cleared. record() never allocates, and results depend only on the recorded
// values (not on their order), so runs stay reproducible.
#pragma once

#include <vector>

#include "models/core/chunk_arena.h"
#include "models/core/types.h"

namespace ivsim {

class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 8;                 // k
  static constexpr u64 kSubBuckets = u64{1} << kSubBucketBits;  // 2^k
  static constexpr unsigned kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  Histogram();

  void record(u64 value);
  void merge(const Histogram& other);
  void clear();

  u64 count() const { return count_; }
  bool empty() const { return count_ == 0; }
  u64 min() const { return count_ ? min_ : 0; }  // 0 when empty
  u64 max() const { return max_; }               // 0 when empty
  // Exact 128-bit sum kept internally (1e9 samples of 1e12 ps exceed u64);
  // returned as long double, exact while the sum fits in 64 bits.
  long double sum() const;
  double mean() const;  // 0 when empty

  // Nearest-rank percentile: the representative value (bucket midpoint) of the
  // bucket holding the ceil(q/100 * count)-th smallest sample, clamped to
  // [min, max]. q is clamped to [0, 100]; 0 when empty.
  u64 percentile(double q) const;

  // Bucket geometry, exposed for tests and exporters.
  static unsigned bucket_index(u64 value);
  static u64 bucket_low(unsigned index);    // smallest value in the bucket
  static u64 bucket_width(unsigned index);  // number of values in the bucket
  u64 bucket_count_at(unsigned index) const { return buckets_[index]; }

  // The recorded values in coarser log-spaced bins, for a report: each power
  // of two split into 2^bits equal bins (values below 2^(bits+1) one bin
  // each), only the bins that hold samples, in order. A bin of this
  // histogram lies inside one coarse bin, so counts are exact.
  struct Bin {
    u64 low = 0;   // smallest value in the bin
    u64 high = 0;  // one past the largest
    u64 count = 0;
  };
  std::vector<Bin> log_bins(unsigned bits) const;

 private:
  ZeroPageArray<u64> buckets_;
  u64 count_ = 0;
  u64 min_ = ~u64{0};
  u64 max_ = 0;
  u64 sum_lo_ = 0;  // 128-bit sum as two words: portable and overflow-free
  u64 sum_hi_ = 0;
};

}  // namespace ivsim
