// Histogram: exactness below 512, bounded relative error above, nearest-rank
// percentiles, exact min/max/mean, merge, and a sum that cannot overflow.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "models/core/histogram.h"

using namespace ivsim;

namespace {

// Nearest-rank percentile of a sorted sample, the reference the histogram approximates.
u64 nearest_rank(const std::vector<u64>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[rank - 1];
}

}  // namespace

TEST_CASE("histogram: empty histogram reports zeros", "[histogram]") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.empty());
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.sum() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.percentile(50) == 0);
}

TEST_CASE("histogram: bucket geometry is continuous and within 1/256", "[histogram]") {
  for (u64 v = 0; v < 512; ++v) {
    CHECK(Histogram::bucket_index(v) == v);
    CHECK(Histogram::bucket_width(static_cast<unsigned>(v)) == 1);
  }
  // Every bucket starts where the previous one ends, up to the last one.
  for (unsigned i = 1; i < Histogram::kBucketCount; ++i)
    REQUIRE(Histogram::bucket_low(i) == Histogram::bucket_low(i - 1) + Histogram::bucket_width(i - 1));
  const unsigned last = Histogram::kBucketCount - 1;
  CHECK(Histogram::bucket_low(last) + (Histogram::bucket_width(last) - 1) == ~u64{0});
  CHECK(Histogram::bucket_index(~u64{0}) == last);

  for (unsigned i = 512; i < Histogram::kBucketCount; ++i)
    REQUIRE(static_cast<double>(Histogram::bucket_width(i)) / static_cast<double>(Histogram::bucket_low(i)) <=
            1.0 / 256);
  for (u64 v : {u64{512}, u64{513}, u64{1000}, u64{123456789}, u64{1} << 40, (u64{1} << 40) + 12345}) {
    const unsigned i = Histogram::bucket_index(v);
    CHECK(Histogram::bucket_low(i) <= v);
    CHECK(v - Histogram::bucket_low(i) < Histogram::bucket_width(i));
  }
}

TEST_CASE("histogram: small values are exact", "[histogram]") {
  Histogram h;
  for (u64 v : {5, 1, 3, 3, 200, 511}) h.record(v);
  CHECK(h.count() == 6);
  CHECK(h.min() == 1);
  CHECK(h.max() == 511);
  CHECK(h.sum() == 723);
  CHECK(h.mean() == Approx(723.0 / 6));
  CHECK(h.percentile(0) == 1);
  CHECK(h.percentile(16) == 1);    // rank ceil(0.96) = 1
  CHECK(h.percentile(17) == 3);    // rank 2
  CHECK(h.percentile(50) == 3);    // rank 3
  CHECK(h.percentile(51) == 5);    // rank 4
  CHECK(h.percentile(80) == 200);  // rank 5 (4.8 -> 5)
  CHECK(h.percentile(100) == 511);
}

TEST_CASE("histogram: a constant sample reports the constant everywhere", "[histogram]") {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.record(123456789);
  for (double q : {0.0, 1.0, 50.0, 99.9, 100.0}) CHECK(h.percentile(q) == 123456789);
  CHECK(h.mean() == 123456789.0);
}

TEST_CASE("histogram: percentiles of a uniform ramp are exact in rank and within 0.4 % in value", "[histogram]") {
  Histogram h;
  std::vector<u64> values;
  for (u64 i = 1; i <= 100000; ++i) {
    values.push_back(i * 1000);  // 1 ns .. 100 us in ps
    h.record(i * 1000);
  }
  CHECK(h.min() == 1000);
  CHECK(h.max() == 100000000);
  CHECK(h.mean() == Approx(50000500.0).epsilon(1e-12));
  for (double q : {0.0, 0.001, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const double want = static_cast<double>(nearest_rank(values, q));
    const double got = static_cast<double>(h.percentile(q));
    INFO("q=" << q << " want=" << want << " got=" << got);
    CHECK(std::fabs(got - want) / want < 0.004);
  }
  CHECK(h.percentile(100) == 100000000);
  CHECK(h.percentile(0) == 1000);
}

TEST_CASE("histogram: percentiles of a random log-normal sample stay within 0.4 %", "[histogram]") {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(2e6), 1.0);  // ~2 us median, long tail
  Histogram h;
  std::vector<u64> values;
  for (int i = 0; i < 200000; ++i) {
    const u64 v = static_cast<u64>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  for (double q : {0.1, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const double want = static_cast<double>(nearest_rank(values, q));
    const double got = static_cast<double>(h.percentile(q));
    INFO("q=" << q << " want=" << want << " got=" << got);
    CHECK(std::fabs(got - want) / want < 0.004);
  }
}

TEST_CASE("histogram: percentile nudges decimal q down, not a rank too high", "[histogram]") {
  // 998 ones, then 300 (rank 999) and 400 (rank 1000): all in exact buckets.
  Histogram h;
  for (int i = 0; i < 998; ++i) h.record(1);
  h.record(300);
  h.record(400);
  CHECK(h.percentile(99.9) == 300);  // 99.9 % of 1000 is rank 999 exactly
  CHECK(h.percentile(99.91) == 400);
  CHECK(h.percentile(50) == 1);
  CHECK(h.percentile(-5) == 1);
  CHECK(h.percentile(250) == 400);
}

TEST_CASE("histogram: merge equals recording everything in one", "[histogram]") {
  Histogram a, b, all;
  for (u64 i = 0; i < 5000; ++i) {
    const u64 v = (i * 7919) % 100000 + 300;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  Histogram merged = a;
  merged.merge(b);
  CHECK(merged.count() == all.count());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  CHECK(merged.sum() == all.sum());
  for (double q : {1.0, 50.0, 99.0, 100.0}) CHECK(merged.percentile(q) == all.percentile(q));
  for (unsigned i = 0; i < Histogram::kBucketCount; ++i) REQUIRE(merged.bucket_count_at(i) == all.bucket_count_at(i));

  Histogram empty;
  merged.merge(empty);
  CHECK(merged.count() == all.count());
  CHECK(merged.min() == all.min());
  empty.merge(a);
  CHECK(empty.min() == a.min());
  CHECK(empty.count() == a.count());
}

TEST_CASE("histogram: the sum does not overflow at 1e9 samples of 1e12 ps", "[histogram]") {
  // Recording 1e9 values would be slow; merging doubles the content each time.
  Histogram h;
  h.record(1000000000000ULL);  // 1 s in ps
  u64 n = 1;
  while (n < 1000000000ULL) {
    Histogram copy = h;
    h.merge(copy);
    n *= 2;
  }
  CHECK(h.count() == n);                                         // 2^30
  const long double want = static_cast<long double>(n) * 1e12L;  // ~1.07e21 > 2^64
  CHECK(static_cast<double>(h.sum()) == Approx(static_cast<double>(want)).epsilon(1e-15));
  CHECK(h.mean() == 1e12);
  CHECK(h.percentile(50) == 1000000000000ULL);

  Histogram big;
  big.record(~u64{0});
  big.record(~u64{0});
  CHECK(big.sum() == 2.0L * static_cast<long double>(~u64{0}));
  CHECK(big.mean() == static_cast<double>(~u64{0}));
  CHECK(big.percentile(50) == ~u64{0});
}

TEST_CASE("histogram: clear forgets everything", "[histogram]") {
  Histogram h;
  h.record(10);
  h.record(1u << 20);
  h.clear();
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.sum() == 0);
  h.record(7);
  CHECK(h.min() == 7);
  CHECK(h.percentile(50) == 7);
}

TEST_CASE("histogram: log bins group the buckets, 2^bits per power of two, counts exact", "[histogram]") {
  Histogram h;
  for (u64 v : {5u, 5u, 100u, 1000u, 1010u, 1100u, 100000u}) h.record(v);
  const auto bins = h.log_bins(4);
  u64 n = 0;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    n += bins[i].count;
    CHECK(bins[i].low < bins[i].high);
    if (i) CHECK(bins[i - 1].high <= bins[i].low);
    // 16 bins per octave above 32: each at most 1/16 of its lower bound wide.
    if (bins[i].low >= 32) CHECK((bins[i].high - bins[i].low) * 16 <= bins[i].low);
  }
  CHECK(n == h.count());
  // 1000 and 1010 share a bin (1/16 of the octave 512..1024 is 32 wide); 1100 does not.
  // Bins: {5, 5}, {100}, {1000, 1010}, {1100}, {100000}.
  REQUIRE(bins.size() == 5);
  CHECK(bins[0].low == 5);
  CHECK(bins[0].count == 2);
  CHECK(bins[2].low <= 1000);
  CHECK(bins[2].high > 1010);
  CHECK(bins[2].count == 2);
  CHECK(bins[3].low <= 1100);
  CHECK(bins[3].high > 1100);
  CHECK(bins[3].count == 1);
}
