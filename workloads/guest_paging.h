// The guest kernel's paging bring-up: 4-level page tables in the guest's own
// RAM that identity-map RAM and the PCI memory windows its bus scan found,
// written with ordinary guest stores (timed, through the caches), or, for a
// kernel whose boot tables come with its image (Zephyr), loaded with it and
// completed by the guest's run-time mappings; then loaded into CR3. What
// runs afterwards uses guest-virtual addresses equal to the guest-physical
// ones, translated by the 2-D walk (models/cpu/mmu.h).
//
// One vCPU per VM (the bootstrap processor) scans the bus and builds the
// tables, as a kernel's BSP does; the others wait for it like application
// processors: they poll a boot mailbox in guest RAM until the BSP publishes
// its CR3 there, then load the same CR3. So the bus is sized once, never by
// two vCPUs at a time, and all vCPUs share the kernel's tables.
#pragma once

#include <array>
#include <bitset>
#include <functional>
#include <vector>

#include "models/core/chunk_arena.h"
#include "models/core/types.h"
#include "workloads/guest_api.h"
#include "workloads/guest_os.h"

namespace ivsim {

// Page tables under construction, host-side: tables are numbered in the
// order they are created (0 is the PML4) and only get addresses when placed.
class GuestPageTables {
 public:
  // Leaves up to `max_page` (4 KiB, 2 MiB or 1 GiB).
  explicit GuestPageTables(u64 max_page);
  ~GuestPageTables();
  GuestPageTables(const GuestPageTables&) = delete;
  GuestPageTables& operator=(const GuestPageTables&) = delete;

  // Maps [va, va + size) to [pa, pa + size), 4 KiB aligned, with `flags`
  // (x86 entry bits; P is added) on the leaves, each leaf the largest size
  // up to max_page that both addresses' alignment and the remaining size
  // allow (as Linux's direct map does). Pages already mapped stay as they are.
  void map(Gva va, Gpa pa, u64 size, u64 flags);

  std::size_t table_count() const { return tables_.size(); }
  // Which entries of table `i` are present.
  std::bitset<512> present(std::size_t i) const;
  // Table `i` as it reads when the tables sit at [base, base + count * 4 KiB).
  std::array<u64, 512> table(std::size_t i, Gpa base) const;
  // table(i, base), and the host copy of table i freed: once written into
  // guest memory only that copy is needed.
  std::array<u64, 512> take(std::size_t i, Gpa base);

 private:
  // An entry pointing at another table holds the table's number in its
  // address field and kChild, a bit the hardware ignores (bit 9), until
  // table() gives it the table's address. One page: it takes a page slot.
  struct Table {
    std::array<u64, 512> entry;
  };
  static constexpr u64 kChild = u64{1} << 9;
  // The table that holds leaves of `leaf` level for `va`, created on the
  // way down; kNoTable when a larger leaf already covers `va`.
  static constexpr std::size_t kNoTable = ~std::size_t{0};
  std::size_t table_for(Gva va, unsigned leaf);

  u64 max_page_;
  // Each table in a page slot of its own (page_slots()): growing the list
  // never copies them, and take() gives each slot back as it is written to
  // guest memory, where it can hold the next guest page.
  std::vector<Table*> tables_;
  std::vector<bool> has_child_;  // by table: some entry holds kChild (page tables hold leaves only)
};

struct GuestPagingSpec {
  Gpa ram_base = 0;  // guest RAM is [ram_base, ram_base + ram_bytes), as the firmware's memory map says
  u64 ram_bytes = 0;
  u64 page_size = kPageSize4K;  // the VM's guest_page_size
  bool bootstrap = true;        // this vCPU builds the tables; false: wait for the one that does
  // Set when the tables mapping RAM come with the kernel's image, built at
  // build time (Zephyr's arch/x86/gen_mmu.py: "the initial page tables
  // installed into the CPU at early boot", an identity map of the kernel's
  // RAM): the loader that copied the image into guest RAM before the VM ran
  // (ACRN's copy_to_gpa of the kernel module for a pre-launched VM, acrn-dm
  // for a post-launched one) writes them, untimed. The guest then maps its
  // windows at run time (Zephyr's device_map), with timed stores of the
  // entries it adds and of the table pages it takes from its pool.
  std::function<void(Gpa, const void*, u64)> image_loader;
  // Whose kernel and driver map the PCI windows, which decides their memory
  // type (guest_window_flags).
  GuestOsKind os = GuestOsKind::bare;
};

struct PciFunction;
struct PciMemoryBar;
// The leaf flags a guest OS maps a PCI memory window with, as its kernel and
// IVSHMEM driver do; the memory type they select through IA32_PAT combines
// with the EPT's (models/cpu/memory_type.h).
u64 guest_window_flags(GuestOsKind os, const PciFunction& f, const PciMemoryBar& bar);

struct GuestPagingLayout {
  Gpa cr3 = 0;          // the PML4 table
  Gpa tables_base = 0;  // where the tables sit (the bootstrap vCPU's result only)
  u64 tables_bytes = 0;
};

// The boot mailbox: the top 4 KiB page of RAM; the tables sit right below it.
constexpr Gpa guest_boot_mailbox(Gpa ram_base, u64 ram_bytes) { return page_base(ram_base + ram_bytes) - kPageSize4K; }

// At least what guest_paging_bring_up puts at the top of RAM (its tables
// and the mailbox page) for RAM of ram_bytes from GPA 0 and memory windows
// of these sizes (each naturally aligned), with leaves up to page_size. It
// counts every table each range could touch on its own, so it is an upper
// bound: validation uses it to keep a tool's data below the tables, and
// refuses a VM whose tables would take more than half its RAM.
u64 guest_paging_reserve_bound(u64 ram_bytes, u64 page_size, const std::vector<u64>& window_bytes);

// Bootstrap: scans PCI bus 0, sizes the memory BARs it finds, builds the
// tables below the mailbox, writes them with guest stores (with an
// image_loader, only what the windows add), publishes CR3 in the mailbox
// and loads it. Otherwise: waits for the mailbox, loads its CR3.
// Throws std::runtime_error when the tables do not fit.
GuestPagingLayout guest_paging_bring_up(Guest& g, const GuestPagingSpec& spec);

}  // namespace ivsim
