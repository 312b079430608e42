// The uncore's sources of variation, each on its own: DRAM refresh, the
// open row, queueing behind other cores (models/host/uncore.h).
#include <algorithm>
#include <utility>

#include <catch2/catch.hpp>

#include "models/host/uncore.h"

using namespace ivsim;

namespace {

UncoreParams dram_params() {
  UncoreParams p;
  p.window_ps = 1'000'000;
  p.llc_service_ps = 1'000;
  p.mem_service_ps = 2'000;
  p.trefi_ps = 7'800'000;
  p.trfc_ps = 350'000;
  p.trcd_ps = 14'000;
  p.trp_ps = 14'000;
  p.banks = 16;
  p.row_lines = 128;
  return p;
}

// Core 0's request in the middle of each of `windows` 1 us windows, after
// others(u, t0) loaded the window starting at t0: the share that waited,
// and their total wait.
template <class Others>
std::pair<double, u64> core0_waits(Uncore& u, const UncoreParams& p, Others&& others, unsigned windows = 2000) {
  u64 waited = 0, total_ps = 0;
  for (unsigned w = 0; w < windows; ++w) {
    const TimePs t0 = w * p.window_ps;
    others(t0);
    const UncoreDelay d = u.dram_request(0, 1'000'000, t0 + p.window_ps / 2);
    waited += d.queue_ps > 0;
    total_ps += d.queue_ps;
  }
  return {static_cast<double>(waited) / windows, total_ps};
}

}  // namespace

TEST_CASE("DRAM refresh: a request in the refresh window waits for its end, at a phase the seed decides") {
  UncoreParams p = dram_params();
  p.refresh = true;
  // Find the refresh window by probing one request per 10 ns over a tREFI.
  auto waits = [&](u64 seed) {
    p.seed = seed;
    std::vector<TimePs> w;
    for (TimePs t = 0; t < p.trefi_ps; t += 10'000) {
      Uncore u(p, {0});
      w.push_back(static_cast<TimePs>(u.dram_request(0, 0, t).dram_ps));
    }
    return w;
  };
  const auto a = waits(1);
  std::size_t in_window = 0;
  TimePs longest = 0;
  for (TimePs x : a) {
    in_window += x > 0;
    longest = std::max(longest, x);
  }
  CHECK(in_window == p.trfc_ps / 10'000);  // tRFC of every tREFI
  CHECK(longest <= p.trfc_ps);
  CHECK(longest > p.trfc_ps - 10'000);
  CHECK(waits(1) == a);  // the same seed, the same phase
  CHECK(waits(2) != a);
  p.refresh = false;
  Uncore off(p, {0});
  for (TimePs t = 0; t < p.trefi_ps; t += 10'000) CHECK(off.dram_request(0, 0, t).dram_ps == 0);
}

TEST_CASE(
    "DRAM refresh: the requests one refresh holds leave one line time apart, in turns by core, whatever order they "
    "come in") {
  UncoreParams p = dram_params();
  p.refresh = true;
  const std::vector<int> llc_of{0, 0, 0, 0};
  // The first refresh's start: the first probe that waits.
  TimePs start = 0;
  {
    Uncore u(p, llc_of);
    for (TimePs t = 0; t < p.trefi_ps; t += 1'000)
      if (u.dram_request(0, 0, t).dram_ps > 0) {
        start = t;
        break;
      }
  }
  const TimePs arrive = start + 100'000;  // all four held by that refresh
  auto ends = [&](const std::vector<unsigned>& order, TimePs at) {
    Uncore u(p, llc_of);
    std::vector<TimePs> end(order.size());
    for (unsigned c : order) end[c] = at + static_cast<TimePs>(u.dram_request(c, 0, at).dram_ps);
    return end;
  };
  const auto a = ends({0, 1, 2, 3}, arrive);
  CHECK(ends({3, 1, 0, 2}, arrive) == a);  // the order they come in does not matter
  std::vector<TimePs> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 1; i < sorted.size(); ++i) CHECK(sorted[i] - sorted[i - 1] == p.mem_service_ps);
  CHECK(sorted.front() >= arrive);
  // The next refresh gives the first turn to the next core.
  const auto b = ends({0, 1, 2, 3}, arrive + p.trefi_ps);
  const auto first = [](const std::vector<TimePs>& e) { return std::min_element(e.begin(), e.end()) - e.begin(); };
  CHECK(first(b) == (first(a) + 3) % 4);
  // Each core's wait is counted for it.
  Uncore u(p, llc_of);
  for (unsigned c = 0; c < 4; ++c) {
    const TimePs held = static_cast<TimePs>(u.dram_request(c, 0, arrive).dram_ps);
    CHECK(u.waits(c).refresh_waits == 1);
    CHECK(u.waits(c).refresh_ps == held);
  }
  CHECK(u.refresh_waits() == 4);
  CHECK(u.waits(4).refresh_waits == 0);  // no such core
}

TEST_CASE("DRAM rows: the open row's lines save tRP + tRCD, another row of the bank costs the profile's latency") {
  UncoreParams p = dram_params();
  p.row_buffer = true;
  Uncore u(p, {0});
  CHECK(u.dram_request(0, 0, 0).dram_ps == -14'000);      // a closed bank: activate only
  CHECK(u.dram_request(0, 1, 100).dram_ps == -28'000);    // the same row: a hit
  CHECK(u.dram_request(0, 127, 200).dram_ps == -28'000);  // still that row
  CHECK(u.dram_request(0, 128, 300).dram_ps == -14'000);  // the next row's lines live in the next bank
  CHECK(u.dram_request(0, 16 * 128, 400).dram_ps == 0);   // bank 0's next row: a conflict
  CHECK(u.dram_request(0, 5, 500).dram_ps == 0);          // and back: a conflict again
  CHECK(u.row_hits() == 2);
  CHECK(u.row_conflicts() == 2);
}

TEST_CASE("contention: a request waits behind other cores' requests, as often as they keep the queue busy") {
  UncoreParams p = dram_params();
  p.contention = true;
  p.seed = 7;
  auto load = [&](Uncore& u, unsigned others_per_window) {
    return core0_waits(u, p, [&](TimePs t0) {
      for (unsigned k = 0; k < others_per_window; ++k) u.dram_request(1 + k % 2, k, t0 + k);
    });
  };
  auto run = [&](unsigned others_per_window) {
    Uncore u(p, {0, 0, 0});
    return load(u, others_per_window);
  };
  CHECK(run(0).first == 0);  // alone: never waits
  // 100 other requests per 1 us window at 2 ns (memory) + 1 ns (LLC) each:
  // the memory queue is 20 % busy, the LLC's 10 %; P(wait) = 1 - 0.8 * 0.9.
  const auto busy = run(100);
  CHECK(busy.first == Approx(0.28).margin(0.04));
  const auto busier = run(300);
  CHECK(busier.first > busy.first);
  CHECK(busier.second > busy.second);
  CHECK(run(100) == busy);  // the same seed, the same draws
  // Core 0's waits are counted for it: each queue it waited in, and their time.
  Uncore u(p, {0, 0, 0});
  CHECK(load(u, 100) == busy);
  CHECK(u.waits(0).queue_ps == busy.second);
  CHECK(u.waits(0).queued >= static_cast<u64>(busy.first * 2000));  // a request may wait in both queues
  CHECK(u.waits(0).queued + u.waits(1).queued + u.waits(2).queued == u.queued());
}

TEST_CASE(
    "contention windows: the next window sees the last one's requests, a gap forgets them, a late core counts now") {
  UncoreParams p = dram_params();
  p.contention = true;
  p.seed = 11;
  Uncore u(p, {0, 0});
  // 900 requests by core 1 in a 1 us window keep the LLC 90 % busy.
  auto busy_window = [&](TimePs t0) {
    for (unsigned k = 0; k < 900; ++k) u.llc_request(1, t0 + k);
  };
  // How many of core 0's 50 requests from t0 on waited.
  auto waits = [&](TimePs t0) {
    const u64 before = u.queued();
    for (unsigned k = 0; k < 50; ++k) u.llc_request(0, t0 + k);
    return u.queued() - before;
  };
  busy_window(0);
  CHECK(waits(p.window_ps) > 25);      // window 1 sees window 0's
  CHECK(waits(3 * p.window_ps) == 0);  // window 3: window 2 was empty, window 0 is forgotten
  // Core 1 still behind, at window 1's time: counted in the current window, 3.
  busy_window(p.window_ps);
  CHECK(waits(4 * p.window_ps) > 25);
  CHECK(waits(4 * p.window_ps + p.window_ps / 2) > 25);  // still window 4, without a division
  CHECK(waits(5 * p.window_ps) == 0);                    // window 4 had only core 0's own
}

TEST_CASE("a write-back loads the memory controller others queue behind and draws nothing of its own") {
  UncoreParams p = dram_params();
  p.contention = true;
  p.seed = 5;
  // Core 1 writes back `write_backs` lines per 1 us window; core 0 reads.
  auto run = [&](unsigned write_backs, unsigned own_write_backs) {
    Uncore u(p, {0, 0});
    const auto waits = core0_waits(u, p, [&](TimePs t0) {
      for (unsigned k = 0; k < write_backs; ++k) u.write_back(1, t0 + k);
      for (unsigned k = 0; k < own_write_backs; ++k) u.write_back(0, t0 + k);
    });
    CHECK(u.write_backs() == u64{2000} * (write_backs + own_write_backs));
    return waits;
  };
  CHECK(run(0, 0).first == 0);
  // 300 write-backs of 2 ns per window: the memory queue is 60 % busy, the
  // LLC's idle (a write-back leaves from it, but is not a request to it).
  const auto loaded = run(300, 0);
  CHECK(loaded.first == Approx(0.6).margin(0.05));
  // A core's own write-backs are not others' load, and take no draw from the
  // queue's stream: the same waits as without them.
  CHECK(run(300, 200) == loaded);
}

TEST_CASE("a write-back leaves the open rows as they are: the reads' row hits stay") {
  UncoreParams p = dram_params();
  p.row_buffer = true;
  Uncore u(p, {0});
  CHECK(u.dram_request(0, 0, 0).dram_ps == -14'000);    // bank 0 row 0 opened
  u.write_back(0, 100);                                 // whichever row it writes
  CHECK(u.dram_request(0, 1, 200).dram_ps == -28'000);  // row 0 still open: a hit
  CHECK(u.row_hits() == 1);
  CHECK(u.row_conflicts() == 0);
  CHECK(u.write_backs() == 1);
}

TEST_CASE("a flush's write-backs keep the memory controller busy for the other cores while it lasts") {
  UncoreParams p = dram_params();
  p.contention = true;
  p.seed = 9;
  // 5 000 lines over 20 us at 2 ns each: half the controller's bandwidth.
  const TimePs from = 10 * p.window_ps, until = 30 * p.window_ps;
  auto waits = [&](bool flush, unsigned core, TimePs t0) {
    Uncore u(p, {0, 0});
    if (flush) u.flush_write_backs(1, from, until, 5000);
    u64 waited = 0;
    for (unsigned k = 0; k < 2000; ++k) waited += u.dram_request(core, k, t0 + k * 5'000).queue_ps > 0;
    return static_cast<double>(waited) / 2000;
  };
  CHECK(waits(false, 0, from) == 0);                        // nobody else: no wait
  CHECK(waits(true, 0, from) == Approx(0.5).margin(0.05));  // P(wait) = the flush's share
  CHECK(waits(true, 0, until) == 0);                        // over: no trace of it
  CHECK(waits(true, 1, from) == 0);                         // the flushing core's own requests
  Uncore u(p, {0, 0});
  u.flush_write_backs(1, from, until, 5000);
  CHECK(u.write_backs() == 5000);
}
