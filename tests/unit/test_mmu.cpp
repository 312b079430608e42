// The MMU: 2-D walk reference counts and order per page-size combination
// (latency reference section 2 and section 7 rows 6-7), TLBs, paging-structure
// caches and CR3 writes. Guest tables are built by the guest bring-up's
// builder and written straight into host memory; expected references are
// derived here from the raw entries with SDM bit positions spelled as literals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "models/cpu/memory_type.h"
#include "models/cpu/mmu.h"
#include "workloads/guest_paging.h"

using namespace ivsim;

namespace {

// SDM 4-level paging bits, as literals so a wrong header constant fails.
constexpr u64 kBitP = 0x1, kBitRw = 0x2, kBitPs = 0x80, kBitG = 0x100;
constexpr u64 kBitsAddr = 0x000F'FFFF'FFFF'F000ULL;
constexpr u64 kRamFlags = kBitRw | 0x20 | 0x40;  // RW, A, D

constexpr Hpa kPoolBase = 0x10'0000'0000ULL;  // EPT page pool, 64 GiB
constexpr u64 kPoolBytes = 64 * kMiB;
constexpr Hpa kRamHpa = 0x40'0000'0000ULL;  // 256 GiB: aligned for 1 GiB EPT leaves
constexpr u64 kRamBytes = kGiB;

ept::LargePages ept_pages(u64 max_page) { return ept::LargePages{max_page >= kPageSize2M, max_page >= kPageSize1G}; }

// A guest with `ram` bytes of RAM at GPA 0, its EPT using leaves up to
// ept_page, and its own tables identity-mapping RAM with leaves up to guest_page.
struct World {
  HostMemory mem{40};
  ept::PagePool pool{mem, kPoolBase, kPoolBytes};
  std::unique_ptr<ept::EptTable> ept;
  Gpa cr3 = 0;
  Gpa tables_base = 0;

  World(u64 ept_page, u64 guest_page, u64 ram = kRamBytes) {
    ept = std::make_unique<ept::EptTable>(mem, pool, ept_pages(ept_page));
    ept->add_mr(kRamHpa, 0, ram, ept::kRwx | ept::kWB);
    GuestPageTables t(guest_page);
    t.map(0, 0, ram, kRamFlags);
    place(t, ram);
  }
  // Writes the tables at the top of RAM and points cr3 at them.
  void place(const GuestPageTables& t, u64 ram) {
    tables_base = ram - t.table_count() * kPageSize4K;
    for (std::size_t i = 0; i < t.table_count(); ++i) {
      const auto page = t.table(i, tables_base);
      mem.write(kRamHpa + tables_base + i * kPageSize4K, page.data(), kPageSize4K);
    }
    cr3 = tables_base;
  }
  u64 guest_entry(Gpa table, Gva va, unsigned level) const {
    return mem.read_u64(kRamHpa + table + ((va >> (39 - 9 * level)) & 0x1FF) * 8);
  }
  std::unique_ptr<Mmu> mmu(const MmuGeometry& g = {}, bool paging = true, bool native = false) {
    auto m = std::make_unique<Mmu>(mem, native ? nullptr : ept.get(), g);
    if (paging) m->write_cr3(cr3);
    return m;
  }
};

struct Ref {
  Hpa hpa;
  WalkDim dim;
  unsigned level;
  bool operator==(const Ref& o) const { return hpa == o.hpa && dim == o.dim && level == o.level; }
};

std::vector<Ref> refs_of(const Translation& t) {
  std::vector<Ref> out;
  for (unsigned i = 0; i < t.refs; ++i) out.push_back({t.ref[i].hpa, t.ref[i].dim, t.ref[i].level});
  return out;
}

// What the architecture does with no cached translation information: each
// guest table's address through the EPT, then the guest entry, then the
// final address through the EPT.
std::vector<Ref> expected_cold_walk(const World& w, Gva va) {
  std::vector<Ref> out;
  auto through_ept = [&](Gpa gpa) {
    const ept::WalkResult e = w.ept->walk(gpa);
    for (unsigned i = 0; i < e.refs; ++i) out.push_back({e.ref_hpa[i], WalkDim::ept, i});
  };
  Gpa table = w.cr3 & kBitsAddr;
  for (unsigned level = 0;; ++level) {
    through_ept(table);
    out.push_back({kRamHpa + table + ((va >> (39 - 9 * level)) & 0x1FF) * 8, WalkDim::guest, level});
    const u64 e = w.guest_entry(table, va, level);
    REQUIRE((e & kBitP) != 0);
    if (level == 3 || (e & kBitPs)) {
      const u64 size = u64{1} << (39 - 9 * level);
      through_ept((e & kBitsAddr & ~(size - 1)) | (va & (size - 1)));
      return out;
    }
    table = e & kBitsAddr;
  }
}

// Cold caches: every structure present but empty is the same as none at all
// for the first translation; these tests use none so that nothing filled
// earlier in the same walk can hit.
const MmuGeometry kNoCaches{};

MmuGeometry profile_like() {
  MmuGeometry g;
  g.dtlb_entries = 64;
  g.dtlb_ways = 4;
  g.stlb_entries = 1536;
  g.stlb_ways = 12;
  g.guest_psc_entries = {2, 4, 32};
  g.ept_psc_entries = 32;
  return g;
}

const char* size_name(u64 s) { return s == kPageSize4K ? "4K" : s == kPageSize2M ? "2M" : "1G"; }

}  // namespace

TEST_CASE("a cold 2-D walk makes the architectural number of references for every page-size combination") {
  struct Case {
    u64 guest, ept;
    unsigned refs;
  };
  // (guest levels) x (EPT levels + 1) + EPT levels.
  const Case cases[] = {
      {kPageSize4K, kPageSize4K, 24}, {kPageSize4K, kPageSize2M, 19}, {kPageSize2M, kPageSize2M, 15},
      {kPageSize4K, kPageSize1G, 14}, {kPageSize2M, kPageSize4K, 19}, {kPageSize1G, kPageSize4K, 14},
      {kPageSize2M, kPageSize1G, 11}, {kPageSize1G, kPageSize2M, 11}, {kPageSize1G, kPageSize1G, 8},
  };
  for (const Case& c : cases) {
    INFO("guest " << size_name(c.guest) << " / EPT " << size_name(c.ept));
    World w(c.ept, c.guest);
    auto mmu = w.mmu(kNoCaches);
    const Gva va = 0x1234'5678;
    const Translation& t = mmu->translate(va, false);
    REQUIRE(t.status == Translation::Status::ok);
    CHECK(t.source == Translation::Source::walk);
    CHECK(t.refs == c.refs);
    CHECK(t.gpa == va);
    CHECK(t.hpa == kRamHpa + va);
    CHECK(refs_of(t) == expected_cold_walk(w, va));
    // The TLB entry is as large as the smaller of the two pages.
    CHECK(u64{1} << t.page_shift == std::min(c.guest, c.ept));
  }
}

TEST_CASE("the 4K/4K walk reads EPT-guest in the SDM order: 4 EPT refs before each guest entry, 4 for the data") {
  World w(kPageSize4K, kPageSize4K);
  auto mmu = w.mmu(kNoCaches);
  const Translation& t = mmu->translate(0x0765'4321, true);
  REQUIRE(t.refs == 24);
  for (unsigned i = 0; i < 24; ++i) {
    INFO("reference " << i);
    const unsigned in_group = i % 5;
    if (i < 20 && in_group == 4) {
      CHECK(t.ref[i].dim == WalkDim::guest);
      CHECK(t.ref[i].level == i / 5);
    } else {
      CHECK(t.ref[i].dim == WalkDim::ept);
      CHECK(t.ref[i].level == (i < 20 ? in_group : i - 20));
    }
  }
  // The first reference is the EPT PML4 entry of the guest's PML4 table.
  CHECK(t.ref[0].hpa == w.ept->root() + ((w.cr3 >> 39) & 0x1FF) * 8);
}

TEST_CASE("a native walk (no EPT) and a walk without guest paging make one dimension's references") {
  SECTION("native: 4, 3 and 2 references for 4K, 2M and 1G pages") {
    for (const auto& [page, refs] : {std::pair{kPageSize4K, 4u}, {kPageSize2M, 3u}, {kPageSize1G, 2u}}) {
      World w(kPageSize4K, page);
      // Natively the tables sit at their GPA in host memory.
      GuestPageTables t(page);
      t.map(0, 0, kRamBytes, kRamFlags);
      for (std::size_t i = 0; i < t.table_count(); ++i) {
        const auto p = t.table(i, w.tables_base);
        w.mem.write(w.tables_base + i * kPageSize4K, p.data(), kPageSize4K);
      }
      auto mmu = w.mmu(kNoCaches, true, true);
      const Translation& tr = mmu->translate(0x0123'4000, false);
      REQUIRE(tr.status == Translation::Status::ok);
      CHECK(tr.refs == refs);
      CHECK(tr.hpa == 0x0123'4000);
    }
  }
  SECTION("guest paging off: the EPT alone, GVA = GPA") {
    for (const auto& [page, refs] : {std::pair{kPageSize4K, 4u}, {kPageSize2M, 3u}, {kPageSize1G, 2u}}) {
      World w(page, kPageSize4K);
      auto mmu = w.mmu(kNoCaches, false);
      const Translation& tr = mmu->translate(0x0123'4567, false);
      REQUIRE(tr.status == Translation::Status::ok);
      CHECK(tr.refs == refs);
      CHECK(tr.gpa == 0x0123'4567);
      CHECK(tr.hpa == kRamHpa + 0x0123'4567);
      CHECK(u64{1} << tr.page_shift == page);
    }
  }
}

TEST_CASE("the dTLB hits, an entry it evicted is found in the STLB, and both miss after a CR3 write") {
  World w(kPageSize2M, kPageSize4K);
  MmuGeometry g;
  g.dtlb_entries = 4;  // one set of four ways
  g.dtlb_ways = 4;
  g.stlb_entries = 16;
  g.stlb_ways = 4;
  auto mmu = w.mmu(g);
  const Gva a = 0x10'0000;
  CHECK(mmu->translate(a, false).source == Translation::Source::walk);
  const Translation& hit = mmu->translate(a + 0x123, true);
  CHECK(hit.source == Translation::Source::dtlb);
  CHECK(hit.refs == 0);
  CHECK(hit.in_dtlb);
  CHECK(hit.hpa == kRamHpa + a + 0x123);

  // Four more pages: the least recently used one (a) leaves the dTLB.
  bool saw_eviction_of_a = false;
  for (Gva p = 1; p <= 4; ++p) {
    const Translation& t = mmu->translate(a + p * kPageSize4K, false);
    CHECK(t.source == Translation::Source::walk);
    if (t.dtlb_evicted && t.evicted_va == a && t.evicted_size == kPageSize4K) saw_eviction_of_a = true;
  }
  CHECK(saw_eviction_of_a);
  const Translation& second = mmu->translate(a, false);
  CHECK(second.source == Translation::Source::stlb);
  CHECK(second.refs == 0);
  CHECK(second.hpa == kRamHpa + a);
  CHECK(mmu->counters().stlb_hits == 1);

  mmu->write_cr3(w.cr3);
  CHECK(mmu->translate(a, false).source == Translation::Source::walk);
  CHECK(mmu->translate(a + kPageSize4K, false).source == Translation::Source::walk);
}

TEST_CASE("global pages survive a CR3 write, the guest paging-structure caches do not") {
  World w(kPageSize4K, kPageSize4K, 64 * kMiB);
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 32 * kMiB, kRamFlags | kBitG);
  t.map(32 * kMiB, 32 * kMiB, 32 * kMiB, kRamFlags);
  w.place(t, 64 * kMiB);
  MmuGeometry g = profile_like();
  auto mmu = w.mmu(g);
  const Gva global_page = 0x20'0000, local_page = 0x220'0000;
  mmu->translate(global_page, false);
  mmu->translate(local_page, false);
  mmu->write_cr3(w.cr3);
  CHECK(mmu->translate(global_page, false).source == Translation::Source::dtlb);
  const Translation& after = mmu->translate(local_page, false);
  CHECK(after.source == Translation::Source::walk);
  // The guest side walks again from CR3; the EPT cache still holds the tables' EPT entries.
  CHECK(after.refs > 4);
  CHECK(refs_of(after).front().dim == WalkDim::ept);
}

TEST_CASE("paging-structure caches cut a walk to the guest PTE and the data's EPT leaf") {
  World w(kPageSize4K, kPageSize4K);
  const Gva first = 0x0800'0000, neighbour = 0x0800'1000;  // same guest page table, different page

  SECTION("guest PSCs and the EPT PSC: 2 references") {
    auto mmu = w.mmu(profile_like());
    CHECK(mmu->translate(first, false).refs < 24);  // the EPT cache already helps within the first walk
    const Translation& t = mmu->translate(neighbour, false);
    REQUIRE(t.source == Translation::Source::walk);
    REQUIRE(t.refs == 2);
    CHECK(t.ref[0].dim == WalkDim::guest);
    CHECK(t.ref[0].level == 3);  // the PTE
    CHECK(t.ref[1].dim == WalkDim::ept);
    CHECK(t.ref[1].level == 3);  // the data page's EPT PTE
    CHECK(mmu->counters().guest_psc_hits[2] == 1);
  }
  SECTION("guest PSCs alone: the PTE and a full EPT walk, 5 references") {
    MmuGeometry g = profile_like();
    g.ept_psc_entries = 0;
    auto mmu = w.mmu(g);
    CHECK(mmu->translate(first, false).refs == 24);
    CHECK(mmu->translate(neighbour, false).refs == 5);
  }
  SECTION("a PDPTE-cache hit (new 2 MiB region in the same GiB) reads the PDE and the PTE") {
    MmuGeometry g = profile_like();
    g.ept_psc_entries = 0;
    auto mmu = w.mmu(g);
    mmu->translate(first, false);
    // PDE (1) + EPT walk of the page table's GPA (4) + PTE (1) + data's EPT walk (4).
    CHECK(mmu->translate(first + kPageSize2M, false).refs == 10);
    CHECK(mmu->counters().guest_psc_hits[1] == 1);
  }
}

TEST_CASE("faults: a guest #PF stops the walk where the entry is missing, an unmapped GPA is an EPT violation") {
  World w(kPageSize4K, kPageSize4K, 64 * kMiB);
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 16 * kMiB, kRamFlags);
  t.map(16 * kMiB, 16 * kMiB, 16 * kMiB, 0x20);             // read-only
  t.map(0x8000'0000, 0x8000'0000, kPageSize4K, kRamFlags);  // a device window the EPT does not map
  w.place(t, 64 * kMiB);
  auto mmu = w.mmu(kNoCaches);

  const Translation& unmapped = mmu->translate(0xC000'0000, false);
  CHECK(unmapped.status == Translation::Status::guest_fault);
  CHECK(unmapped.fault_level == x86::Level::pdpt);  // the PML4E exists, this GiB's PDPTE does not

  const Translation& ro = mmu->translate(16 * kMiB, true);
  CHECK(ro.status == Translation::Status::guest_fault);
  CHECK(mmu->translate(16 * kMiB, false).status == Translation::Status::ok);

  const Translation& mmio = mmu->translate(0x8000'0010, false);
  CHECK(mmio.status == Translation::Status::ept_violation);
  CHECK(mmio.gpa == 0x8000'0010);
  // The guest walk completes (20) and the EPT walk of the GPA stops at its first missing entry.
  CHECK(mmio.refs == 20 + w.ept->walk(0x8000'0010).refs);
  CHECK_FALSE(mmio.in_dtlb);

  CHECK(mmu->translate(0xFFFF'0000'0000'0000ULL, false).status == Translation::Status::guest_fault);  // non-canonical
}

TEST_CASE("an access's memory type combines the EPT's with the guest PAT entry its PTE selects, unless IPAT is set") {
  World w(kPageSize4K, kPageSize4K, 64 * kMiB);
  // Three windows of the same host page range, mapped by the EPT as WB
  // without IPAT (dm-land's HC_VM_SET_MEMORY_REGIONS), WB with IPAT
  // (hv-land's ivshmem_vbar_map) and UC.
  constexpr Gpa kDm = 0x8000'0000, kHv = 0x9000'0000, kUc = 0xA000'0000;
  w.ept->add_mr(kRamHpa + 32 * kMiB, kDm, 2 * kMiB, ept::kRwx | ept::kWB);
  w.ept->add_mr(kRamHpa + 32 * kMiB, kHv, 2 * kMiB, ept::kRwx | ept::kWB | ept::kIgnorePat);
  w.ept->add_mr(kRamHpa + 32 * kMiB, kUc, 2 * kMiB, ept::kRwx | ept::kUC);
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 16 * kMiB, kRamFlags);
  constexpr u64 kPwt = 0x8, kPcd = 0x10, kPat = 0x80;  // the PTE's PAT index bits 0, 1, 2
  const u64 flags[4] = {kRamFlags, kRamFlags | kPcd | kPwt, kRamFlags | kPcd, kRamFlags | kPwt};
  for (unsigned i = 0; i < 4; ++i)
    for (Gpa base : {kDm, kHv, kUc}) t.map(base + i * kPageSize4K, base + i * kPageSize4K, kPageSize4K, flags[i]);
  // Entry 4 (PAT bit alone): WB at power-on, like entry 0.
  t.map(kDm + 4 * kPageSize4K, kDm + 4 * kPageSize4K, kPageSize4K, kRamFlags | kPat);
  w.place(t, 64 * kMiB);
  auto mmu = w.mmu(kNoCaches);
  auto uncached = [&](Gpa base, unsigned page) {
    const Translation& tr = mmu->translate(base + page * kPageSize4K, false);
    REQUIRE(tr.status == Translation::Status::ok);
    return tr.uncached;
  };
  // EPT WB, PAT entries WB, UC, UC-, WT (power-on IA32_PAT): cached, UC, UC, cached.
  CHECK_FALSE(uncached(kDm, 0));
  CHECK(uncached(kDm, 1));
  CHECK(uncached(kDm, 2));
  CHECK_FALSE(uncached(kDm, 3));
  CHECK_FALSE(uncached(kDm, 4));
  // IPAT: WB whatever the guest asks for.
  for (unsigned i = 0; i < 4; ++i) CHECK_FALSE(uncached(kHv, i));
  // EPT UC: UC whatever the guest asks for.
  for (unsigned i = 0; i < 4; ++i) CHECK(uncached(kUc, i));
}

TEST_CASE("the SDM's effective memory types: EPT type in the MTRR's place, PAT type, IPAT") {
  using M = ept::MemType;
  // (EPT type, PAT type) -> effective, rows of the SDM's table.
  CHECK(effective_memory_type(M::WB, PatType::UC_minus) == M::UC);
  CHECK(effective_memory_type(M::WC, PatType::UC_minus) == M::WC);
  CHECK(effective_memory_type(M::WP, PatType::UC_minus) == M::WC);
  CHECK(effective_memory_type(M::UC, PatType::WC) == M::WC);
  CHECK(effective_memory_type(M::UC, PatType::WB) == M::UC);
  CHECK(effective_memory_type(M::WC, PatType::WT) == M::UC);
  CHECK(effective_memory_type(M::WT, PatType::WB) == M::WT);
  CHECK(effective_memory_type(M::WB, PatType::WP) == M::WP);
  CHECK(effective_memory_type(M::WP, PatType::WB) == M::WP);
  // Power-on IA32_PAT: WB, WT, UC-, UC in entries 0-3 and again in 4-7.
  for (unsigned i : {0u, 4u}) {
    CHECK(pat_entry(kPatPowerOn, i) == PatType::WB);
    CHECK(pat_entry(kPatPowerOn, i + 1) == PatType::WT);
    CHECK(pat_entry(kPatPowerOn, i + 2) == PatType::UC_minus);
    CHECK(pat_entry(kPatPowerOn, i + 3) == PatType::UC);
  }
  CHECK(access_memory_type(ept::kRwx | ept::kUC | ept::kIgnorePat, 0) == M::UC);
  CHECK(access_memory_type(ept::kRwx | ept::kWB | ept::kIgnorePat, 3) == M::WB);
  CHECK(access_memory_type(ept::kRwx | ept::kWB, 3) == M::UC);
  CHECK_FALSE(cacheable(M::WC));
  CHECK(cacheable(M::WT));
}

TEST_CASE("INVEPT drops every cached translation") {
  World w(kPageSize4K, kPageSize4K);
  auto mmu = w.mmu(profile_like());
  const unsigned cold_refs = mmu->translate(0x1000, false).refs;
  CHECK(mmu->translate(0x1000, false).source == Translation::Source::dtlb);
  CHECK(mmu->translate(0x2000, false).refs == 2);  // PDE cache and EPT cache
  mmu->flush_all();
  const Translation& t = mmu->translate(0x1000, false);
  CHECK(t.source == Translation::Source::walk);
  CHECK(t.refs == cold_refs);  // no paging-structure cache survives either
}

// Latency reference section 7 row 7: average references per walk with
// paging-structure caches, ~1.5 native and ~4.4 nested (Park et al., ASPLOS
// 2022; simulation-derived, +-30%). Random 8-byte loads over a 256 MiB
// working set of 4 KiB pages: far beyond the STLB's 6 MiB reach, 4x the PDE
// cache's 64 MiB (docs/timing.md has the sweep from 32 MiB to 768 MiB).
TEST_CASE("average walk references with paging-structure caches: native ~1.5, nested 4K/4K ~4.4 (+-30%)") {
  auto average_refs = [](bool native) {
    World w(kPageSize4K, kPageSize4K);
    if (native) {
      GuestPageTables t(kPageSize4K);
      t.map(0, 0, kRamBytes, kRamFlags);
      for (std::size_t i = 0; i < t.table_count(); ++i) {
        const auto p = t.table(i, w.tables_base);
        w.mem.write(w.tables_base + i * kPageSize4K, p.data(), kPageSize4K);
      }
    }
    auto mmu = w.mmu(profile_like(), true, native);
    u64 x = 12345, walks = 0, refs = 0;
    for (int i = 0; i < 200000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's MMIX LCG: deterministic
      const Gva va = (x >> 20) % (256 * kMiB) & ~u64{7};
      const Translation& t = mmu->translate(va, false);
      if (t.source == Translation::Source::walk && i >= 20000) {
        ++walks;
        refs += t.refs;
      }
    }
    return static_cast<double>(refs) / static_cast<double>(walks);
  };
  const double native = average_refs(true), nested = average_refs(false);
  std::printf("average references per walk: native %.2f, nested 4K/4K %.2f\n", native, nested);
  CHECK(native == Approx(1.5).epsilon(0.3));
  CHECK(nested == Approx(4.4).epsilon(0.3));
}

TEST_CASE(
    "a trapped MMIO access walks every time, and a repeat is the same walk until a cache or an entry it read changes") {
  World w(kPageSize4K, kPageSize4K, 64 * kMiB);
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 16 * kMiB, kRamFlags);
  t.map(0x8000'0000, 0x8000'0000, kPageSize4K, kRamFlags);  // a device window the EPT does not map
  w.place(t, 64 * kMiB);
  MmuGeometry g = profile_like();
  g.guest_psc_entries = {2, 4, 1};  // one PDE-cache entry: a walk elsewhere replaces it
  auto mmu = w.mmu(g);
  const Gva bar = 0x8000'0000;

  mmu->translate(bar, true);  // fills the paging-structure caches
  const Translation steady = mmu->translate(bar + 0x10, true);
  REQUIRE(steady.status == Translation::Status::ept_violation);
  const MmuCounters before = mmu->counters();
  for (u64 off : {0x18, 0x20, 0x7F8}) {
    const Translation& again = mmu->translate(bar + off, true);
    CHECK(again.status == Translation::Status::ept_violation);
    CHECK(again.gpa == 0x8000'0000 + off);
    CHECK(refs_of(again) == refs_of(steady));
  }
  // Every repeat counts as the walk it is.
  CHECK(mmu->counters().walks == before.walks + 3);
  const auto guest_refs = static_cast<u64>(std::count_if(steady.ref.begin(), steady.ref.begin() + steady.refs,
                                                         [](const WalkRef& r) { return r.dim == WalkDim::guest; }));
  CHECK(mmu->counters().guest_refs == before.guest_refs + 3 * guest_refs);
  CHECK(mmu->counters().ept_refs == before.ept_refs + 3 * (steady.refs - guest_refs));
  CHECK(mmu->counters().faults == before.faults + 3);

  SECTION("a walk elsewhere replaces the PDE-cache entry: the next one reads the upper levels again") {
    REQUIRE(mmu->translate(0x0080'0000, false).status == Translation::Status::ok);
    const Translation& after = mmu->translate(bar, true);
    CHECK(after.status == Translation::Status::ept_violation);
    CHECK(after.refs > steady.refs);
  }
  SECTION("the guest points the page at RAM (no flush: nothing was cached): the next access is to RAM") {
    GuestPageTables moved(kPageSize4K);
    moved.map(0, 0, 16 * kMiB, kRamFlags);
    moved.map(0x8000'0000, 0x0010'0000, kPageSize4K, kRamFlags);
    w.place(moved, 64 * kMiB);
    const Translation& ram = mmu->translate(bar, true);
    CHECK(ram.status == Translation::Status::ok);
    CHECK(ram.gpa == 0x0010'0000);
  }
  SECTION("the hypervisor maps the window in the EPT: the next access goes through") {
    w.ept->add_mr(kRamHpa + 32 * kMiB, 0x8000'0000, kPageSize4K, ept::kRwx | ept::kWB);
    const Translation& mapped = mmu->translate(bar, true);
    CHECK(mapped.status == Translation::Status::ok);
    CHECK(mapped.hpa == kRamHpa + 32 * kMiB);
  }
}

TEST_CASE("the guest table builder resolves table pointers to addresses and leaves bit 9 clear") {
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 4 * kMiB, kRamFlags);
  // The PML4, a PDPT, a PD and two page tables.
  REQUIRE(t.table_count() == 5);
  constexpr Gpa kBase = 0x100000;
  for (std::size_t i = 0; i < t.table_count(); ++i) {
    const auto entries = t.table(i, kBase);
    for (u64 e : entries) CHECK((e & 0x200) == 0);
    if (i < 3) {
      // Each upper table's first entry points at the next table, by address.
      CHECK((entries[0] & kBitsAddr) == kBase + (i + 1) * kPageSize4K);
      CHECK((entries[0] & kBitPs) == 0);
    }
  }
  // The PD's second entry points at the second page table; its leaves map 2-4 MiB.
  CHECK((t.table(2, kBase)[1] & kBitsAddr) == kBase + 4 * kPageSize4K);
  CHECK((t.table(4, kBase)[0] & kBitsAddr) == 2 * kMiB);
  CHECK_THROWS_AS(t.map(8 * kMiB, 8 * kMiB, kPageSize4K, kRamFlags | 0x200), std::invalid_argument);
}
