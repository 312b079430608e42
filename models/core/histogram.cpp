#include "models/core/histogram.h"

#include <algorithm>
#include <cmath>

namespace ivsim {

namespace {

unsigned log2_floor(u64 v) { return 63u - static_cast<unsigned>(__builtin_clzll(v)); }

}  // namespace

Histogram::Histogram() : buckets_(kBucketCount) {}

// Values below 2^(k+1) map to themselves; above, the index is the octave
// (e - k) times 2^k plus the k bits after the leading one.
unsigned Histogram::bucket_index(u64 value) {
  if (value < 2 * kSubBuckets) return static_cast<unsigned>(value);
  const unsigned e = log2_floor(value);
  const unsigned shift = e - kSubBucketBits;
  const u64 sub = (value >> shift) - kSubBuckets;
  return static_cast<unsigned>((static_cast<u64>(shift + 1) << kSubBucketBits) + sub);
}

u64 Histogram::bucket_low(unsigned index) {
  if (index < 2 * kSubBuckets) return index;
  const unsigned shift = (index >> kSubBucketBits) - 1;
  const u64 sub = index & (kSubBuckets - 1);
  return (kSubBuckets + sub) << shift;
}

u64 Histogram::bucket_width(unsigned index) {
  if (index < 2 * kSubBuckets) return 1;
  return u64{1} << ((index >> kSubBucketBits) - 1);
}

void Histogram::record(u64 value) {
  ++buckets_[bucket_index(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  const u64 lo = sum_lo_ + value;
  sum_hi_ += lo < sum_lo_ ? 1 : 0;
  sum_lo_ = lo;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  // Only the buckets that hold samples: the others' pages stay unwritten.
  for (unsigned i = 0; i < kBucketCount; ++i)
    if (other.buckets_[i]) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  const u64 lo = sum_lo_ + other.sum_lo_;
  sum_hi_ += other.sum_hi_ + (lo < sum_lo_ ? 1 : 0);
  sum_lo_ = lo;
}

void Histogram::clear() {
  if (count_) buckets_.clear();
  count_ = 0;
  min_ = ~u64{0};
  max_ = 0;
  sum_lo_ = sum_hi_ = 0;
}

long double Histogram::sum() const {
  return std::ldexp(static_cast<long double>(sum_hi_), 64) + static_cast<long double>(sum_lo_);
}

double Histogram::mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum() / static_cast<long double>(count_));
}

std::vector<Histogram::Bin> Histogram::log_bins(unsigned bits) const {
  bits = std::min(bits, kSubBucketBits);
  // The coarse bin of a value: its own below 2^(bits+1), else its octave
  // and the `bits` bits after the leading one.
  auto coarse = [bits](u64 v, u64& low, u64& high) {
    if (v < (u64{2} << bits)) {
      low = v;
      high = v + 1;
      return;
    }
    const unsigned shift = log2_floor(v) - bits;
    low = (v >> shift) << shift;
    high = low + (u64{1} << shift);
  };
  std::vector<Bin> out;
  for (unsigned i = 0; i < kBucketCount; ++i) {
    if (buckets_[i] == 0) continue;
    Bin b;
    b.count = buckets_[i];
    coarse(bucket_low(i), b.low, b.high);
    if (!out.empty() && out.back().low == b.low)
      out.back().count += b.count;
    else
      out.push_back(b);
  }
  return out;
}

u64 Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) q = 0;  // also catches NaN
  if (q > 100) q = 100;
  // The tiny downward nudge keeps decimal q such as 99.9 (not exact in
  // binary) from landing one rank too high when q/100 * count is an integer.
  const long double x = static_cast<long double>(q) / 100.0L * static_cast<long double>(count_);
  u64 rank = static_cast<u64>(std::ceil(x * (1.0L - 1e-12L)));
  rank = std::clamp<u64>(rank, 1, count_);

  u64 seen = 0;
  for (unsigned i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const u64 mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable: the buckets hold count_ samples
}

}  // namespace ivsim
