// The breakdown of the slowest samples, apart from the mean's
// (models/core/tail_breakdown.h).
#include <catch2/catch.hpp>

#include "models/core/metrics.h"

using namespace ivsim;

TEST_CASE("the slowest 1 % of samples keep their own breakdown: a rare slow cause the mean dilutes") {
  LatencyMetric m;
  // 990 fast samples, all cache; 10 slow ones, mostly an exit.
  Breakdown fast, slow;
  fast.add(Component::cache, 100'000);
  slow.add(Component::cache, 100'000);
  slow.add(Component::exit, 4'900'000);
  for (int i = 0; i < 990; ++i) m.record(0, 100'000, fast);
  for (int i = 0; i < 10; ++i) m.record(0, 5'000'000, slow);
  const auto s = m.by_value.slowest(0.01, m.histogram.count());
  CHECK(s.count == 10);
  CHECK(s.sum.ps[static_cast<std::size_t>(Component::exit)] == 10 * 4'900'000ULL);
  CHECK(s.from_value <= 5'000'000);
  CHECK(s.from_value > 4'500'000);  // its bin: 16 per power of two
  // The mean hides it: under 50 ns of exit per sample.
  CHECK(m.breakdown_sum.ps[static_cast<std::size_t>(Component::exit)] / m.histogram.count() == 49'000);
  // Asking for more than the slow ones takes what it needs from the bin below them, at that bin's mean.
  const auto more = m.by_value.slowest(0.02, m.histogram.count());
  CHECK(more.count == 20);
  CHECK(more.sum.ps[static_cast<std::size_t>(Component::exit)] == 10 * 4'900'000ULL);
  CHECK(more.sum.ps[static_cast<std::size_t>(Component::cache)] == 20 * 100'000ULL);
  CHECK(more.from_value <= 100'000);
}

TEST_CASE("the tail breakdown has a bin for every value, the largest a u64 holds included") {
  TailBreakdown t;
  Breakdown b;
  b.add(Component::dram, 7);
  t.add(0, b);
  t.add(~u64{0}, b);
  t.add(u64{1} << 40, b);
  const auto top = t.slowest(0.34, 3);  // ceil(1.02): the two largest
  CHECK(top.count == 2);
  CHECK(top.from_value == u64{1} << 40);
  CHECK(top.sum.ps[static_cast<std::size_t>(Component::dram)] == 14);
  const auto all = t.slowest(1.0, 3);
  CHECK(all.count == 3);
  CHECK(all.from_value == 0);
}
