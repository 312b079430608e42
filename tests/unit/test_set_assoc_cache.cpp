// One set-associative cache: geometry, hits and misses, LRU victims,
// associativity conflicts and the second-chance hook.
#include <catch2/catch.hpp>

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
