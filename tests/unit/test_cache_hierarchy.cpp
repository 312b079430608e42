// The host cache hierarchy and its coherence, on the shipped boards and
// profiles: what an access costs by where its line is, working-set
// plateaus, transfers by topology distance, evictions and invalidations.
#include <catch2/catch.hpp>

#include <numeric>
#include <random>

#include "models/host/coherence_directory.h"
#include "platforms/board.h"
#include "platforms/config_error.h"
#include "platforms/host_caches.h"
#include "tests/support/cache_host.h"

using namespace ivsim;
using test::cluster_board;
using test::Host;
using test::kBase;

namespace {

// Walks a working set of `bytes` one line at a time in a fixed pseudo-random
// order (a pointer chase), twice to warm up, then returns the mean cost of
// a third pass and the share of accesses that cost exactly `expected`.
std::pair<double, double> chase(Host& h, u64 bytes, TimePs expected) {
  const u64 lines = bytes / kCacheLineBytes;
  std::vector<u64> order(lines);
  std::iota(order.begin(), order.end(), u64{0});
  std::mt19937_64 rng(7);
  for (u64 i = lines - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  for (int pass = 0; pass < 2; ++pass)
    for (u64 i : order) h.access(kBase + i * kCacheLineBytes, 0);
  TimePs total = 0;
  u64 exact = 0;
  for (u64 i : order) {
    const TimePs c = h.access(kBase + i * kCacheLineBytes, 0).ps;
    total += c;
    exact += c == expected;
  }
  return {static_cast<double>(total) / static_cast<double>(lines),
          static_cast<double>(exact) / static_cast<double>(lines)};
}

// Four pCPUs on two dies; 0 and 1 are SMT siblings.
Board small_board() {
  Board b;
  b.name = "small";
  b.pcpus = {{0, 0, 0, 0, "", 0}, {1, 0, 0, 1, "", 1}, {2, 0, 1, 2, "", 2}, {3, 1, 0, 4, "", 4}};
  for (unsigned p = 0; p < 4; ++p) {
    b.caches.push_back({1, 1, 32 * 1024, 8, 64, false, {p}, 0, {}});
    b.caches.push_back({2, 3, 256 * 1024, 4, 64, false, {p}, 0, {}});
  }
  b.caches.push_back({3, 3, 2 * 1024 * 1024, 16, 64, true, {0, 1, 2}, 0, {}});
  b.caches.push_back({3, 3, 2 * 1024 * 1024, 16, 64, true, {3}, 0, {}});
  return b;
}

}  // namespace

TEST_CASE("working sets that fit L1D, L2 or the LLC, or exceed it, cost their level per access") {
  for (const std::string name : {"cfl-k700-i7", "nuc11tnbi5", "srv-2s-xeon"}) {
    INFO("board " << name);
    const struct {
      const char* what;
      unsigned level;
      TimePs TimingParams::*cost;
    } plateaus[] = {{"fits L1D", 1, &TimingParams::l1_hit_ps},
                    {"fits L2", 2, &TimingParams::l2_hit_ps},
                    {"fits LLC", 3, &TimingParams::llc_hit_ps},
                    {"exceeds LLC", 4, &TimingParams::dram_ps}};
    for (const auto& p : plateaus) {
      INFO(p.what);
      Host h(name);
      // Half of L1D / L2, a third of the LLC, twice the LLC.
      const u64 bytes = p.level == 4 ? 2 * h.cache_bytes(3) : h.cache_bytes(p.level) / (p.level == 3 ? 3 : 2);
      const TimePs expected = h.timing.*p.cost;
      const auto [mean, exact] = chase(h, bytes / kCacheLineBytes * kCacheLineBytes, expected);
      CHECK(mean == Approx(static_cast<double>(expected)).epsilon(0.001));
      CHECK(exact >= 0.999);
    }
  }
}

TEST_CASE("a line cold everywhere comes from DRAM, then hits the core's L1D") {
  Host h("cfl-k700-i7");
  AccessCost c = h.access(kBase, 2);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == h.timing.dram_ps);
  CHECK(c.miss);
  c = h.access(kBase, 2);
  CHECK(c.component == Component::cache);
  CHECK(c.ps == h.timing.l1_hit_ps);
  CHECK_FALSE(c.miss);
  // Alone in this core: Exclusive, so a store hits the fast path too.
  CHECK(CoherenceDirectory::hits(h.dir->line(kBase), 2, true));
}

TEST_CASE("a line Modified or Exclusive in another core costs a transfer by topology distance") {
  Host h(small_board(), "coffee-lake-client");
  const struct {
    unsigned reader;
    CoreDistance d;
  } cases[] = {{1, CoreDistance::smt_sibling}, {2, CoreDistance::same_die}, {3, CoreDistance::cross_die}};
  Hpa a = kBase;
  for (const auto& k : cases) {
    for (const bool modified : {true, false}) {
      a += kCacheLineBytes;
      h.access(a, 0, modified);  // Modified by a store, or Exclusive by a lone read
      LineState& l = h.dir->line(a);
      CHECK(CoherenceDirectory::involves_other_core(l, k.reader, false) == modified);
      const AccessCost c = h.access(a, k.reader);
      CHECK(c.component == Component::coherence);
      CHECK(c.ps == h.c2c(k.d));
      // Both now share it clean: each one's next read hits its L1D.
      CHECK(h.access(a, 0).ps == h.timing.l1_hit_ps);
      CHECK(h.access(a, k.reader).ps == h.timing.l1_hit_ps);
      CHECK(l.owner == 0);
      CHECK(l.modified_by == 0);
    }
  }
}

TEST_CASE("srv-2s-xeon: a transfer within a socket costs c2c_same_die, across sockets c2c_cross_die") {
  Host h("srv-2s-xeon");
  CHECK(h.dir->llc_count() == 2);
  CHECK(h.dir->llc_of(15) == 0);
  CHECK(h.dir->llc_of(16) == 1);
  h.access(kBase, 0, true);
  AccessCost c = h.access(kBase, 5);
  CHECK(c.ps == 48000);
  CHECK(c.component == Component::coherence);
  h.access(kBase, 0, true);  // Modified again, the copy in pCPU 5 invalidated
  c = h.access(kBase, 16);
  CHECK(c.ps == 136000);
  CHECK(c.component == Component::coherence);
  // Clean in socket 0 only: socket 1 gets it over the link too, not from its own LLC or DRAM.
  const Hpa b = kBase + kCacheLineBytes;
  h.access(b, 1);                                   // Exclusive in pCPU 1
  CHECK(h.access(b, 2).ps == 48000);                // forwarded by its owner
  CHECK(h.access(b, 3).ps == h.timing.llc_hit_ps);  // Shared in the socket: at LLC cost
  CHECK(h.access(b, 20).ps == 136000);
}

TEST_CASE("a line clean in other cores is served by the LLC and a store invalidates every other copy") {
  Host h("cfl-k700-i7");
  h.access(kBase, 0);
  h.access(kBase, 1);
  const AccessCost c = h.access(kBase, 2);
  CHECK(c.component == Component::cache);
  CHECK(c.ps == h.timing.llc_hit_ps);
  LineState& l = h.dir->line(kBase);
  CHECK(CoherenceDirectory::involves_other_core(l, 2, true));
  CHECK_FALSE(CoherenceDirectory::hits(l, 2, true));  // Shared: a store needs ownership
  const AccessCost s = h.dir->store(l, 2, 500);
  CHECK(s.ps == h.timing.l1_hit_ps);  // its RFO hidden by the store buffer
  CHECK(l.holders == (CoreMask{1} << 2));
  CHECK(l.in_l1 == (CoreMask{1} << 2));
  CHECK(l.in_l2 == (CoreMask{1} << 2));
  CHECK(l.owner == 3);
  CHECK(l.modified_by == 3);
  CHECK(l.last_write_ps == 500);
  const u64 line = kBase >> kCacheLineShift;
  for (unsigned core : {0u, 1u}) {
    CHECK_FALSE(h.dir->l1d(core).contains(line));
    CHECK_FALSE(h.dir->l2(core).contains(line));
  }
  CHECK(CoherenceDirectory::hits(l, 2, true));
  CHECK_FALSE(CoherenceDirectory::hits(l, 0, false));
}

// A UC access is snooped by every cache, the accessing core's own included
// (SDM Vol. 3A 11.2, self-snoop): what the write-back side of a region two
// guests map with different memory types sees.
TEST_CASE("an uncached store invalidates every cached copy and an uncached read takes a Modified line from its owner") {
  Host h("cfl-k700-i7");
  const u64 line = kBase >> kCacheLineShift;
  LineState& l = h.dir->line(kBase);
  h.access(kBase, 0);
  h.access(kBase, 1);  // Shared by pCPUs 0 and 1, in the LLC
  AccessCost c = h.dir->uncached(l, 2, 0, true);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == h.timing.dram_ps);
  CHECK(l.in_l1 == 0);
  CHECK(l.in_l2 == 0);
  CHECK(l.holders == 0);
  CHECK(l.llc == 0);
  for (unsigned core : {0u, 1u}) {
    CHECK_FALSE(h.dir->l1d(core).contains(line));
    CHECK_FALSE(h.dir->l2(core).contains(line));
  }
  CHECK_FALSE(h.dir->llc(0).contains(line));
  // The write-back side's next read misses every cache.
  c = h.access(kBase, 0);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == h.timing.dram_ps);

  // Modified in pCPU 0: its implicit write-back serves the read, at a
  // transfer's cost, and its copy stays, clean.
  const Hpa b = kBase + kCacheLineBytes;
  LineState& m = h.dir->line(b);
  h.access(b, 0, true);
  CHECK(CoherenceDirectory::involves_other_core(m, 2, false));
  c = h.dir->uncached(m, 2, 0, false);
  CHECK(c.component == Component::coherence);
  CHECK(c.ps == h.dir->transfer_ps(0, 2));
  CHECK(m.owner == 0);
  CHECK(m.modified_by == 0);
  CHECK(h.access(b, 0).ps == h.timing.l1_hit_ps);
  CHECK_FALSE(CoherenceDirectory::hits(m, 0, true));  // a store needs ownership again
  // Clean now: the next uncached read comes from memory and leaves the copy.
  c = h.dir->uncached(m, 2, 0, false);
  CHECK(c.component == Component::dram);
  CHECK(h.dir->l1d(0).contains(b >> kCacheLineShift));

  // The core's own Modified copy (another mapping of the line): written back
  // by the self-snoop, the read from memory, the copy kept.
  const Hpa d = kBase + 2 * kCacheLineBytes;
  LineState& own = h.dir->line(d);
  h.access(d, 2, true);
  c = h.dir->uncached(own, 2, 0, false);
  CHECK(c.component == Component::dram);
  CHECK(own.modified_by == 0);
  CHECK(h.dir->l1d(2).contains(d >> kCacheLineShift));
}

// CLFLUSHOPT "invalidates from every level of the cache hierarchy in the
// cache coherence domain the cache line ... written back" if Modified (SDM
// Vol. 2A): what ACRN's WBINVD emulation does to each line of a VM's memory.
TEST_CASE("a flush of a range takes every cached line in it out of every cache and counts the Modified ones") {
  Host h("cfl-k700-i7");
  const Hpa a = kBase, b = kBase + kCacheLineBytes, outside = kBase + 2 * kCacheLineBytes;
  h.access(a, 0);
  h.access(a, 1);        // clean in two cores and the LLC
  h.access(b, 2, true);  // Modified in pCPU 2
  h.access(outside, 0);
  const FlushCount n = h.dir->flush_lines(kBase, outside);
  CHECK(n.lines == 2);
  CHECK(n.written_back == 1);
  for (Hpa x : {a, b}) {
    const LineState& l = h.dir->line(x);
    CHECK(l.in_l2 == 0);
    CHECK(l.in_l1 == 0);
    CHECK(l.holders == 0);
    CHECK(l.llc == 0);
    CHECK(l.owner == 0);
    CHECK(l.modified_by == 0);
    CHECK_FALSE(h.dir->llc(0).contains(x >> kCacheLineShift));
  }
  CHECK(h.access(a, 1).ps == h.timing.dram_ps);
  CHECK(h.access(outside, 0).ps == h.timing.l1_hit_ps);
  // Lines never touched have no state and cost nothing to visit.
  CHECK(h.dir->flush_lines(kBase + (u64{1} << 30), kBase + (u64{2} << 30)).lines == 0);
}

// WBINVD (SDM Vol. 3A 11.5.5) writes back and invalidates the executing
// core's L1D, L2 and L3; what other cores keep depends on inclusion.
TEST_CASE("WBINVD empties the core's caches and an inclusive LLC whose invalidation takes other cores' copies") {
  Host h("cfl-k700-i7");
  REQUIRE(h.dir->llc_inclusive(0));
  const Hpa x = kBase, y = kBase + kCacheLineBytes, z = kBase + 2 * kCacheLineBytes;
  h.access(x, 0);
  h.access(y, 0, true);  // Modified in pCPU 0
  h.access(z, 1);        // only pCPU 1's, and the LLC's
  const FlushCount n = h.dir->wbinvd(0);
  CHECK(n.lines == 3);
  CHECK(n.written_back == 1);
  for (Hpa a : {x, y, z}) {
    const u64 line = a >> kCacheLineShift;
    CHECK_FALSE(h.dir->l1d(0).contains(line));
    CHECK_FALSE(h.dir->l2(0).contains(line));
    CHECK_FALSE(h.dir->llc(0).contains(line));
  }
  CHECK_FALSE(h.dir->l2(1).contains(z >> kCacheLineShift));  // back-invalidated
  CHECK(h.dir->wbinvd(0).lines == 0);
  CHECK(h.access(z, 1).ps == h.timing.dram_ps);
}

TEST_CASE("WBINVD leaves other cores' private copies when the LLC is not inclusive") {
  Host h("nuc11tnbi5");
  REQUIRE_FALSE(h.dir->llc_inclusive(0));
  const LineCache& l2 = h.dir->l2(1);
  const u64 stride = l2.sets() * kCacheLineBytes;
  const Hpa z = kBase + kCacheLineBytes, in_llc = kBase + 0x100'0000;  // different L2 sets
  h.access(z, 1);                                                      // in pCPU 1's L2 only
  // A line pushed out of pCPU 1's L2 into the LLC.
  h.access(in_llc, 1);
  for (u64 i = 1; i <= l2.ways(); ++i) h.access(in_llc + i * stride, 1);
  REQUIRE(h.dir->line(in_llc).llc == 1);
  const FlushCount n = h.dir->wbinvd(0);
  CHECK(n.lines >= 1);
  CHECK(h.dir->l2(1).contains(z >> kCacheLineShift));
  CHECK(h.access(z, 1).ps == h.timing.l1_hit_ps);
  CHECK(h.dir->line(in_llc).llc == 0);
  CHECK(h.access(in_llc, 1).ps == h.timing.dram_ps);
}

// A bus lock holds every other core's request beyond its L2 until it ends
// (SDM Vol. 3A 9.1.2; the kernel's buslock.rst): what a split-locking
// neighbour does to everyone else's misses.
TEST_CASE("another core's bus lock holds a request that leaves the L2 until the lock ends, not its own cache hits") {
  Host h("cfl-k700-i7");
  const TimePs hold = 500'000;
  const Hpa in_llc = kBase, in_l1 = kBase + kCacheLineBytes, in_dram = kBase + 2 * kCacheLineBytes;
  h.access(in_llc, 0);
  h.access(in_llc, 1);
  h.dir->store(h.dir->line(in_llc), 1, 0);  // Modified in pCPU 1 only
  h.access(in_l1, 2);
  REQUIRE(h.dir->bus_lock(0, 1'000'000, hold) == 0);
  // pCPU 2, 100 ns into the lock: the transfer from pCPU 1 waits 400 ns.
  AccessCost c = h.dir->load(h.dir->line(in_llc), 2, 1'100'000);
  CHECK(c.component == Component::coherence);
  CHECK(c.queue_ps == 400'000);
  CHECK(c.ps == h.dir->transfer_ps(1, 2) + 400'000);
  // A DRAM fill waits the same way; an L1D hit does not wait at all.
  c = h.dir->load(h.dir->line(in_dram), 2, 1'200'000);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == h.timing.dram_ps + 300'000);
  CHECK(h.dir->load(h.dir->line(in_l1), 2, 1'200'000).ps == h.timing.l1_hit_ps);
  // An uncached access is a memory request too.
  c = h.dir->uncached(h.dir->line(kBase + 3 * kCacheLineBytes), 2, 1'400'000, true);
  CHECK(c.ps == h.timing.dram_ps + 100'000);
  CHECK(c.queue_ps == 100'000);
  // The locker's own requests go on.
  c = h.dir->load(h.dir->line(kBase + 4 * kCacheLineBytes), 0, 1'100'000);
  CHECK(c.ps == h.timing.dram_ps);
  CHECK(c.queue_ps == 0);
  // Before the lock and once it has ended, nothing waits.
  CHECK(h.dir->load(h.dir->line(kBase + 5 * kCacheLineBytes), 2, 999'999).queue_ps == 0);
  CHECK(h.dir->load(h.dir->line(kBase + 6 * kCacheLineBytes), 2, 1'500'000).queue_ps == 0);
  // Another core's lock asked for while this one is held starts when it ends.
  CHECK(h.dir->bus_lock(3, 1'300'000, hold) == 200'000);
  c = h.dir->load(h.dir->line(kBase + 7 * kCacheLineBytes), 0, 1'600'000);
  CHECK(c.queue_ps == 400'000);  // now pCPU 0 waits for pCPU 3's, until 2 000 ns
  // A core ahead in its quantum locks again later: a request at an earlier
  // time, seen after that, is still held by the earlier lock.
  REQUIRE(h.dir->bus_lock(3, 5'000'000, hold) == 0);
  CHECK(h.dir->load(h.dir->line(kBase + 8 * kCacheLineBytes), 2, 1'900'000).queue_ps == 100'000);
}

TEST_CASE("a store missing every cache pays its write-allocate fill unless it writes the whole line") {
  Host h("cfl-k700-i7");
  AccessCost c = h.dir->store(h.dir->line(kBase), 0, 0);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == h.timing.dram_ps);
  c = h.dir->store(h.dir->line(kBase + kCacheLineBytes), 0, 0, true);
  CHECK(c.component == Component::cache);
  CHECK(c.ps == h.timing.l1_hit_ps);
  CHECK(h.dir->line(kBase + kCacheLineBytes).modified_by == 1);
}

TEST_CASE("an L1D eviction takes the line off the fast path, and a revoked line accessed again stays") {
  Host h("cfl-k700-i7");
  const LineCache& l1 = h.dir->l1d(0);
  const u64 stride = l1.sets() * kCacheLineBytes;  // lines this far apart share an L1D set
  const auto line = [&](u64 i) -> LineState& { return h.dir->line(kBase + i * stride); };
  h.access(kBase, 0);
  REQUIRE(CoherenceDirectory::hits(line(0), 0, false));
  // Eight more lines into the 8-way set. The ninth fill finds every line on
  // the fast path (each may have been hit there): it takes them all off it
  // and evicts the least recently used, the first.
  for (u64 i = 1; i <= l1.ways(); ++i) h.access(kBase + i * stride, 0);
  CHECK(line(0).in_l1 == 0);
  CHECK(line(0).holders == 0);
  CHECK(line(0).in_l2 == 1);
  CHECK_FALSE(l1.contains(kBase >> kCacheLineShift));
  CHECK(line(1).in_l1 == 1);
  CHECK_FALSE(CoherenceDirectory::hits(line(1), 0, false));  // resident, but off the fast path
  // Its next access is an L1D hit through the directory, which puts it back
  // on the fast path and at the head of the LRU order.
  CHECK(h.access(kBase + stride, 0).ps == h.timing.l1_hit_ps);
  CHECK(CoherenceDirectory::hits(line(1), 0, false));
  // So the next fill evicts the oldest line not accessed since: the second.
  h.access(kBase + (l1.ways() + 1) * stride, 0);
  CHECK(line(1).in_l1 == 1);
  CHECK(line(2).in_l1 == 0);
  CHECK(h.access(kBase, 0).ps == h.timing.l2_hit_ps);  // the first is still in the L2
}

TEST_CASE("an inclusive LLC's eviction invalidates the line in the cores holding it") {
  Host h("cfl-k700-i7");
  REQUIRE(h.dir->llc_inclusive(0));
  const LineCache& llc = h.dir->llc(0);
  const u64 stride = llc.sets() * kCacheLineBytes;  // lines this far apart share an LLC set
  h.access(kBase, 0);
  LineState& l = h.dir->line(kBase);
  REQUIRE(CoherenceDirectory::hits(l, 0, false));
  // Core 0 keeps hitting it in its L1D, which the LLC never sees; core 1
  // fills the LLC set with other lines.
  for (u64 i = 1; i <= llc.ways(); ++i) {
    CHECK(h.access(kBase, 0).ps == h.timing.l1_hit_ps);
    h.access(kBase + i * stride, 1);
  }
  CHECK_FALSE(llc.contains(kBase >> kCacheLineShift));
  CHECK(l.holders == 0);
  CHECK(l.in_l1 == 0);
  CHECK(l.in_l2 == 0);
  CHECK_FALSE(h.dir->l1d(0).contains(kBase >> kCacheLineShift));
  CHECK_FALSE(h.dir->l2(0).contains(kBase >> kCacheLineShift));
  CHECK(h.access(kBase, 0).ps == h.timing.dram_ps);
}

TEST_CASE("a non-inclusive LLC is filled with the L2's victims") {
  Host h("nuc11tnbi5");
  REQUIRE_FALSE(h.dir->llc_inclusive(0));
  const LineCache& l2 = h.dir->l2(0);
  const u64 stride = l2.sets() * kCacheLineBytes;  // lines this far apart share an L2 set
  h.access(kBase, 0);
  LineState& l = h.dir->line(kBase);
  CHECK(l.llc == 0);  // a fill from DRAM skips the LLC
  for (u64 i = 1; i <= l2.ways(); ++i) h.access(kBase + i * stride, 0);
  CHECK_FALSE(l2.contains(kBase >> kCacheLineShift));
  CHECK(l.llc == 1);
  CHECK(h.access(kBase, 0).ps == h.timing.llc_hit_ps);
  // Shared by cores of the same LLC but not in the LLC: forwarded at LLC cost.
  const Hpa b = kBase + 0x100'0000;
  h.access(b, 1);
  CHECK(h.access(b, 3).ps == h.c2c(CoreDistance::same_die));  // Exclusive in pCPU 1
  CHECK(h.dir->line(b).llc == 0);
  CHECK(h.access(b, 2).ps == h.timing.llc_hit_ps);
}

TEST_CASE("the board's caches become the directory's: sizes, ways, sharing and inclusion") {
  const CacheTopology t = cache_topology(load_board("cfl-k700-i7", {}));
  REQUIRE(t.l1d.size() == 8);
  CHECK(t.l1d[7].size_bytes == 32 * 1024);
  CHECK(t.l1d[7].ways == 8);
  REQUIRE(t.l2.size() == 8);
  CHECK(t.l2[0].geometry.size_bytes == 256 * 1024);
  CHECK(t.l2[0].cores == std::vector<unsigned>{0});
  CHECK(t.l2[0].geometry.ways == 4);
  REQUIRE(t.llc.size() == 1);
  CHECK(t.llc[0].geometry.size_bytes == 12 * 1024 * 1024);
  CHECK(t.llc[0].inclusive);
  CHECK(t.llc[0].cores.size() == 8);
  CHECK(t.distance[2][7] == CoreDistance::same_die);
  const CacheTopology s = cache_topology(load_board("srv-2s-xeon", {}));
  CHECK(s.l1d.size() == 32);
  CHECK(s.llc.size() == 2);
  CHECK_FALSE(s.llc[1].inclusive);
  CHECK(s.distance[3][19] == CoreDistance::cross_die);

  Board b = small_board();
  b.caches.pop_back();  // pCPU 3 loses its LLC
  CHECK_THROWS_AS(cache_topology(b), ConfigError);
}

TEST_CASE("cores sharing an L2 hit each other's lines there and get Modified ones by a same-L2 transfer") {
  Host h(cluster_board(true), "coffee-lake-client");
  const CacheTopology t = cache_topology(h.board);
  REQUIRE(t.l2.size() == 3);
  CHECK(t.l2[2].cores == std::vector<unsigned>{2, 3, 4, 5});
  CHECK(t.distance[2][3] == CoreDistance::same_l2);
  CHECK(t.distance[1][2] == CoreDistance::same_die);
  CHECK(h.dir->l2_of(2) == h.dir->l2_of(5));
  CHECK(h.dir->l2(2).capacity_lines() * 64 == 2 * 1024 * 1024);  // one 2 MiB L2, not a copy per core

  const Hpa a = kBase;
  CHECK(h.access(a, 2).component == Component::dram);
  // Exclusive in pCPU 2's L1D: a cluster-mate gets it from that core.
  CHECK(h.access(a, 3).ps == h.c2c(CoreDistance::same_l2));
  CHECK(h.dir->line(a).in_l2 == 0b111100);
  // Now Shared in the cluster's L2: a third mate hits the L2.
  CHECK(h.access(a, 4).ps == h.timing.l2_hit_ps);
  // A store by pCPU 5 takes the mates' L1D copies, the L2 keeps the line.
  h.access(a, 5, true);
  CHECK(h.dir->line(a).in_l1 == 0b100000);
  CHECK(h.dir->line(a).in_l2 == 0b111100);
  CHECK(h.access(a, 2).ps == h.c2c(CoreDistance::same_l2));  // Modified in pCPU 5's L1D
  // A core outside the cluster: across the die, from the cluster.
  h.access(a, 2, true);
  CHECK(h.access(a, 0).ps == h.c2c(CoreDistance::same_die));
  // And a store from outside invalidates the whole cluster's copies.
  h.access(a, 0, true);
  CHECK(h.dir->line(a).in_l2 == 0b000001);
}

TEST_CASE("a board whose L2 is the last level has no LLC: misses go to the other L2s, then DRAM") {
  Host h(cluster_board(false), "coffee-lake-client");
  const CacheTopology t = cache_topology(h.board);
  CHECK(t.llc.empty());
  CHECK(h.dir->llc_count() == 0);
  CHECK_FALSE(h.dir->has_llc(0));
  const Hpa a = kBase + 4096;
  CHECK(h.access(a, 2).ps == h.timing.dram_ps);
  CHECK(h.access(a, 3).ps == h.c2c(CoreDistance::same_l2));
  CHECK(h.access(a, 0).ps == h.c2c(CoreDistance::same_die));  // clean in the cluster's L2, the nearest copy
  // A working set beyond the cluster's 2 MiB L2 costs DRAM.
  const auto [mean, exact] = chase(h, 4 * 1024 * 1024, h.timing.dram_ps);
  CHECK(mean == Approx(static_cast<double>(h.timing.dram_ps)).epsilon(0.05));
  // An L2 shared by pCPUs behind different LLCs is refused.
  Board bad = cluster_board(true);
  bad.caches.back().pcpus = {0, 1, 2, 3};
  bad.caches.push_back({3, 3, 8 * 1024 * 1024, 16, 64, false, {4, 5}, 0, {}});
  CHECK_THROWS_AS(cache_topology(bad), ConfigError);
}

TEST_CASE("QEMU's fake topology, an L2 and an L3 per vCPU, gives one LLC instance per pCPU") {
  Board b;
  b.name = "qemu-like";
  for (unsigned p = 0; p < 12; ++p) {
    b.pcpus.push_back({p, 0, p, p, "", p});
    b.caches.push_back({1, 1, 32 * 1024, 8, 64, false, {p}, 0, {}});
    b.caches.push_back({2, 3, 4 * 1024 * 1024, 16, 64, false, {p}, 0, {}});
    b.caches.push_back({3, 3, 16 * 1024 * 1024, 16, 64, false, {p}, 0, {}});
  }
  Host h(b, "coffee-lake-client");
  CHECK(h.dir->llc_count() == 12);  // more than the 8 LLCs the directory used to track
  const Hpa a = kBase;
  h.access(a, 11);
  CHECK(h.access(a, 10).ps == h.c2c(CoreDistance::same_die));  // Exclusive in pCPU 11
  h.access(a, 9);
  h.access(a, 9, true);
  CHECK(h.dir->line(a).llc == 0);  // the other vCPUs' LLCs dropped it (non-inclusive: never filled)
}

TEST_CASE("each pCPU pays its own core type's hits and each pair its own transfer") {
  const Board b = cluster_board(true);
  const CacheTopology t = cache_topology(b);
  TimingParams p = resolve_timing(load_timing_profile("coffee-lake-client", {}));
  TimingParams e = p;
  e.l1_hit_ps = 1500;
  e.l2_hit_ps = 9000;
  HostTiming ht = HostTiming::uniform(p, t.distance);
  for (unsigned k = 2; k < 6; ++k) ht.by_pcpu[k] = e;
  ht.c2c_ps[0 * 6 + 2] = ht.c2c_ps[2 * 6 + 0] = 44000;
  CoherenceDirectory dir(ht, t);
  CHECK(dir.l1_hit_ps(0) == p.l1_hit_ps);
  CHECK(dir.l1_hit_ps(3) == 1500);
  CHECK(dir.transfer_ps(0, 2) == 44000);
  CHECK(dir.transfer_ps(0, 1) == p.c2c_ps[static_cast<unsigned>(CoreDistance::same_die)]);
  LineState& l = dir.line(kBase);
  dir.load(l, 0);
  CHECK(dir.load(l, 2).ps == 44000);
  CHECK(dir.load(l, 2).ps == 1500);
  dir.load(l, 3);
  CHECK(dir.load(l, 4).ps == 9000);  // Shared in the cluster's L2: at the E-core's L2 cost
  ht.by_pcpu.pop_back();
  CHECK_THROWS_AS(CoherenceDirectory(ht, t), std::invalid_argument);
}

TEST_CASE("cache allocation: an inclusive LLC partitioned by way masks keeps a core's lines from another's fills") {
  Host h("cfl-k700-i7");
  const LineCache& llc = h.dir->llc(0);
  const u64 stride = llc.sets() * kCacheLineBytes;  // lines this far apart share an LLC set
  // Core 0 fills ways 0-3, core 1 ways 4-11 (the shape of CLOS masks 0x00f and 0xff0).
  h.dir->set_fill_ways(0, h.dir->l2(0).all_ways(), 0x00f);
  h.dir->set_fill_ways(1, h.dir->l2(1).all_ways(), 0xff0);
  CHECK(h.dir->llc_fill_ways(0) == 0x00f);
  h.access(kBase, 0);
  const u64 line = kBase >> kCacheLineShift;
  REQUIRE(llc.contains(line));
  CHECK(llc.way_of(line) < 4);
  // Core 1 streams four times the set's ways through the same set: without
  // the partition the line would go (the inclusion victim test above).
  for (u64 i = 1; i <= 4 * llc.ways(); ++i) {
    h.access(kBase + i * stride, 1);
    CHECK(llc.way_of((kBase + i * stride) >> kCacheLineShift) >= 4);
  }
  CHECK(llc.contains(line));
  CHECK(h.access(kBase, 0).ps == h.timing.l1_hit_ps);
  // Back to every way: core 1's next fills may take core 0's ways again.
  h.dir->set_fill_ways(1, h.dir->l2(1).all_ways(), llc.all_ways());
  for (u64 i = 1; i <= 4 * llc.ways(); ++i) h.access(kBase + (100 + i) * stride, 1);
  CHECK_FALSE(llc.contains(line));
  // A mask beyond the cache's ways, or an empty one, is refused.
  CHECK_THROWS_AS(h.dir->set_fill_ways(0, h.dir->l2(0).all_ways(), 0x1000), std::invalid_argument);
  CHECK_THROWS_AS(h.dir->set_fill_ways(0, 0, llc.all_ways()), std::invalid_argument);
}

TEST_CASE("cache allocation: a non-inclusive LLC takes an L2 victim into the evicting core's ways") {
  Host h("nuc11tnbi5");
  const LineCache& l2 = h.dir->l2(0);
  const LineCache& llc = h.dir->llc(0);
  h.dir->set_fill_ways(0, l2.all_ways(), 0x03);  // LLC ways 0-1 of 8
  const u64 stride = l2.sets() * kCacheLineBytes;
  for (u64 i = 0; i <= 3 * l2.ways(); ++i) h.access(kBase + i * stride, 0);
  unsigned victims = 0;
  for (u64 i = 0; i <= 3 * l2.ways(); ++i) {
    const unsigned w = llc.way_of((kBase + i * stride) >> kCacheLineShift);
    if (w == LineCache::kNoWay) continue;
    ++victims;
    CHECK(w < 2);
  }
  CHECK(victims > 0);
}

TEST_CASE("the store fast path's one-word test agrees with hits() and a line nobody sleeps on") {
  for (unsigned core : {0u, 3u, 62u}) {
    const CoreMask me = CoreMask{1} << core;
    const u8 tag = static_cast<u8>(core + 1);
    const u16 word = CoherenceDirectory::unwatched_owner(tag);
    for (CoreMask holders : {CoreMask{0}, me, me | 1, CoreMask{1} << ((core + 1) % 64)})
      for (u8 owner : {u8{0}, tag, static_cast<u8>(tag + 1)})
        for (u8 watched : {u8{0}, u8{1}, u8{2}})
          for (u8 modified_by : {u8{0}, tag}) {
            LineState l;
            l.holders = holders;
            l.owner = owner;
            l.watched = watched;
            l.modified_by = modified_by;
            CHECK(CoherenceDirectory::store_hits_unwatched(l, me, word) ==
                  (CoherenceDirectory::hits(l, me, tag, true) && watched == 0));
          }
  }
}
