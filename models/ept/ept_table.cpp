#include "models/ept/ept_table.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ivsim::ept {

namespace {

// ACRN's default_access_right for EPT: non-leaf entries grant everything and
// leave the real permissions to the leaf.
constexpr u64 kNonLeafAccess = kRwx;

// Bits that an edit's prot may carry: the address is the editor's to write,
// and PS is set by the editor when it chooses a large leaf.
constexpr u64 kEditorOwnedBits = kAddrMask | kLargePage;

Level next_level(Level l) { return static_cast<Level>(static_cast<unsigned>(l) + 1); }

// A leaf ends the walk: any PT entry, or a PDPTE/PDE with PS set. PS is
// reserved in a PML4E, so there it never means a leaf.
bool is_leaf(u64 entry, Level l) {
  if (l == Level::pt) return true;
  if (l == Level::pml4) return false;
  return (entry & kLargePage) != 0;
}

// Start of the entry's region that contains gpa, and the start of the next one.
Gpa region_base(Gpa gpa, Level l) { return gpa & ~(level_page_size(l) - 1); }
Gpa region_next(Gpa gpa, Level l) { return region_base(gpa, l) + level_page_size(l); }

// The leaf's output address: only bits at and above the leaf size count.
Hpa leaf_base(u64 entry, Level l) { return entry & kAddrMask & ~(level_page_size(l) - 1); }

void check_gpa_range(Gpa gpa, u64 size) {
  if (!is_aligned(gpa, kPageSize4K) || !is_aligned(size, kPageSize4K))
    throw std::invalid_argument("EPT edit: gpa and size must be 4 KiB aligned");
  if (size == 0) throw std::invalid_argument("EPT edit: size is zero");
  if (gpa >= kGpaLimit || size > kGpaLimit - gpa)
    throw std::invalid_argument("EPT edit: gpa range beyond the 48-bit EPT reach");
}

}  // namespace

// ---------------------------------------------------------------- PagePool

PagePool::PagePool(HostMemory& mem, Hpa base, u64 bytes)
    : mem_(mem), base_(base), pages_(bytes / kPageSize4K - 1), dummy_(base + (bytes / kPageSize4K - 1) * kPageSize4K) {
  if (!is_aligned(base, kPageSize4K) || !is_aligned(bytes, kPageSize4K))
    throw std::invalid_argument("EPT page pool must be 4 KiB aligned");
  if (bytes < 2 * kPageSize4K) throw std::invalid_argument("EPT page pool needs a page and the dummy page");
  if (!mem.contains(base, bytes)) throw std::invalid_argument("EPT page pool lies outside host memory");
}

Hpa PagePool::alloc_zeroed() {
  Hpa page;
  if (!free_list_.empty()) {
    page = free_list_.back();
    free_list_.pop_back();
  } else if (next_ < pages_) {
    page = base_ + next_ * kPageSize4K;
    ++next_;
  } else {
    // alloc_page: no page left, the dummy page instead (zeroed below, as
    // every page it hands out).
    ++dummy_handouts_;
    std::memset(mem_.page(dummy_), 0, kPageSize4K);
    return dummy_;
  }
  // A reused page still holds its old entries; stale ones would be walked.
  std::memset(mem_.page(page), 0, kPageSize4K);
  ++in_use_;
  return page;
}

void PagePool::free(Hpa page) {
  if (page == dummy_) return;  // not the pool's to take back
  if (!is_aligned(page, kPageSize4K) || page < base_ || page >= base_ + next_ * kPageSize4K)
    throw std::invalid_argument("page was not allocated from this EPT page pool");
  if (in_use_ == 0 || std::find(free_list_.begin(), free_list_.end(), page) != free_list_.end())
    throw std::logic_error("EPT page pool: page freed twice");
  free_list_.push_back(page);
  --in_use_;
}

// ---------------------------------------------------------------- EptTable

EptTable::EptTable(HostMemory& mem, PagePool& pool, LargePages large)
    : mem_(mem), pool_(pool), large_(large), root_(pool.alloc_zeroed()) {}

// ept_large_page_support, or use_large_page for an RTVM under the
// page-size-change workaround (a leaf with EPT_EXE is never large).
bool EptTable::large_leaf_allowed(Level l, u64 prot) const {
  if (large_.exec_4k && (prot & kExec) != 0) return false;
  if (l == Level::pdpt) return large_.pdpte_1g;
  if (l == Level::pd) return large_.pde_2m;
  return false;
}

EditResult EptTable::add_mr(Hpa hpa, Gpa gpa, u64 size, u64 prot) {
  check_gpa_range(gpa, size);
  if (!is_aligned(hpa, kPageSize4K)) throw std::invalid_argument("ept_add_mr: hpa must be 4 KiB aligned");
  if (hpa >= kHpaLimit || size > kHpaLimit - hpa)
    throw std::invalid_argument("ept_add_mr: hpa range beyond the 52-bit EPT address field");
  if ((prot & kEditorOwnedBits) != 0) throw std::invalid_argument("ept_add_mr: prot carries address or PS bits");
  EditResult r;
  add_entries(root_, Level::pml4, hpa, gpa, gpa + size, prot, r);
  return r;
}

// pgtable_add_map for one table: large leaves where everything lines up,
// tables below otherwise; present entries are reported and left alone.
void EptTable::add_entries(Hpa table, Level l, Hpa hpa, Gpa gpa, Gpa end, u64 prot, EditResult& r) {
  while (gpa < end) {
    const Gpa chunk_end = std::min(region_next(gpa, l), end);
    const Hpa slot = entry_address(table, gpa, l);
    u64 entry = mem_.read_u64(slot);

    if (l == Level::pt) {
      if (is_present(entry)) {
        r.present.emplace_back(l, gpa);
      } else {
        mem_.write_u64(slot, hpa | prot);
        ++r.pages_4k_mapped;
      }
    } else if (is_present(entry) && is_leaf(entry, l)) {
      // A large leaf already covers this region: ACRN's pr_fatal, no overwrite.
      r.present.emplace_back(l, gpa);
    } else {
      const u64 size = level_page_size(l);
      if (!is_present(entry) && large_leaf_allowed(l, prot) && is_aligned(gpa, size) && is_aligned(hpa, size) &&
          chunk_end - gpa == size) {
        // tweak_exe_right: no large leaf may be executed under the workaround.
        mem_.write_u64(slot, hpa | (large_.tweak_exe ? prot & ~kExec : prot) | kLargePage);
        ++(l == Level::pdpt ? r.pages_1g_mapped : r.pages_2m_mapped);
      } else {
        if (!is_present(entry)) {
          entry = pool_.alloc_zeroed() | kNonLeafAccess;
          mem_.write_u64(slot, entry);
        }
        add_entries(entry & kAddrMask, next_level(l), hpa, gpa, chunk_end, prot, r);
      }
    }
    hpa += chunk_end - gpa;
    gpa = chunk_end;
  }
}

EditResult EptTable::modify_mr(Gpa gpa, u64 size, u64 prot_set, u64 prot_clr) {
  check_gpa_range(gpa, size);
  if (((prot_set | prot_clr) & kEditorOwnedBits) != 0)
    throw std::invalid_argument("ept_modify_mr: prot carries address or PS bits");
  EditResult r;
  modify_or_del_entries(root_, Level::pml4, gpa, gpa + size, prot_set, prot_clr, MrType::modify, r);
  return r;
}

EditResult EptTable::del_mr(Gpa gpa, u64 size) {
  check_gpa_range(gpa, size);
  EditResult r;
  modify_or_del_entries(root_, Level::pml4, gpa, gpa + size, 0, 0, MrType::del, r);
  return r;
}

// pgtable_modify_or_del_map for one table: whole leaves are edited in place,
// a large leaf the range only partly covers is split first, holes are skipped.
void EptTable::modify_or_del_entries(Hpa table, Level l, Gpa gpa, Gpa end, u64 prot_set, u64 prot_clr, MrType type,
                                     EditResult& r) {
  while (gpa < end) {
    const Gpa next = region_next(gpa, l);
    const Gpa chunk_end = std::min(next, end);
    const Hpa slot = entry_address(table, gpa, l);
    u64 entry = mem_.read_u64(slot);

    if (is_present(entry)) {
      const bool covers_whole_entry = gpa == region_base(gpa, l) && chunk_end == next;
      if (is_leaf(entry, l) && (l == Level::pt || covers_whole_entry)) {
        mem_.write_u64(slot, type == MrType::modify ? (entry & ~prot_clr) | prot_set : 0);
        ++r.leaves_changed;
      } else {
        if (is_leaf(entry, l)) {
          split_large_page(slot, entry, l, r);
          entry = mem_.read_u64(slot);
        }
        const Hpa child = entry & kAddrMask;
        modify_or_del_entries(child, next_level(l), gpa, chunk_end, prot_set, prot_clr, type, r);
        // try_to_free_pgtable_page: a page table (under a PDE) or page
        // directory (under a PDPTE) a deletion left with no entry present
        // goes back to the pool, and its entry is cleared.
        if (type == MrType::del && (l == Level::pd || l == Level::pdpt) && table_empty(child)) {
          pool_.free(child);
          mem_.write_u64(slot, 0);
          ++r.tables_freed;
        }
      }
    }
    gpa = chunk_end;
  }
}

bool EptTable::table_empty(Hpa table) const {
  for (u64 i = 0; i < kEntriesPerTable; ++i)
    if (is_present(mem_.read_u64(table + i * kEntryBytes))) return false;
  return true;
}

// split_large_page: the next-level table maps the same range with the same
// attributes; a 1 GiB leaf becomes 2 MiB leaves (PS kept), a 2 MiB leaf
// becomes 4 KiB leaves (PS dropped, bit 7 of a PTE is ignored), which
// recover_exe_right makes executable under the page-size-change workaround,
// whatever the large leaf allowed (ACRN leaves guest memory's execute right
// to the guest).
void EptTable::split_large_page(Hpa entry_hpa, u64 entry, Level l, EditResult& r) {
  const Level child = next_level(l);
  const u64 child_size = level_page_size(child);
  u64 child_prot = entry & ~kAddrMask;
  if (child == Level::pt) {
    child_prot &= ~kLargePage;
    if (large_.tweak_exe) child_prot |= kExec;
  }

  const Hpa new_table = pool_.alloc_zeroed();
  Hpa out = leaf_base(entry, l);
  for (u64 i = 0; i < kEntriesPerTable; ++i) {
    mem_.write_u64(new_table + i * kEntryBytes, out | child_prot);
    out += child_size;
  }
  mem_.write_u64(entry_hpa, new_table | kNonLeafAccess);
  ++r.large_pages_split;
}

namespace {

// An EPT misconfiguration (SDM Vol. 3C 29.3.3.1), for an entry that is
// present (some of bits 2:0 set); execute-only entries are allowed (every
// CPU the twin models has IA32_VMX_EPT_VPID_CAP bit 0).
bool misconfigured(u64 entry, Level l, unsigned addr_bits) {
  if ((entry & (kRead | kWrite)) == kWrite) return true;
  if (addr_bits < 52 && (entry & kAddrMask & ~((u64{1} << addr_bits) - 1)) != 0) return true;
  if (!is_leaf(entry, l)) {
    const u64 reserved = l == Level::pml4 ? 0xF8 : 0x78;  // bits 7:3, or 6:3 (PS clear)
    return (entry & reserved) != 0;
  }
  const MemType t = mem_type_of(entry);
  if (t != MemType::UC && t != MemType::WC && t != MemType::WT && t != MemType::WP && t != MemType::WB) return true;
  return l != Level::pt && (entry & kAddrMask & (level_page_size(l) - 1)) != 0;
}

}  // namespace

WalkResult EptTable::walk(Gpa gpa) const {
  WalkResult w;
  // Beyond the four-level reach nothing can be mapped: a violation before any read.
  if (gpa >= kGpaLimit) return w;

  Hpa table = root_;
  for (Level l = Level::pml4;; l = next_level(l)) {
    const Hpa slot = entry_address(table, gpa, l);
    w.ref_hpa[w.refs++] = slot;
    const u64 entry = mem_.read_u64(slot);
    if (!is_present(entry)) {
      w.fault_level = l;
      return w;
    }
    if (misconfigured(entry, l, mem_.addr_bits())) {
      w.fault_level = l;
      w.misconfigured = true;
      return w;
    }
    if (is_leaf(entry, l)) {
      w.present = true;
      w.leaf = entry;
      w.page_shift = level_shift(l);
      w.hpa = leaf_base(entry, l) | (gpa & (level_page_size(l) - 1));
      return w;
    }
    table = entry & kAddrMask;
  }
}

std::vector<EptTable::Mapping> EptTable::mappings(Gpa gpa, u64 size) const {
  std::vector<Mapping> out;
  if (gpa >= kGpaLimit || size == 0) return out;
  const Gpa end = size > kGpaLimit - gpa ? kGpaLimit : gpa + size;
  collect_mappings(root_, Level::pml4, gpa, end, out);
  return out;
}

void EptTable::collect_mappings(Hpa table, Level l, Gpa gpa, Gpa end, std::vector<Mapping>& out) const {
  // A table is one 4 KiB page: look it up once, not per entry (a page never
  // touched reads as zero: nothing present).
  const u8* page = mem_.page_if_present(table);
  if (page == nullptr) return;
  while (gpa < end) {
    const Gpa chunk_end = std::min(region_next(gpa, l), end);
    u64 entry;
    std::memcpy(&entry, page + (entry_address(table, gpa, l) - table), sizeof entry);
    if (is_present(entry)) {
      if (is_leaf(entry, l)) {
        out.push_back(Mapping{region_base(gpa, l), leaf_base(entry, l), level_page_size(l), entry});
      } else {
        collect_mappings(entry & kAddrMask, next_level(l), gpa, chunk_end, out);
      }
    }
    gpa = chunk_end;
  }
}

}  // namespace ivsim::ept
