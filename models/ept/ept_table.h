// One VM's EPT: four-level page tables that live in host memory, edited the
// way ACRN's ept_add_mr / ept_modify_mr / ept_del_mr do (pgtable_add_map,
// pgtable_modify_or_del_map in hypervisor/arch/x86/pagetable.c) and walked by
// reading the entries back from host memory.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "models/core/types.h"
#include "models/ept/ept_entry.h"
#include "models/host/host_memory.h"

namespace ivsim::ept {

// Geometry of one paging structure: a 4 KiB page of 512 eight-byte entries.
constexpr u64 kEntryBytes = sizeof(u64);
constexpr u64 kEntriesPerTable = kPageSize4K / kEntryBytes;
// A four-level EPT translates bits 47:0 of a GPA; leaves hold HPA bits 51:12.
constexpr unsigned kGpaBits = 48;
constexpr u64 kGpaLimit = u64{1} << kGpaBits;
constexpr unsigned kHpaBits = 52;
constexpr u64 kHpaLimit = u64{1} << kHpaBits;

// Bytes one entry at `l` maps: 512 GiB, 1 GiB, 2 MiB, 4 KiB.
constexpr u64 level_page_size(Level l) { return u64{1} << level_shift(l); }
// Host physical address of the entry for `gpa` in the table at `table`.
constexpr Hpa entry_address(Hpa table, Gpa gpa, Level l) { return table + level_index(gpa, l) * kEntryBytes; }

// The hypervisor's pool of 4 KiB host pages for paging structures (ACRN keeps
// one per VM). Pages come back zeroed; freed pages are reused LIFO. Its last
// page is the VM's dummy page (ept_dummy_pages): an exhausted pool hands
// that out, zeroed again each time, as alloc_page does in a release build
// (its ASSERT compiled out), so the tables built on it share one page and
// each new one wipes the last; freeing it does nothing.
class PagePool {
 public:
  PagePool(HostMemory& mem, Hpa base, u64 bytes);
  Hpa alloc_zeroed();
  void free(Hpa page);
  u64 pages_in_use() const { return in_use_; }
  Hpa dummy_page() const { return dummy_; }
  u64 dummy_handouts() const { return dummy_handouts_; }  // allocations the pool could not serve

 private:
  HostMemory& mem_;
  Hpa base_;
  u64 pages_;  // allocatable, the dummy page aside
  Hpa dummy_;
  u64 next_ = 0;
  u64 in_use_ = 0;
  u64 dummy_handouts_ = 0;
  std::vector<Hpa> free_list_;
};

// Which leaf sizes the editor may use (ACRN uses large pages when the CPU
// supports them and both addresses and the remaining size are aligned), and
// ACRN's workaround for the erratum "Machine Check Error on Page Size Change"
// (init_ept_pgtable, when is_ept_force_4k_ipage()).
struct LargePages {
  bool pde_2m = true;
  bool pdpte_1g = true;
  // use_large_page, an RTVM's under the workaround: a mapping with EPT_EXE
  // (its code pages, which are all of its RAM) gets 4 KiB leaves only;
  // one without (MMIO, IVSHMEM) still gets large ones.
  bool exec_4k = false;
  // ept_tweak_exe_right / ept_recover_exe_right, every VM's under the
  // workaround: a large leaf is written without EPT_EXE, and a 2 MiB leaf
  // split into 4 KiB ones gives them EPT_EXE (an instruction fetch there
  // faults and ept_violation_vmexit_handler splits the page to run it).
  bool tweak_exe = false;
};

struct EditResult {
  u64 pages_4k_mapped = 0;    // 4 KiB leaves written
  u64 pages_2m_mapped = 0;    // 2 MiB leaves written
  u64 pages_1g_mapped = 0;    // 1 GiB leaves written
  u64 leaves_changed = 0;     // modify_mr / del_mr: leaf entries changed or cleared
  u64 large_pages_split = 0;  // large leaves split to apply a partial edit
  u64 tables_freed = 0;       // del_mr: page tables and directories left empty, back to the pool
  // add_mr: the entries skipped because present (ACRN's pr_fatal, no
  // overwrite), in the order met: the level of each (pt: a 4 KiB entry, pd
  // or pdpt: a large leaf) and the address ACRN's add_pte / add_pde /
  // add_pdpte name in their pr_fatal (the GPA where the entry's chunk starts).
  std::vector<std::pair<Level, Gpa>> present;
  u64 already_present() const { return present.size(); }
};

struct WalkResult {
  bool present = false;  // false = EPT violation at `fault_level`, or misconfiguration
  // The entry at `fault_level` is an EPT misconfiguration (SDM Vol. 3C
  // 29.3.3.1): write without read, a reserved bit set (an address bit at
  // or above the physical-address width; bits 7:3 of a PML4E, 6:3 of a
  // non-leaf PDPTE or PDE; a large leaf's address bits below its size), or
  // a leaf of memory type 2, 3 or 7. Only entries nobody but the Service VM
  // (through its mapping of the EPT pools) can write are ever so.
  bool misconfigured = false;
  Hpa hpa = 0;              // translated address (valid when present)
  u64 leaf = 0;             // the leaf entry (permissions, memory type)
  unsigned page_shift = 0;  // 12, 21 or 30 for the leaf that mapped it
  Level fault_level = Level::pml4;
  unsigned refs = 0;             // entries read by the walk, root first
  std::array<Hpa, 4> ref_hpa{};  // host physical address of each entry read
};

class EptTable {
 public:
  EptTable(HostMemory& mem, PagePool& pool, LargePages large = {});

  Hpa root() const { return root_; }  // the PML4 table (EPTP address bits)
  // The memory the tables live in (the MMU reads the guest's own tables there too).
  const HostMemory& memory() const { return mem_; }

  // Map [gpa, gpa+size) to [hpa, hpa+size) with prot = RWX bits | memory
  // type bits | kIgnorePat. Entries already present are left unchanged and
  // counted (the RAM-wins-on-overlap behaviour of ACRN).
  EditResult add_mr(Hpa hpa, Gpa gpa, u64 size, u64 prot);
  // Set and clear permission / memory-type bits on present leaves in range.
  EditResult modify_mr(Gpa gpa, u64 size, u64 prot_set, u64 prot_clr);
  // Clear every leaf in [gpa, gpa+size), splitting large leaves that straddle
  // the range ends. Empty tables are kept, as ACRN does.
  EditResult del_mr(Gpa gpa, u64 size);

  // Hardware walk: reads entries from host memory, no side effects.
  WalkResult walk(Gpa gpa) const;

  // Debug/inspection: the leaves covering a range, as (gpa, hpa, size, entry).
  struct Mapping {
    Gpa gpa;
    Hpa hpa;
    u64 size;
    u64 entry;
  };
  std::vector<Mapping> mappings(Gpa gpa, u64 size) const;

 private:
  // ACRN's MR_MODIFY / MR_DEL: the two edits pgtable_modify_or_del_map shares.
  enum class MrType { modify, del };

  bool large_leaf_allowed(Level l, u64 prot) const;
  void add_entries(Hpa table, Level l, Hpa hpa, Gpa gpa, Gpa end, u64 prot, EditResult& r);
  bool table_empty(Hpa table) const;
  void modify_or_del_entries(Hpa table, Level l, Gpa gpa, Gpa end, u64 prot_set, u64 prot_clr, MrType type,
                             EditResult& r);
  void split_large_page(Hpa entry_hpa, u64 entry, Level l, EditResult& r);
  void collect_mappings(Hpa table, Level l, Gpa gpa, Gpa end, std::vector<Mapping>& out) const;

  HostMemory& mem_;
  PagePool& pool_;
  LargePages large_;
  Hpa root_;
};

}  // namespace ivsim::ept
