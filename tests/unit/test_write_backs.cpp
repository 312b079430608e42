// Where a Modified line's data goes when it leaves a core: into the LLC,
// which keeps it dirty until it evicts it, or to memory, whose controller
// serves the write as one more request (models/host/coherence_directory.h,
// "Write-backs"; the uncore's side is in test_uncore.cpp).
#include <catch2/catch.hpp>

#include "tests/support/cache_host.h"

using namespace ivsim;
using test::cluster_board;
using test::Host;
using test::kBase;

namespace {

// Each line of [base, base + lines) once, in order, by one core.
void stream(Host& h, Hpa base, u64 lines, unsigned core, bool write) {
  for (u64 i = 0; i < lines; ++i) h.access(base + i * kCacheLineBytes, core, write);
}

}  // namespace

TEST_CASE("a store stream beyond an inclusive LLC writes each line it evicts to memory once and a load stream none") {
  Host h("cfl-k700-i7");
  REQUIRE(h.dir->llc_inclusive(0));
  const u64 llc_lines = h.dir->llc(0).capacity_lines();
  stream(h, kBase, 2 * llc_lines, 0, false);
  CHECK(h.dir->memory_write_backs() == 0);  // clean lines are dropped

  Host w("cfl-k700-i7");
  const u64 extra = llc_lines / 2;
  stream(w, kBase, llc_lines + extra, 0, true);
  // The LLC keeps the last llc_lines lines (LRU over a sequential stream);
  // each older one went to memory, dirty in the LLC or Modified in the core.
  CHECK(w.dir->memory_write_backs() == extra);
  CHECK(w.dir->memory_write_backs(0) == extra);  // pCPU 0's fills evicted them
  CHECK(w.dir->memory_write_backs(1) == 0);
  // The rest are dirty too, most of them only in the LLC (the L2 holds 4 096):
  // a WBINVD writes every one of them back.
  const FlushCount n = w.dir->wbinvd(0);
  CHECK(n.lines == llc_lines);
  CHECK(n.written_back == llc_lines);
  CHECK(w.dir->memory_write_backs() == extra);  // a flush's write-backs are its own count
}

TEST_CASE("a line Modified in another core and read goes dirty into an LLC that holds it and stays counted dirty") {
  Host h("cfl-k700-i7");
  h.access(kBase, 0, true);
  h.access(kBase, 2);  // HITM: both Shared, the data in the inclusive LLC
  const LineState& l = h.dir->line(kBase);
  CHECK(l.modified_by == 0);
  CHECK(l.llc_dirty == 1);
  CHECK(h.dir->memory_write_backs() == 0);
  // Clean in both cores, dirty in the LLC: a flush writes it back.
  const FlushCount n = h.dir->flush_lines(kBase, kBase + kCacheLineBytes);
  CHECK(n.lines == 1);
  CHECK(n.written_back == 1);
  CHECK(l.llc_dirty == 0);
}

TEST_CASE("a store from another die takes a dirty LLC copy's data with the ownership: no write to memory") {
  Host h("srv-2s-xeon");
  const unsigned far = h.board.pcpus.back().id;
  REQUIRE(h.dir->llc_of(0) != h.dir->llc_of(far));
  // Modified in pCPU 0, then pushed out of its L2 into its die's LLC, dirty.
  const LineCache& l2 = h.dir->l2(0);
  const u64 stride = l2.sets() * kCacheLineBytes;
  h.access(kBase, 0, true);
  for (u64 i = 1; i <= l2.ways(); ++i) h.access(kBase + i * stride, 0);
  LineState& l = h.dir->line(kBase);
  REQUIRE(l.llc_dirty == h.dir->llc_of(0) + 1);
  h.access(kBase, far, true);
  CHECK(l.llc_dirty == 0);
  CHECK((l.llc & (1u << h.dir->llc_of(0))) == 0);  // the stale copy left the near LLC
  CHECK(l.modified_by == far + 1);
  CHECK(h.dir->memory_write_backs() == 0);
}

TEST_CASE("a non-inclusive LLC takes a Modified L2 victim dirty and a HITM read of a line it lacks goes to memory") {
  Host h("nuc11tnbi5");
  REQUIRE_FALSE(h.dir->llc_inclusive(0));
  const LineCache& l2 = h.dir->l2(0);
  const u64 stride = l2.sets() * kCacheLineBytes;  // lines this far apart share an L2 set
  h.access(kBase, 0, true);
  for (u64 i = 1; i <= l2.ways(); ++i) h.access(kBase + i * stride, 0);
  const LineState& victim = h.dir->line(kBase);
  CHECK(victim.llc == 1);
  CHECK(victim.llc_dirty == 1);
  CHECK(h.dir->memory_write_backs() == 0);
  // Modified in pCPU 0's L2 only (a fill from DRAM skips this LLC): pCPU 1's
  // read gets the owner's implicit write-back, which goes to memory.
  const Hpa b = kBase + 0x100'0000;
  h.access(b, 0, true);
  REQUIRE(h.dir->line(b).llc == 0);
  h.access(b, 1);
  CHECK(h.dir->memory_write_backs() == 1);
  CHECK(h.dir->line(b).llc_dirty == 0);
}

TEST_CASE("when the L2 is the last level its Modified victims and a HITM read's data go to memory") {
  Host h(cluster_board(false), "coffee-lake-client");
  REQUIRE(h.dir->llc_count() == 0);
  const u64 l2_lines = h.dir->l2(0).capacity_lines();
  stream(h, kBase, l2_lines + 100, 0, true);
  CHECK(h.dir->memory_write_backs() == 100);
  const Hpa last = kBase + (l2_lines + 99) * kCacheLineBytes;  // still Modified in pCPU 0
  h.access(last, 2);
  CHECK(h.dir->memory_write_backs() == 101);
}

TEST_CASE("an uncached access to a dirty line writes it to memory first") {
  Host h("cfl-k700-i7");
  h.access(kBase, 0, true);
  h.access(kBase, 2);  // dirty in the LLC only
  h.dir->uncached(h.dir->line(kBase), 4, 0, false);
  CHECK(h.dir->memory_write_backs() == 1);
  CHECK(h.dir->line(kBase).llc_dirty == 0);
  h.dir->uncached(h.dir->line(kBase), 4, 0, true);  // memory is current: nothing more to write
  CHECK(h.dir->memory_write_backs() == 1);
}

namespace {

// pCPUs 2 and 3 of the cluster board: 2 writes the line, 3 (same L2) reads it.
void mate_reads_modified(Host& h, Hpa a) {
  h.access(a, 2, true);
  h.access(a, 3);
}

// Takes line `a` out of pCPUs 2 and 3's L1Ds (lines of the same L1D set,
// in other L2 sets), then out of their L2 by pCPU 4's loads of its set.
void evict_from_cluster(Host& h, Hpa a) {
  for (unsigned core : {2u, 3u})
    for (u64 j = 1; j <= 2 * h.dir->l1d(core).ways(); ++j) h.access(a + j * kPageSize4K, core);
  const LineCache& l2 = h.dir->l2(2);
  for (u64 i = 1; i <= l2.ways(); ++i) h.access(a + i * l2.sets() * kCacheLineBytes, 4);
}

}  // namespace

TEST_CASE("a cluster-mate's read of a Modified line leaves it dirty in the shared L2 until that L2 lets it go") {
  // No LLC: nothing is written on the read; the L2's eviction writes it to memory.
  Host h(cluster_board(false), "coffee-lake-client");
  mate_reads_modified(h, kBase);
  const LineState& l = h.dir->line(kBase);
  CHECK(l.owner == 0);
  CHECK(l.modified_by == 3);  // pCPU 2's data, dirty in the cluster's L2
  CHECK(h.dir->memory_write_backs() == 0);
  CHECK(h.access(kBase, 4).ps == h.timing.l2_hit_ps);  // a third mate hits the L2
  evict_from_cluster(h, kBase);
  REQUIRE(l.in_l2 == 0);
  CHECK(h.dir->memory_write_backs() == 1);
  CHECK(l.modified_by == 0);

  // A non-inclusive LLC takes the L2's victim dirty.
  Host n(cluster_board(true), "coffee-lake-client");
  REQUIRE_FALSE(n.dir->llc_inclusive(0));
  mate_reads_modified(n, kBase);
  evict_from_cluster(n, kBase);
  CHECK(n.dir->line(kBase).llc_dirty == 1);
  CHECK(n.dir->memory_write_backs() == 0);
}

TEST_CASE("a read from another L2 snoops a line dirty in a shared L2: a transfer and the data written back") {
  Host h(cluster_board(true), "coffee-lake-client");
  mate_reads_modified(h, kBase);
  REQUIRE(h.dir->line(kBase).llc == 0);  // a fill from DRAM skips the non-inclusive LLC
  CHECK(h.access(kBase, 0).ps == h.c2c(CoreDistance::same_die));
  CHECK(h.dir->memory_write_backs() == 1);
  CHECK(h.dir->line(kBase).modified_by == 0);
  // A flush of the cluster's caches counts a line dirty in its L2 as written back.
  const Hpa b = kBase + kCacheLineBytes;
  mate_reads_modified(h, b);
  const FlushCount f = h.dir->wbinvd(4);
  CHECK(f.written_back == 1);
  CHECK(h.dir->line(b).modified_by == 0);
}
