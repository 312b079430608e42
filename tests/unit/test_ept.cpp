// EPT editor and walker: entries are read back from host memory and compared
// with the x86 bit patterns written out here independently of ept_entry.h.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "models/ept/ept_table.h"

using namespace ivsim;
using namespace ivsim::ept;

namespace {

// Intel SDM EPT entry bits, spelled as literals so a wrong header constant fails.
constexpr u64 kBitsRwx = 0x7;
constexpr u64 kBitsWrite = 0x2;
constexpr u64 kBitsReadExec = 0x5;
constexpr u64 kBitsWb = 0x30;  // memory type 6 in bits 5:3
constexpr u64 kBitsIpat = 0x40;
constexpr u64 kBitsPs = 0x80;
constexpr u64 kBitsLowMask = 0xFFF;
constexpr u64 kBitsAddr = 0x000F'FFFF'FFFF'F000ULL;
constexpr u64 kSdmEntryBytes = 8;

constexpr u64 kRamProt = kBitsRwx | kBitsWb | kBitsIpat;  // what ACRN gives guest RAM

constexpr unsigned kHostAddrBits = 39;
constexpr Hpa kPoolBase = 0x10'0000'0000ULL;  // 64 GiB, clear of the mapped HPAs
constexpr u64 kPoolPages = 1024;              // room for 1 GiB of 4 KiB leaves

// Every table in these tests must come from the pool.
bool in_pool(Hpa table) { return table >= kPoolBase && table < kPoolBase + kPoolPages * kPageSize4K; }

struct Fixture {
  explicit Fixture(LargePages large = {}) : pool(mem, kPoolBase, kPoolPages * kPageSize4K), ept(mem, pool, large) {}

  u64 entry(Hpa table, Gpa gpa, Level l) const { return mem.read_u64(table + level_index(gpa, l) * kSdmEntryBytes); }
  // The next table below a non-leaf entry, after checking the entry is exactly table | RWX.
  Hpa child(Hpa table, Gpa gpa, Level l) const {
    const u64 e = entry(table, gpa, l);
    REQUIRE((e & kBitsLowMask) == kBitsRwx);
    REQUIRE((e & ~kBitsAddr) == kBitsRwx);
    const Hpa next = e & kBitsAddr;
    REQUIRE(in_pool(next));
    return next;
  }
  Hpa pdpt(Gpa gpa) const { return child(ept.root(), gpa, Level::pml4); }
  Hpa pd(Gpa gpa) const { return child(pdpt(gpa), gpa, Level::pdpt); }
  Hpa pt(Gpa gpa) const { return child(pd(gpa), gpa, Level::pd); }

  HostMemory mem{kHostAddrBits};
  PagePool pool;
  EptTable ept;
};

}  // namespace

TEST_CASE("ept_add_mr maps an aligned 2 MiB range with one large leaf") {
  Fixture f;
  const Gpa gpa = 0x20'0000;
  const Hpa hpa = 0x4020'0000;
  const EditResult r = f.ept.add_mr(hpa, gpa, kPageSize2M, kRamProt);

  CHECK(r.pages_2m_mapped == 1);
  CHECK(r.pages_4k_mapped == 0);
  CHECK(r.pages_1g_mapped == 0);
  CHECK(r.already_present() == 0);
  CHECK(f.pool.pages_in_use() == 3);  // PML4, PDPT, PD

  CHECK(f.entry(f.pd(gpa), gpa, Level::pd) == (0x4020'0000 | kBitsRwx | kBitsWb | kBitsIpat | kBitsPs));
  CHECK(f.entry(f.pd(gpa), gpa - kPageSize2M, Level::pd) == 0);
  CHECK(f.entry(f.pd(gpa), gpa + kPageSize2M, Level::pd) == 0);

  const WalkResult w = f.ept.walk(gpa + 0x1'2345);
  REQUIRE(w.present);
  CHECK(w.refs == 3);
  CHECK(w.page_shift == 21);
  CHECK(w.hpa == hpa + 0x1'2345);
  CHECK(w.leaf == (hpa | kRamProt | kBitsPs));
  CHECK(w.ref_hpa[0] == f.ept.root());
  CHECK(w.ref_hpa[1] == f.pdpt(gpa));
  CHECK(w.ref_hpa[2] == f.pd(gpa) + 1 * kSdmEntryBytes);
}

TEST_CASE("ept_add_mr maps an aligned 1 GiB range with one PDPT leaf") {
  Fixture f;
  const Gpa gpa = kGiB;
  const Hpa hpa = 2 * kGiB;
  const EditResult r = f.ept.add_mr(hpa, gpa, kGiB, kRamProt);

  CHECK(r.pages_1g_mapped == 1);
  CHECK(r.pages_2m_mapped == 0);
  CHECK(r.pages_4k_mapped == 0);
  CHECK(f.pool.pages_in_use() == 2);  // PML4, PDPT
  CHECK(f.entry(f.pdpt(gpa), gpa, Level::pdpt) == (0x8000'0000 | kBitsRwx | kBitsWb | kBitsIpat | kBitsPs));

  const WalkResult w = f.ept.walk(gpa + 0x1234'5678);
  REQUIRE(w.present);
  CHECK(w.refs == 2);
  CHECK(w.page_shift == 30);
  CHECK(w.hpa == hpa + 0x1234'5678);
  CHECK(w.ref_hpa[0] == f.ept.root());
  CHECK(w.ref_hpa[1] == f.pdpt(gpa) + 1 * kSdmEntryBytes);
}

TEST_CASE("a walk of a 4 KiB mapping reads four entries") {
  Fixture f;
  const Gpa gpa = 0x80'0000'0000ULL + 0x4020'5000;  // PML4 index 1, PDPT 1, PD 1, PT 5
  const Hpa hpa = 0x1234'5000;
  const EditResult r = f.ept.add_mr(hpa, gpa, kPageSize4K, kRamProt);
  CHECK(r.pages_4k_mapped == 1);
  CHECK(f.pool.pages_in_use() == 4);

  const Hpa pdpt = f.pdpt(gpa);
  const Hpa pd = f.pd(gpa);
  const Hpa pt = f.pt(gpa);
  CHECK(f.entry(pt, gpa, Level::pt) == (0x1234'5000 | kBitsRwx | kBitsWb | kBitsIpat));

  const WalkResult w = f.ept.walk(gpa + 0xABC);
  REQUIRE(w.present);
  CHECK(w.refs == 4);
  CHECK(w.page_shift == 12);
  CHECK(w.hpa == 0x1234'5ABC);
  CHECK(w.leaf == (hpa | kRamProt));
  CHECK(w.ref_hpa[0] == f.ept.root() + 1 * kSdmEntryBytes);
  CHECK(w.ref_hpa[1] == pdpt + 1 * kSdmEntryBytes);
  CHECK(w.ref_hpa[2] == pd + 1 * kSdmEntryBytes);
  CHECK(w.ref_hpa[3] == pt + 5 * kSdmEntryBytes);
}

TEST_CASE("ept_add_mr uses 4 KiB leaves at the unaligned ends and a 2 MiB leaf in the middle") {
  Fixture f;
  const Gpa gpa = kPageSize2M - kPageSize4K;
  const u64 size = kPageSize4K + kPageSize2M + kPageSize4K;
  const Hpa hpa = 0x4000'0000 + gpa;
  const EditResult r = f.ept.add_mr(hpa, gpa, size, kRamProt);

  CHECK(r.pages_4k_mapped == 2);
  CHECK(r.pages_2m_mapped == 1);
  CHECK(f.pool.pages_in_use() == 5);  // PML4, PDPT, PD, two PTs

  const auto maps = f.ept.mappings(gpa, size);
  REQUIRE(maps.size() == 3);
  CHECK(maps[0].gpa == gpa);
  CHECK(maps[0].hpa == hpa);
  CHECK(maps[0].size == kPageSize4K);
  CHECK(maps[1].gpa == kPageSize2M);
  CHECK(maps[1].hpa == 0x4020'0000);
  CHECK(maps[1].size == kPageSize2M);
  CHECK(maps[1].entry == (0x4020'0000 | kRamProt | kBitsPs));
  CHECK(maps[2].gpa == 2 * kPageSize2M);
  CHECK(maps[2].hpa == 0x4040'0000);
  CHECK(maps[2].size == kPageSize4K);
  CHECK(maps[2].entry == (0x4040'0000 | kRamProt));
}

TEST_CASE("ept_add_mr uses 4 KiB leaves when the hpa is not 2 MiB aligned") {
  Fixture f;
  const EditResult r = f.ept.add_mr(0x4000'1000, kPageSize2M, kPageSize2M, kRamProt);
  CHECK(r.pages_2m_mapped == 0);
  CHECK(r.pages_4k_mapped == 512);
  const Hpa pt = f.pt(kPageSize2M);
  CHECK(f.entry(pt, kPageSize2M, Level::pt) == (0x4000'1000 | kRamProt));
  CHECK(f.entry(pt, kPageSize2M + 511 * kPageSize4K, Level::pt) == ((0x4000'1000 + 511 * kPageSize4K) | kRamProt));
}

TEST_CASE("ept_add_mr reuses the tables an earlier mapping created") {
  Fixture f;
  f.ept.add_mr(0x5000'0000, 0x30'0000, kPageSize4K, kRamProt);
  const u64 tables = f.pool.pages_in_use();
  const EditResult r = f.ept.add_mr(0x6000'0000, 0x30'1000, kPageSize4K, kRamProt);
  CHECK(r.pages_4k_mapped == 1);
  CHECK(f.pool.pages_in_use() == tables);
  CHECK(f.ept.walk(0x30'0000).hpa == 0x5000'0000);
  CHECK(f.ept.walk(0x30'1000).hpa == 0x6000'0000);
}

TEST_CASE("ept_add_mr leaves a present mapping in place (RAM wins on overlap)") {
  Fixture f;
  const Gpa ram = 0x10'0000;
  const Hpa ram_hpa = 0x7000'0000;
  f.ept.add_mr(ram_hpa, ram, 4 * kPageSize4K, kRamProt);

  // A later region overlapping the last two RAM pages and two pages beyond.
  const Hpa other = 0x9000'0000;
  const EditResult r = f.ept.add_mr(other, ram + 2 * kPageSize4K, 4 * kPageSize4K, kBitsRwx);
  CHECK(r.already_present() == 2);
  CHECK(r.pages_4k_mapped == 2);
  // One add_pte pr_fatal each, at its page's GPA.
  using Present = std::vector<std::pair<Level, Gpa>>;
  CHECK(r.present == Present{{Level::pt, ram + 2 * kPageSize4K}, {Level::pt, ram + 3 * kPageSize4K}});

  const Hpa pt = f.pt(ram);
  CHECK(f.entry(pt, ram + 2 * kPageSize4K, Level::pt) == ((ram_hpa + 2 * kPageSize4K) | kRamProt));
  CHECK(f.entry(pt, ram + 3 * kPageSize4K, Level::pt) == ((ram_hpa + 3 * kPageSize4K) | kRamProt));
  CHECK(f.entry(pt, ram + 4 * kPageSize4K, Level::pt) == ((other + 2 * kPageSize4K) | kBitsRwx));
  CHECK(f.entry(pt, ram + 5 * kPageSize4K, Level::pt) == ((other + 3 * kPageSize4K) | kBitsRwx));
}

TEST_CASE("ept_add_mr does not map into a region a large leaf already covers") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, kPageSize2M, kRamProt);
  const u64 tables = f.pool.pages_in_use();

  const EditResult r = f.ept.add_mr(0x9000'0000, 0x1000, kPageSize4K, kBitsRwx);
  CHECK(r.already_present() == 1);
  // add_pde's pr_fatal names the address the walk was at, not the leaf's start.
  CHECK(r.present == std::vector<std::pair<Level, Gpa>>{{Level::pd, 0x1000}});
  CHECK(r.pages_4k_mapped == 0);
  CHECK(f.pool.pages_in_use() == tables);
  CHECK(f.entry(f.pd(0), 0, Level::pd) == (0x4000'0000 | kRamProt | kBitsPs));
  CHECK(f.ept.walk(0x1000).hpa == 0x4000'1000);
}

TEST_CASE("ept_add_mr maps 4 KiB leaves under an existing table instead of a large leaf") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, kPageSize4K, kRamProt);  // the PD entry for [0, 2 MiB) is now a table
  const EditResult r = f.ept.add_mr(0x8000'0000, 0, kPageSize2M, kRamProt);
  CHECK(r.pages_2m_mapped == 0);
  CHECK(r.pages_4k_mapped == 511);
  CHECK(r.already_present() == 1);
  CHECK(f.ept.walk(0).hpa == 0x4000'0000);
  CHECK(f.ept.walk(kPageSize4K).hpa == 0x8000'1000);
}

TEST_CASE("ept_del_mr splits a 2 MiB leaf when deleting a 4 KiB page inside it") {
  Fixture f;
  const Gpa gpa = 0x20'0000;
  const Hpa hpa = 0x4020'0000;
  f.ept.add_mr(hpa, gpa, kPageSize2M, kRamProt);
  const u64 tables = f.pool.pages_in_use();

  const Gpa hole = gpa + 5 * kPageSize4K;
  const EditResult r = f.ept.del_mr(hole, kPageSize4K);
  CHECK(r.large_pages_split == 1);
  CHECK(r.leaves_changed == 1);
  CHECK(f.pool.pages_in_use() == tables + 1);

  // The PDE now points at a PT (no PS); the PT keeps every attribute but PS.
  const Hpa pt = f.pt(gpa);
  for (u64 i = 0; i < 512; ++i) {
    const Gpa page = gpa + i * kPageSize4K;
    const u64 expected = page == hole ? 0 : ((hpa + i * kPageSize4K) | kBitsRwx | kBitsWb | kBitsIpat);
    CHECK(f.entry(pt, page, Level::pt) == expected);
  }

  const WalkResult gone = f.ept.walk(hole);
  CHECK_FALSE(gone.present);
  CHECK(gone.fault_level == Level::pt);
  CHECK(gone.refs == 4);
  CHECK(gone.ref_hpa[3] == pt + 5 * kSdmEntryBytes);

  const WalkResult kept = f.ept.walk(hole + kPageSize4K + 0x10);
  REQUIRE(kept.present);
  CHECK(kept.page_shift == 12);
  CHECK(kept.hpa == hpa + 6 * kPageSize4K + 0x10);
}

TEST_CASE("ept_del_mr splits a 1 GiB leaf down to 4 KiB when deleting one page") {
  Fixture f;
  const Hpa hpa = 3 * kGiB;
  f.ept.add_mr(hpa, 0, kGiB, kRamProt);
  const Gpa hole = kPageSize2M + kPageSize4K;

  const EditResult r = f.ept.del_mr(hole, kPageSize4K);
  CHECK(r.large_pages_split == 2);
  CHECK(r.leaves_changed == 1);

  // 1 GiB -> 2 MiB leaves keep PS; the one holding the hole became a PT.
  const Hpa pd = f.pd(0);
  CHECK(f.entry(pd, 0, Level::pd) == (hpa | kRamProt | kBitsPs));
  CHECK(f.entry(pd, 511 * kPageSize2M, Level::pd) == ((hpa + 511 * kPageSize2M) | kRamProt | kBitsPs));
  const Hpa pt = f.pt(hole);
  CHECK(f.entry(pt, hole, Level::pt) == 0);
  CHECK(f.entry(pt, kPageSize2M, Level::pt) == ((hpa + kPageSize2M) | kRamProt));

  CHECK(f.ept.walk(0x10'0000).page_shift == 21);
  CHECK(f.ept.walk(0x10'0000).hpa == hpa + 0x10'0000);
  CHECK(f.ept.walk(kPageSize2M + 2 * kPageSize4K).hpa == hpa + kPageSize2M + 2 * kPageSize4K);
  CHECK_FALSE(f.ept.walk(hole).present);
}

TEST_CASE("ept_del_mr clears a wholly covered large leaf without splitting it") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, 2 * kPageSize2M, kRamProt);
  const u64 tables = f.pool.pages_in_use();
  const EditResult r = f.ept.del_mr(kPageSize2M, kPageSize2M);
  CHECK(r.large_pages_split == 0);
  CHECK(r.leaves_changed == 1);
  CHECK(f.pool.pages_in_use() == tables);
  CHECK(f.entry(f.pd(0), kPageSize2M, Level::pd) == 0);
  CHECK(f.entry(f.pd(0), 0, Level::pd) == (0x4000'0000 | kRamProt | kBitsPs));
}

TEST_CASE("ept_del_mr skips unmapped ranges and frees the tables it empties (try_to_free_pgtable_page)") {
  Fixture f;
  const EditResult none = f.ept.del_mr(0, kGiB);
  CHECK(none.leaves_changed == 0);
  CHECK(none.large_pages_split == 0);
  CHECK(none.tables_freed == 0);
  CHECK(f.pool.pages_in_use() == 1);

  // Two pages in one PT, and one in another PT of the same PD.
  f.ept.add_mr(0x4000'0000, 0x10'0000, 2 * kPageSize4K, kRamProt);
  f.ept.add_mr(0x4100'0000, 0x40'0000, kPageSize4K, kRamProt);
  const u64 tables = f.pool.pages_in_use();  // PML4, PDPT, PD, two PTs
  CHECK(tables == 5);
  // One of the two pages: the PT still holds the other.
  EditResult r = f.ept.del_mr(0x10'0000, kPageSize4K);
  CHECK(r.leaves_changed == 1);
  CHECK(r.tables_freed == 0);
  CHECK(f.pool.pages_in_use() == tables);
  // The rest of the first 2 MiB, mostly holes: that PT is empty and freed,
  // its PDE cleared; the PD still holds the other PT.
  r = f.ept.del_mr(0, kPageSize2M);
  CHECK(r.leaves_changed == 1);
  CHECK(r.tables_freed == 1);
  CHECK(f.pool.pages_in_use() == tables - 1);
  CHECK(f.entry(f.pd(0), 0, Level::pd) == 0);
  CHECK(f.ept.walk(0x10'0000).fault_level == Level::pd);
  // The last page: its PT, then the PD (under a PDPTE) go; the PDPT stays
  // (a PDPT page under a PML4E is never freed).
  r = f.ept.del_mr(0x40'0000, kPageSize4K);
  CHECK(r.tables_freed == 2);
  CHECK(f.pool.pages_in_use() == 2);
  CHECK(f.ept.mappings(0, kGiB).empty());
  CHECK(f.ept.walk(0x40'0000).fault_level == Level::pdpt);
  // Mapping again reuses the freed pages.
  f.ept.add_mr(0x4000'0000, 0x10'0000, kPageSize4K, kRamProt);
  CHECK(f.pool.pages_in_use() == 4);
  CHECK(f.ept.walk(0x10'0000).present);
}

TEST_CASE("modify_mr changes memory type") {
  Fixture f;
  const Gpa gpa = 0x40'0000;
  const Hpa hpa = 0x6000'0000;
  f.ept.add_mr(hpa, gpa, 3 * kPageSize4K, kRamProt);

  // ACRN's recipe: set the new type, clear the whole memory-type field.
  const EditResult r = f.ept.modify_mr(gpa + kPageSize4K, kPageSize4K, kUC, kMemTypeMask);
  CHECK(r.leaves_changed == 1);
  CHECK(r.large_pages_split == 0);

  const Hpa pt = f.pt(gpa);
  CHECK(f.entry(pt, gpa, Level::pt) == (hpa | kBitsRwx | kBitsWb | kBitsIpat));
  CHECK(f.entry(pt, gpa + kPageSize4K, Level::pt) == ((hpa + kPageSize4K) | kBitsRwx | kBitsIpat));
  CHECK(f.entry(pt, gpa + 2 * kPageSize4K, Level::pt) == ((hpa + 2 * kPageSize4K) | kBitsRwx | kBitsWb | kBitsIpat));
  CHECK(mem_type_of(f.ept.walk(gpa + kPageSize4K).leaf) == MemType::UC);
}

TEST_CASE("modify_mr edits a wholly covered large leaf in place") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, kPageSize2M, kRamProt);
  const EditResult r = f.ept.modify_mr(0, kPageSize2M, 0, kBitsWrite);
  CHECK(r.leaves_changed == 1);
  CHECK(r.large_pages_split == 0);
  CHECK(f.entry(f.pd(0), 0, Level::pd) == (0x4000'0000 | kBitsReadExec | kBitsWb | kBitsIpat | kBitsPs));
}

TEST_CASE("modify_mr splits a partly covered 2 MiB leaf and edits only the covered pages") {
  Fixture f;
  const Hpa hpa = 0x4000'0000;
  f.ept.add_mr(hpa, 0, kPageSize2M, kRamProt);
  const EditResult r = f.ept.modify_mr(kPageSize4K, 2 * kPageSize4K, 0, kBitsWrite);
  CHECK(r.large_pages_split == 1);
  CHECK(r.leaves_changed == 2);

  const Hpa pt = f.pt(0);
  CHECK(f.entry(pt, 0, Level::pt) == (hpa | kRamProt));
  CHECK(f.entry(pt, kPageSize4K, Level::pt) == ((hpa + kPageSize4K) | kBitsReadExec | kBitsWb | kBitsIpat));
  CHECK(f.entry(pt, 2 * kPageSize4K, Level::pt) == ((hpa + 2 * kPageSize4K) | kBitsReadExec | kBitsWb | kBitsIpat));
  CHECK(f.entry(pt, 3 * kPageSize4K, Level::pt) == ((hpa + 3 * kPageSize4K) | kRamProt));
}

TEST_CASE("modify_mr skips entries that are not present") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, kPageSize4K, kRamProt);
  const EditResult r = f.ept.modify_mr(0, 4 * kPageSize4K, 0, kMemTypeMask);
  CHECK(r.leaves_changed == 1);
  const Hpa pt = f.pt(0);
  CHECK(f.entry(pt, 0, Level::pt) == (0x4000'0000 | kBitsRwx | kBitsIpat));
  CHECK(f.entry(pt, kPageSize4K, Level::pt) == 0);  // not turned into a leaf
}

TEST_CASE("a walk of an unmapped address reports the violation level") {
  Fixture f;
  const WalkResult empty = f.ept.walk(0x1234'5000);
  CHECK_FALSE(empty.present);
  CHECK(empty.fault_level == Level::pml4);
  CHECK(empty.refs == 1);
  CHECK(empty.ref_hpa[0] == f.ept.root());

  const Gpa mapped = 0x4020'3000;  // PDPT 1, PD 1, PT 3
  f.ept.add_mr(0x5000'0000, mapped, kPageSize4K, kRamProt);

  const WalkResult other_gib = f.ept.walk(2 * kGiB);
  CHECK_FALSE(other_gib.present);
  CHECK(other_gib.fault_level == Level::pdpt);
  CHECK(other_gib.refs == 2);
  CHECK(other_gib.ref_hpa[1] == f.pdpt(mapped) + 2 * kSdmEntryBytes);

  const WalkResult other_2m = f.ept.walk(kGiB);
  CHECK_FALSE(other_2m.present);
  CHECK(other_2m.fault_level == Level::pd);
  CHECK(other_2m.refs == 3);
  CHECK(other_2m.ref_hpa[2] == f.pd(mapped));

  const WalkResult other_4k = f.ept.walk(mapped + kPageSize4K);
  CHECK_FALSE(other_4k.present);
  CHECK(other_4k.fault_level == Level::pt);
  CHECK(other_4k.refs == 4);
  CHECK(other_4k.ref_hpa[3] == f.pt(mapped) + 4 * kSdmEntryBytes);

  const WalkResult other_pml4 = f.ept.walk(0x80'0000'0000ULL);
  CHECK(other_pml4.fault_level == Level::pml4);
  CHECK(other_pml4.ref_hpa[0] == f.ept.root() + 1 * kSdmEntryBytes);

  const WalkResult beyond = f.ept.walk(u64{1} << 48);
  CHECK_FALSE(beyond.present);
  CHECK(beyond.fault_level == Level::pml4);
  CHECK(beyond.refs == 0);
}

TEST_CASE("a walk reads host memory and allocates nothing") {
  Fixture f;
  f.ept.add_mr(0x5000'0000, 0, kPageSize4K, kRamProt);
  const u64 resident = f.mem.resident_pages();
  const u64 tables = f.pool.pages_in_use();
  for (Gpa gpa = 0; gpa < 4 * kGiB; gpa += 0x1357'9000) f.ept.walk(gpa);
  CHECK(f.mem.resident_pages() == resident);
  CHECK(f.pool.pages_in_use() == tables);
}

TEST_CASE("disabling large pages forces 4 KiB leaves") {
  Fixture f(LargePages{false, false});
  const EditResult r = f.ept.add_mr(0x4000'0000, kGiB, kGiB, kRamProt);
  CHECK(r.pages_1g_mapped == 0);
  CHECK(r.pages_2m_mapped == 0);
  CHECK(r.pages_4k_mapped == kGiB / kPageSize4K);
  CHECK(f.pool.pages_in_use() == 1 + 1 + 1 + 512);  // PML4, PDPT, PD, 512 PTs
  const WalkResult w = f.ept.walk(kGiB + kPageSize2M + 0x10);
  REQUIRE(w.present);
  CHECK(w.page_shift == 12);
  CHECK(w.leaf == ((0x4000'0000 + kPageSize2M) | kRamProt));
}

TEST_CASE("disabling 1 GiB pages maps an aligned 1 GiB range with 2 MiB leaves") {
  Fixture f(LargePages{true, false});
  const EditResult r = f.ept.add_mr(kGiB, kGiB, kGiB, kRamProt);
  CHECK(r.pages_1g_mapped == 0);
  CHECK(r.pages_2m_mapped == 512);
  CHECK(r.pages_4k_mapped == 0);
  CHECK(f.entry(f.pd(kGiB), kGiB, Level::pd) == (0x4000'0000 | kRamProt | kBitsPs));
}

// init_ept_pgtable under is_ept_force_4k_ipage, an RTVM's table: use_large_page
// keeps large leaves for mappings without EPT_EXE only, and every large leaf
// is written without EPT_EXE (ept_tweak_exe_right).
TEST_CASE("an RTVM's EPT under the page-size-change workaround maps executable memory with 4 KiB leaves only") {
  Fixture f(LargePages{true, true, true, true});
  const EditResult ram = f.ept.add_mr(0x4000'0000, kGiB, kGiB, kRamProt);
  CHECK(ram.pages_1g_mapped == 0);
  CHECK(ram.pages_2m_mapped == 0);
  CHECK(ram.pages_4k_mapped == kGiB / kPageSize4K);
  const WalkResult w = f.ept.walk(kGiB + kPageSize2M + 0x10);
  REQUIRE(w.present);
  CHECK(w.page_shift == 12);
  CHECK(w.leaf == ((0x4000'0000 + kPageSize2M) | kRamProt));  // 4 KiB leaves keep EPT_EXE
  // Read-write memory (an IVSHMEM BAR, MMIO) still gets a large leaf, not executable.
  constexpr u64 kRw = 0x3 | kBitsWb | kBitsIpat;
  const EditResult shm = f.ept.add_mr(0x8000'0000, 2 * kGiB, kPageSize2M, kRw);
  CHECK(shm.pages_2m_mapped == 1);
  CHECK(f.entry(f.pd(2 * kGiB), 2 * kGiB, Level::pd) == (0x8000'0000 | kRw | kBitsPs));
}

TEST_CASE("every VM's large EPT leaves lose execute under the workaround, and a split 2 MiB leaf regains it") {
  Fixture f(LargePages{true, true, false, true});
  const EditResult r = f.ept.add_mr(0x4000'0000, kGiB, kGiB + kPageSize2M, kRamProt);
  CHECK(r.pages_1g_mapped == 1);
  CHECK(r.pages_2m_mapped == 1);
  constexpr u64 kTweaked = (kRamProt & ~u64{0x4}) | kBitsPs;
  CHECK(f.entry(f.pdpt(kGiB), kGiB, Level::pdpt) == (0x4000'0000 | kTweaked));
  CHECK(f.entry(f.pd(2 * kGiB), 2 * kGiB, Level::pd) == (0x8000'0000 | kTweaked));
  // Removing 4 KiB of the 1 GiB leaf splits it to 2 MiB leaves, still not
  // executable (split_large_page recovers execute at the PD level only), and
  // the first of them to 4 KiB leaves, executable again.
  f.ept.del_mr(kGiB, kPageSize4K);
  CHECK(f.entry(f.pd(kGiB + kPageSize2M), kGiB + kPageSize2M, Level::pd) == ((0x4000'0000 + kPageSize2M) | kTweaked));
  CHECK(f.entry(f.pt(kGiB), kGiB + kPageSize4K, Level::pt) == ((0x4000'0000 + kPageSize4K) | kRamProt));
  CHECK(f.entry(f.pt(kGiB), kGiB, Level::pt) == 0);
}

// SDM Vol. 3C 29.3.3.1: what only an entry rewritten behind the editor's
// back (the Service VM's UC mapping of the pools) can be.
TEST_CASE("the walk reports an EPT misconfiguration, not a violation, for entries the editor never writes") {
  Fixture f(LargePages{false, false});
  f.ept.add_mr(0x4000'0000, 0, kPageSize4K, kRamProt);
  const Hpa pte_slot = f.pt(0) + level_index(0, Level::pt) * kSdmEntryBytes;
  const Hpa pml4e_slot = f.ept.root();
  const u64 good_pte = f.mem.read_u64(pte_slot);
  const u64 good_pml4e = f.mem.read_u64(pml4e_slot);
  auto with = [&](Hpa slot, u64 value) {
    f.mem.write_u64(slot, value);
    const WalkResult w = f.ept.walk(0x10);
    f.mem.write_u64(pte_slot, good_pte);
    f.mem.write_u64(pml4e_slot, good_pml4e);
    return w;
  };
  CHECK(with(pte_slot, good_pte).present);
  const WalkResult write_only = with(pte_slot, (good_pte & ~kBitsRwx) | kBitsWrite);
  CHECK_FALSE(write_only.present);
  CHECK(write_only.misconfigured);
  CHECK(write_only.fault_level == Level::pt);
  CHECK(with(pte_slot, (good_pte & ~u64{0x38}) | 0x10).misconfigured);        // memory type 2
  CHECK(with(pte_slot, (good_pte & ~u64{0x38}) | 0x38).misconfigured);        // memory type 7
  CHECK(with(pte_slot, good_pte | (u64{1} << kHostAddrBits)).misconfigured);  // beyond the address width
  CHECK(with(pml4e_slot, good_pml4e | 0x08).misconfigured);                   // PML4E bits 7:3 are reserved
  CHECK(with(pte_slot, (good_pte & ~kBitsRwx) | 0x4).present);                // execute-only is allowed
  const WalkResult absent = with(pte_slot, 0);
  CHECK_FALSE(absent.present);
  CHECK_FALSE(absent.misconfigured);
}

TEST_CASE("a large leaf with address bits below its size set is misconfigured") {
  Fixture f;
  f.ept.add_mr(0x4000'0000, 0, kPageSize2M, kRamProt);
  const Hpa pde_slot = f.pd(0) + level_index(0, Level::pd) * kSdmEntryBytes;
  f.mem.write_u64(pde_slot, f.mem.read_u64(pde_slot) | 0x1000);
  CHECK(f.ept.walk(0).misconfigured);
}

TEST_CASE("an exhausted page pool hands out its dummy page, as alloc_page does in a release build") {
  HostMemory mem(kHostAddrBits);
  PagePool pool(mem, kPoolBase, 3 * kPageSize4K);  // two pages and the dummy
  EptTable ept(mem, pool);                          // the PML4 takes one
  CHECK(pool.dummy_page() == kPoolBase + 2 * kPageSize4K);
  // A 4 KiB leaf needs a PDPT, a PD and a PT: the PD and the PT are both
  // the dummy page, zeroed for each, so the PT's leaf lands where the PD's
  // entry was and the walk does not reach the page.
  ept.add_mr(0x4000'0000, 0, kPageSize4K, kRamProt);
  CHECK(pool.pages_in_use() == 2);
  CHECK(pool.dummy_handouts() == 2);
  const WalkResult w = ept.walk(0);
  CHECK_FALSE((w.present && w.hpa == 0x4000'0000));
  // Deleting frees nothing it should not: the dummy page is not the pool's.
  ept.del_mr(0, kPageSize2M);
  CHECK(pool.pages_in_use() <= 2);
}

TEST_CASE("the page pool zeroes pages and reuses the last one freed first") {
  HostMemory mem(kHostAddrBits);
  PagePool pool(mem, kPoolBase, 3 * kPageSize4K);
  const Hpa a = pool.alloc_zeroed();
  const Hpa b = pool.alloc_zeroed();
  CHECK(a == kPoolBase);
  CHECK(b == kPoolBase + kPageSize4K);
  CHECK(pool.pages_in_use() == 2);
  CHECK(pool.alloc_zeroed() == pool.dummy_page());  // exhausted
  pool.free(pool.dummy_page());                     // does nothing
  CHECK(pool.pages_in_use() == 2);

  mem.write_u64(a + 0x800, 0xDEAD'BEEF);
  pool.free(b);
  pool.free(a);
  CHECK(pool.pages_in_use() == 0);
  CHECK(pool.alloc_zeroed() == a);
  CHECK(mem.read_u64(a + 0x800) == 0);
  CHECK(pool.alloc_zeroed() == b);
  CHECK_THROWS_AS(pool.free(kPoolBase + 3 * kPageSize4K), std::invalid_argument);
}

TEST_CASE("ept edits reject unaligned, empty and out-of-reach ranges") {
  Fixture f;
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0000, 0x800, kPageSize4K, kRamProt), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0800, 0, kPageSize4K, kRamProt), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0000, 0, 0x800, kRamProt), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0000, 0, 0, kRamProt), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0000, ~u64{0} - 0xFFF, 2 * kPageSize4K, kRamProt), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.add_mr(0x4000'0000, (u64{1} << 48) - kPageSize4K, 2 * kPageSize4K, kRamProt),
                  std::invalid_argument);
  CHECK_THROWS_AS(f.ept.del_mr(0x800, kPageSize4K), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.del_mr(0, 0), std::invalid_argument);
  CHECK_THROWS_AS(f.ept.modify_mr(0, 0x10, 0, kBitsWrite), std::invalid_argument);
  CHECK(f.pool.pages_in_use() == 1);
}

TEST_CASE("mappings lists the leaves covering a range in gpa order") {
  Fixture f;
  f.ept.add_mr(3 * kGiB, 2 * kGiB, kGiB, kRamProt);
  f.ept.add_mr(0x4000'0000, 0, kPageSize2M, kRamProt);
  f.ept.add_mr(0x5000'0000, 0x40'0000, kPageSize4K, kBitsRwx);

  const auto maps = f.ept.mappings(0x1000, 3 * kGiB);
  REQUIRE(maps.size() == 3);
  CHECK(maps[0].gpa == 0);  // the whole leaf, though the range starts inside it
  CHECK(maps[0].size == kPageSize2M);
  CHECK(maps[1].gpa == 0x40'0000);
  CHECK(maps[1].hpa == 0x5000'0000);
  CHECK(maps[1].entry == (0x5000'0000 | kBitsRwx));
  CHECK(maps[2].gpa == 2 * kGiB);
  CHECK(maps[2].size == kGiB);
  CHECK(maps[2].hpa == 3 * kGiB);
  CHECK(maps[2].entry == (0xC000'0000 | kRamProt | kBitsPs));
}
