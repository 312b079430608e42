// How a block copy's line accesses overlap in the core's fill buffers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "models/cpu/miss_window.h"

using namespace ivsim;

TEST_CASE("a block's first access costs its full latency") {
  MissWindow w(12, 500);
  CHECK(w.add(65000, true) == 65000);
  MissWindow hit(12, 500);
  CHECK(hit.add(2222, false) == 2222);
}

TEST_CASE("misses overlap up to the number of fill buffers") {
  // 24 misses of 60 ns with 12 buffers and free issue: two waves.
  MissWindow w(12, 0);
  TimePs charged = 0;
  for (int i = 0; i < 24; ++i) charged += w.add(60000, true);
  CHECK(charged == 120000);
  CHECK(w.duration() == 120000);
  // A long stream settles at latency / buffers per line.
  MissWindow s(12, 556);
  charged = 0;
  const int n = 12000;
  for (int i = 0; i < n; ++i) charged += s.add(65000, true);
  CHECK(static_cast<double>(charged) / n == Approx(65000.0 / 12).epsilon(0.01));
}

TEST_CASE("hits issue at the L1D rate and hide under outstanding misses") {
  MissWindow w(12, 1000);
  CHECK(w.add(65000, true) == 65000);
  // Issued 1 ns apart, completing long before the miss: free.
  for (int i = 0; i < 10; ++i) CHECK(w.add(2222, false) == 0);
  // A stream of hits alone costs the first latency plus one issue interval per further line.
  MissWindow h(12, 1000);
  TimePs charged = 0;
  for (int i = 0; i < 64; ++i) charged += h.add(2222, false);
  CHECK(charged == 2222 + 63 * 1000);
}

TEST_CASE("a single fill buffer serialises misses") {
  MissWindow w(1, 0);
  TimePs charged = 0;
  for (int i = 0; i < 5; ++i) charged += w.add(10000, true);
  CHECK(charged == 50000);
}

// The window as the fill buffers behave, one array scanned for the buffer
// that frees first: what MissWindow's ordered ring must reproduce.
namespace {
struct ScanWindow {
  unsigned slots;
  TimePs issue;
  std::vector<TimePs> free_at;
  TimePs next = 0, end = 0;
  TimePs add(TimePs latency, bool miss) {
    TimePs start = next;
    if (miss) {
      if (free_at.size() < slots) {
        free_at.push_back(start + latency);
      } else {
        auto s = std::min_element(free_at.begin(), free_at.end());
        start = std::max(start, *s);
        *s = start + latency;
      }
    }
    next = start + issue;
    const TimePs done = start + latency;
    if (done <= end) return 0;
    const TimePs later = done - end;
    end = done;
    return later;
  }
};
}  // namespace

TEST_CASE("the window charges what scanning every fill buffer charges, for any mix of latencies") {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 2000; ++round) {
    const unsigned slots = 1 + static_cast<unsigned>(rng() % 20);
    const TimePs issue = rng() % 2000;
    MissWindow w(slots, issue);
    ScanWindow ref{slots, issue, {}};
    const int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      // Hits, misses of a few latencies (ties included) and long outliers.
      const TimePs latency = rng() % 4 == 0 ? 1000 + rng() % 3 * 20000 : rng() % 90000;
      const bool miss = rng() % 5 != 0;
      REQUIRE(w.add(latency, miss) == ref.add(latency, miss));
    }
    REQUIRE(w.duration() == ref.end);
  }
}
