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
