// apportion: an interval split over a breakdown's components exactly (largest
// remainder), checked against the plain statement of the rule on random
// weights, with products past 64 bits among them.
#include <catch2/catch.hpp>

#include <array>

#include "models/core/breakdown.h"

using namespace ivsim;

namespace {

// The rule as stated: each component gets floor(amount x w / total); the
// units left go one each to the largest remainders, the lowest component
// first on a tie.
Breakdown reference(TimePs amount, const Breakdown& w) {
  Breakdown out;
  const TimePs total = w.total();
  std::array<unsigned __int128, kComponentCount> rem{};
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const unsigned __int128 p = static_cast<unsigned __int128>(amount) * w.ps[i];
    out.ps[i] = static_cast<TimePs>(p / total);
    rem[i] = p % total;
    assigned += out.ps[i];
  }
  for (TimePs left = amount - assigned; left > 0; --left) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < kComponentCount; ++i)
      if (rem[i] > rem[best]) best = i;
    ++out.ps[best];
    rem[best] = 0;
  }
  return out;
}

}  // namespace

TEST_CASE("apportion splits an interval as the largest-remainder rule does, and the parts add up to it") {
  u64 rng = 42;
  auto next = [&] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  for (int trial = 0; trial < 20000; ++trial) {
    Breakdown w;
    const unsigned shift = static_cast<unsigned>(next() % 40);  // up to ~2^40 ps per component
    for (auto& v : w.ps) v = next() % 3 == 0 ? 0 : next() >> (24 + shift);
    if (w.total() == 0) w.ps[3] = 1;
    const TimePs amount = trial % 10 == 0 ? w.total() : next() >> (trial % 2 ? 20 : 1);  // some products past 64 bits
    const Breakdown got = apportion(amount, w);
    const Breakdown want = reference(amount, w);
    INFO("trial " << trial);
    REQUIRE(got.ps == want.ps);
    REQUIRE(got.total() == amount);
    // Added into a breakdown that already holds something: the same parts on top.
    Breakdown acc = w;
    apportion_add(acc, amount, w);
    REQUIRE((acc - w).ps == want.ps);
  }
  Breakdown none;
  CHECK(apportion(500, none).get(Component::coherence) == 500);
  Breakdown acc;
  acc.add(Component::dram, 7);
  apportion_add(acc, 500, none);
  CHECK(acc.get(Component::coherence) == 500);
  CHECK(acc.get(Component::dram) == 7);
}
