// One set-associative cache: geometry, hits and misses, LRU victims,
// associativity conflicts and the second-chance hook.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "models/host/set_assoc_cache.h"

using namespace ivsim;

namespace {
constexpr u64 kNone = SetAssocCache::kNoLine;
}

TEST_CASE("a cache's sets follow from its size, ways and 64-byte lines") {
  CHECK(SetAssocCache(32 * 1024, 8).sets() == 64);             // Skylake L1D
  CHECK(SetAssocCache(1280 * 1024, 20).sets() == 1024);        // Willow Cove L2
  CHECK(SetAssocCache(22 * 1024 * 1024, 11).sets() == 32768);  // Gold 6242 L3
  const SetAssocCache odd(3 * 4 * 64, 4);                      // three sets: indexed modulo
  CHECK(odd.sets() == 3);
  CHECK(odd.set_index(7) == 1);
  CHECK(odd.capacity_lines() == 12);
  CHECK_THROWS_AS(SetAssocCache(1000, 8), std::invalid_argument);
  CHECK_THROWS_AS(SetAssocCache(4096, 0), std::invalid_argument);
}

TEST_CASE("a line hits once inserted and misses after it is erased") {
  SetAssocCache c(4 * 64 * 64, 4);  // 64 sets, 4 ways
  CHECK_FALSE(c.contains(100));
  CHECK_FALSE(c.touch(100));
  CHECK(c.insert(100) == kNone);
  CHECK(c.contains(100));
  CHECK(c.touch(100));
  CHECK(c.erase(100));
  CHECK_FALSE(c.contains(100));
  CHECK_FALSE(c.erase(100));
}

TEST_CASE("a full set evicts its least recently used line") {
  SetAssocCache c(4 * 64 * 64, 4);
  const u64 s = c.sets();  // lines s apart share a set
  for (u64 i = 0; i < 4; ++i) CHECK(c.insert(5 + i * s) == kNone);
  CHECK(c.touch(5));                    // the oldest becomes the most recent
  CHECK(c.insert(5 + 4 * s) == 5 + s);  // so the second oldest goes
  CHECK(c.insert(5 + 5 * s) == 5 + 2 * s);
  CHECK(c.contains(5));
  // An erased way is free again: the next fill evicts nothing.
  CHECK(c.erase(5 + 3 * s));
  CHECK(c.insert(5 + 6 * s) == kNone);
}

TEST_CASE("lines conflicting in one set thrash while as many in distinct sets all stay") {
  SetAssocCache c(4 * 64 * 64, 4);
  const u64 s = c.sets();
  // Five lines in one 4-way set, touched round robin: under LRU every access misses.
  unsigned misses = 0;
  for (int round = 0; round < 3; ++round)
    for (u64 i = 0; i < 5; ++i)
      if (!c.touch(i * s)) {
        ++misses;
        c.insert(i * s);
      }
  CHECK(misses == 15);
  // Five lines in five sets: only the first round misses.
  SetAssocCache d(4 * 64 * 64, 4);
  misses = 0;
  for (int round = 0; round < 3; ++round)
    for (u64 i = 0; i < 5; ++i)
      if (!d.touch(i)) {
        ++misses;
        d.insert(i);
      }
  CHECK(misses == 5);
}

TEST_CASE("a spared victim gets a second chance and a fill always finds a victim") {
  SetAssocCache c(4 * 64, 4);               // one set
  for (u64 i = 0; i < 4; ++i) c.insert(i);  // LRU order: 0 1 2 3 (0 oldest)
  // Sparing line 0 makes it the most recent; line 1 goes instead.
  CHECK(c.insert(10, [](u64 l) { return l == 0; }) == 1);
  CHECK(c.contains(0));
  // Sparing everything still evicts: each line is offered once, then the
  // least recently used of the original order (line 2) goes.
  unsigned asked = 0;
  const u64 v = c.insert(11, [&](u64) {
    ++asked;
    return true;
  });
  CHECK(asked == 4);
  CHECK(v == 2);
  CHECK_FALSE(c.contains(2));
  for (u64 l : {0, 3, 10, 11}) CHECK(c.contains(l));
}

TEST_CASE("each line occupies one way: a fill takes a free way or its victim's") {
  SetAssocCache c(4 * 64, 4);  // one set
  CHECK(c.all_ways() == 0xf);
  c.insert(20);
  CHECK(c.way_of(20) == SetAssocCache::kNoWay);  // not tracked until asked (or a restricted fill)
  c.track_ways();
  CHECK(c.way_of(20) == 0);
  CHECK(c.way_of(7) == SetAssocCache::kNoWay);
  CHECK(c.erase(20));
  for (u64 i = 0; i < 4; ++i) c.insert(i);
  unsigned seen = 0;
  for (u64 i = 0; i < 4; ++i) seen |= 1u << c.way_of(i);
  CHECK(seen == 0xf);  // four lines, four distinct ways
  const unsigned w1 = c.way_of(1);
  c.touch(0);
  CHECK(c.insert(9) == 1);  // the LRU line goes and the new one takes its way
  CHECK(c.way_of(9) == w1);
  const unsigned w3 = c.way_of(3);
  CHECK(c.erase(3));
  CHECK(c.insert(12) == kNone);  // the erased way is free again
  CHECK(c.way_of(12) == w3);
}

TEST_CASE("a fill under a way mask never evicts a line in a way outside the mask") {
  SetAssocCache c(8 * 64 * 16, 8);  // 16 sets, 8 ways
  const u64 s = c.sets();
  const WayMask low = 0x0f, high = 0xf0;
  // A "real-time" owner fills the set's low ways, a neighbour then streams
  // 100 lines through the same set confined to the high ways.
  std::vector<u64> rt;
  for (u64 i = 0; i < 4; ++i) {
    rt.push_back(3 + i * s);
    CHECK(c.insert(
              rt.back(), [](u64) { return false; }, low) == kNone);
    CHECK(((low >> c.way_of(rt.back())) & 1) == 1);
  }
  for (u64 i = 0; i < 100; ++i) {
    const u64 line = 3 + (100 + i) * s;
    const u64 v = c.insert(
        line, [](u64) { return false; }, high);
    CHECK(((high >> c.way_of(line)) & 1) == 1);
    CHECK(std::find(rt.begin(), rt.end(), v) == rt.end());
  }
  for (u64 l : rt) CHECK(c.contains(l));
  // Hits are allowed in any way: a hit by the neighbour on an RT line is a
  // hit, and the RT line keeps its way.
  const unsigned w = c.way_of(rt[0]);
  CHECK(c.touch(rt[0]));
  CHECK(c.way_of(rt[0]) == w);
  // Within its mask the RT owner's fills are LRU: the oldest of its lines goes.
  CHECK(c.touch(rt[1]));
  CHECK(c.insert(
            3 + 500 * s, [](u64) { return false; }, low) == rt[2]);
  // The unrestricted fill sees every way: the set's LRU line overall goes,
  // the RT line untouched since the neighbour started.
  CHECK(c.insert(3 + 501 * s) == rt[3]);
}

TEST_CASE("under a way mask a free way of the mask is taken first, and the second chance stays within the mask") {
  SetAssocCache c(4 * 64, 4);  // one set, ways 0-3
  // Free ways of the mask first: nothing is evicted while the mask has one.
  CHECK(c.insert(
            1, [](u64) { return false; }, 0x3) == kNone);
  CHECK(c.insert(
            2, [](u64) { return false; }, 0x3) == kNone);
  CHECK(c.insert(
            3, [](u64) { return false; }, 0x3) == 1);  // ways 2 and 3 are free but outside the mask
  CHECK(c.insert(
            4, [](u64) { return false; }, 0xc) == kNone);
  CHECK(c.insert(
            5, [](u64) { return false; }, 0xc) == kNone);
  // Sparing everything offers only the mask's lines, each once, then its LRU goes.
  unsigned asked = 0;
  const u64 v = c.insert(
      6,
      [&](u64 l) {
        ++asked;
        CHECK((l == 4 || l == 5));
        return true;
      },
      0xc);
  CHECK(asked == 2);
  CHECK(v == 4);
  for (u64 l : {2, 3, 5, 6}) CHECK(c.contains(l));
}

TEST_CASE("a fill with second chances leaves the set as one shift per spared line would, ways included") {
  // The reference: the set as a list, most recently used first; each spared
  // candidate moves to the front, then the LRU line goes (every line spared:
  // after a full circle, the LRU line of the original order).
  struct Entry {
    u64 line;
    unsigned way;
  };
  constexpr unsigned kWays = 6;
  for (const bool tracked : {false, true}) {
    SetAssocCache c(kWays * 64, kWays);  // a single set
    if (tracked) c.track_ways();
    std::vector<Entry> ref;
    std::vector<unsigned> free_ways;
    for (unsigned w = 0; w < kWays; ++w) free_ways.push_back(w);  // the last free entry fills first
    u64 rng = 12345;
    auto next = [&] {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      return rng >> 33;
    };
    for (u64 line = 1; line <= 400; ++line) {
      // Each line offered decides by a draw; the reference sees the same draws in the same order.
      std::vector<bool> decisions;
      for (unsigned i = 0; i < kWays; ++i) decisions.push_back(next() % 3 != 0);
      std::vector<u64> offered, offered_ref;
      unsigned d = 0;
      const u64 v = c.insert(line, [&](u64 cand) {
        offered.push_back(cand);
        return static_cast<bool>(decisions[d++]);
      });
      u64 want = kNone;
      unsigned way = 0;
      if (ref.size() == kWays) {
        unsigned spared = 0;
        unsigned e = 0;
        while (spared < kWays && decisions[e]) {
          offered_ref.push_back(ref.back().line);
          ++e;
          ref.insert(ref.begin(), ref.back());
          ref.pop_back();
          ++spared;
        }
        if (spared < kWays) offered_ref.push_back(ref.back().line);
        want = ref.back().line;
        way = ref.back().way;
        ref.pop_back();
      } else {
        way = free_ways.back();
        free_ways.pop_back();
      }
      ref.insert(ref.begin(), Entry{line, way});
      REQUIRE(v == want);
      REQUIRE(offered == offered_ref);
      for (const Entry& e : ref) {
        REQUIRE(c.contains(e.line));
        if (tracked) REQUIRE(c.way_of(e.line) == e.way);
      }
      // A hit now and then reorders the set, as the fast path's misses would.
      if (line % 7 == 0) {
        const Entry e = ref[ref.size() / 2];
        REQUIRE(c.touch(e.line));
        ref.erase(std::find_if(ref.begin(), ref.end(), [&](const Entry& x) { return x.line == e.line; }));
        ref.insert(ref.begin(), e);
      }
    }
  }
}

TEST_CASE("hits, fills and erasures keep true LRU order in sets of 1 to 20 ways") {
  // Sets move their entries in steps of four, two and one: every remainder,
  // against a list kept most recently used first.
  for (const unsigned ways : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 11u, 12u, 16u, 20u}) {
    SetAssocCache c(u64{ways} * 64, ways);  // a single set
    std::vector<u64> ref;
    u64 rng = 99 + ways;
    auto next = [&] {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      return rng >> 33;
    };
    for (int step = 0; step < 3000; ++step) {
      const u64 line = 1 + next() % (ways + 3);
      const auto at = std::find(ref.begin(), ref.end(), line);
      switch (next() % 3) {
        case 0:  // an access: a hit moves the line to the front, a miss fills it
          if (at != ref.end()) {
            REQUIRE(c.touch(line));
            ref.erase(at);
            ref.insert(ref.begin(), line);
          } else {
            REQUIRE_FALSE(c.touch(line));
            const u64 want = ref.size() == ways ? ref.back() : kNone;
            if (want != kNone) ref.pop_back();
            REQUIRE(c.insert(line) == want);
            ref.insert(ref.begin(), line);
          }
          break;
        case 1:  // an invalidation
          REQUIRE(c.erase(line) == (at != ref.end()));
          if (at != ref.end()) ref.erase(at);
          break;
        default:
          REQUIRE(c.contains(line) == (at != ref.end()));
      }
    }
    // Filling with new lines evicts what is left, least recently used first.
    std::vector<u64> evicted;
    for (u64 i = 0; i < ways; ++i)
      if (const u64 v = c.insert(1000 + i); v != kNone) evicted.push_back(v);
    REQUIRE(evicted == std::vector<u64>(ref.rbegin(), ref.rend()));
  }
}
