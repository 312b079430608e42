#include "workloads/guest_paging.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/cpu/x86_paging.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_bars.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

// Non-leaf entries grant everything and leave permissions to the leaves
// (Linux's _KERNPG_TABLE); Accessed is set up front so no walk has to.
constexpr u64 kTableFlags = x86::kPresent | x86::kWritable | x86::kAccessed;
// RAM and prefetchable windows: writable, Accessed and Dirty preset (Linux's
// __PAGE_KERNEL does the same for the direct map).
constexpr u64 kRamFlags = x86::kWritable | x86::kAccessed | x86::kDirty;
// Register windows: uncached (PAT entry 3, UC).
constexpr u64 kMmioFlags = kRamFlags | x86::kPcd | x86::kPwt;
// Linux's ioremap() and its sysfs resourceN mmap (pgprot_device): UC-
// (PAT entry 2).
constexpr u64 kLinuxMmioFlags = kRamFlags | x86::kPcd;

// Marks the mailbox as written (a CR3 value is never 0 with it set).
constexpr u64 kPublished = 1;

unsigned leaf_level(u64 page) { return page == kPageSize1G ? 1 : page == kPageSize2M ? 2 : 3; }

}  // namespace

GuestPageTables::GuestPageTables(u64 max_page) : max_page_(max_page) {
  if (max_page != kPageSize4K && max_page != kPageSize2M && max_page != kPageSize1G)
    throw std::invalid_argument("guest page size must be 4 KiB, 2 MiB or 1 GiB");
  tables_.push_back(new (page_slots().allocate()) Table);
  has_child_.push_back(false);
}

GuestPageTables::~GuestPageTables() {
  for (Table* t : tables_)
    if (t) page_slots().release(t);
}

void GuestPageTables::map(Gva va, Gpa pa, u64 size, u64 flags) {
  if (!is_aligned(va | pa | size, kPageSize4K)) throw std::invalid_argument("guest mapping must be 4 KiB aligned");
  if (flags & kChild) throw std::invalid_argument("guest mapping flags must leave bit 9 to the table builder");
  const Gva end = va + size;
  // The largest leaf that is aligned and fits.
  auto leaf_size = [&](Gva v, Gpa p) {
    u64 page = max_page_;
    while (page > kPageSize4K && (!is_aligned(v | p, page) || end - v < page)) page >>= 9;
    return page;
  };
  while (va < end) {
    const u64 page = leaf_size(va, pa);
    const unsigned level = leaf_level(page);
    // One descent per run of same-size leaves in one table.
    const std::size_t t = table_for(va, level);
    const unsigned first = x86::level_index(va, static_cast<x86::Level>(level));
    // The run keeps this size to the table's end or while a whole leaf
    // fits: a larger leaf would need both addresses aligned to it, which
    // they are only where the next table begins.
    const unsigned n = static_cast<unsigned>(std::min<u64>(512 - first, (end - va) / page));
    if (t != kNoTable) {
      u64* entry = tables_[t]->entry.data();
      const u64 bits = flags | x86::kPresent | (level < 3 ? x86::kPageSize : 0);
      for (unsigned k = 0; k < n; ++k)
        if (!(entry[first + k] & x86::kPresent)) entry[first + k] = (pa + k * page) | bits;  // mapped: keep
    }
    va += n * page;
    pa += n * page;
  }
}

std::size_t GuestPageTables::table_for(Gva va, unsigned leaf) {
  std::size_t t = 0;
  for (unsigned level = 0; level < leaf; ++level) {
    const unsigned i = x86::level_index(va, static_cast<x86::Level>(level));
    if (!(tables_[t]->entry[i] & x86::kPresent)) {
      tables_.push_back(new (page_slots().allocate()) Table);
      has_child_.push_back(false);
      tables_[t]->entry[i] = (u64{tables_.size() - 1} << kPageShift4K) | kTableFlags | kChild;
      has_child_[t] = true;
    } else if (!(tables_[t]->entry[i] & kChild)) {
      return kNoTable;  // a larger leaf already covers it
    }
    t = tables_[t]->entry[i] >> kPageShift4K & (x86::kAddrMask >> kPageShift4K);
  }
  return t;
}

std::array<u64, 512> GuestPageTables::table(std::size_t i, Gpa base) const {
  if (!tables_.at(i)) throw std::logic_error("guest page table " + std::to_string(i) + " was already taken");
  const Table& t = *tables_[i];
  std::array<u64, 512> out = t.entry;
  if (!has_child_[i]) return out;
  for (u64& e : out)
    if (e & kChild) e = (e & ~kChild) + base;  // table number << 12 becomes base + number * 4 KiB
  return out;
}

std::bitset<512> GuestPageTables::present(std::size_t i) const {
  if (!tables_.at(i)) throw std::logic_error("guest page table " + std::to_string(i) + " was already taken");
  std::bitset<512> out;
  for (unsigned k = 0; k < 512; ++k)
    if (tables_[i]->entry[k] & x86::kPresent) out.set(k);
  return out;
}

std::array<u64, 512> GuestPageTables::take(std::size_t i, Gpa base) {
  const std::array<u64, 512> out = table(i, base);
  page_slots().release(tables_[i]);
  tables_[i] = nullptr;
  return out;
}

u64 guest_paging_reserve_bound(u64 ram_bytes, u64 page_size, const std::vector<u64>& window_bytes) {
  // A range needs tables of a level (PT, PD, PDPT: each covering 2 MiB,
  // 1 GiB, 512 GiB) for every block of that coverage it touches, unless its
  // leaves are at least that large; then only for an unaligned head and tail.
  auto tables = [page_size](u64 bytes) {
    u64 n = 0;
    for (const u64 cover : {kPageSize2M, kPageSize1G, u64{512} * kPageSize1G})
      n += page_size < cover ? bytes / cover + 2 : 2;
    return n;
  };
  // The PML4, RAM, bus 0's ECAM window, the LAPIC page.
  u64 count = 1 + tables(ram_bytes) + tables(u64{1} << 20) + tables(kPageSize4K);
  for (u64 w : window_bytes) count += tables(round_up(w, kPageSize4K));
  return (count + 1) * kPageSize4K;  // and the mailbox page
}

u64 guest_window_flags(GuestOsKind os, const PciFunction& f, const PciMemoryBar& bar) {
  const bool shm = (u32{f.device} << 16 | f.vendor) == kIvshmemIds && bar.index == kIvshmemShmBar;
  switch (os) {
    case GuestOsKind::linux_uio:
      // ACRN's sample application maps /sys/class/uio/uio0/device/resource2
      // (not resource2_wc): UC-, as every other window; ACRN's vMTRR
      // default type UC keeps Linux from mapping MMIO WB anyway (the reason
      // ACRN gave hv-land's BAR2 EPT_IGNORE_PAT).
      return kLinuxMmioFlags;
    case GuestOsKind::zephyr:
      // Zephyr's ivshmem driver: z_phys_map(..., K_MEM_CACHE_WB) for the
      // shared memory, device_map(..., K_MEM_CACHE_NONE) for the registers.
      return shm ? kRamFlags : kMmioFlags;
    case GuestOsKind::bare:
    case GuestOsKind::windows:
      break;
  }
  // A prefetchable window cached, a register window uncached.
  return bar.prefetchable ? kRamFlags : kMmioFlags;
}

GuestPagingLayout guest_paging_bring_up(Guest& g, const GuestPagingSpec& spec) {
  const Gpa mailbox = guest_boot_mailbox(spec.ram_base, spec.ram_bytes);
  if (!spec.bootstrap) {
    // An application processor: spin until the BSP has published its CR3.
    GuestPagingLayout layout;
    layout.cr3 = g.wait_until(mailbox, 8, Cmp::ne, 0) & ~kPublished;
    g.write_cr3(layout.cr3);
    return layout;
  }
  GuestPageTables tables(spec.page_size);
  const Gpa ram_end = page_base(spec.ram_base + spec.ram_bytes);
  tables.map(page_base(spec.ram_base), page_base(spec.ram_base), ram_end - page_base(spec.ram_base), kRamFlags);
  // What the image holds (with an image loader): these tables, with the
  // entries present so far.
  std::vector<std::bitset<512>> in_image;
  if (spec.image_loader)
    for (std::size_t i = 0; i < tables.table_count(); ++i) in_image.push_back(tables.present(i));
  // Bus 0's ECAM page range (the MCFG window Linux maps for config access).
  tables.map(kEcamBase, kEcamBase, u64{1} << 20, kMmioFlags);
  // The local APIC's page (Linux's APIC fixmap), uncached.
  tables.map(VLapic::kDefaultBase, VLapic::kDefaultBase, kPageSize4K, kMmioFlags);
  // The windows the bus scan found, identity-mapped like RAM (an ioremap at
  // boot), and kept as the functions' resources for their drivers.
  std::vector<PciMemoryBar> resources;
  for (const PciFunction& f : pci_scan_bus(g, 0))
    for (const PciMemoryBar& bar : pci_memory_bars(g, f.bdf)) {
      const Gpa first = page_base(bar.base);
      const Gpa end = round_up(bar.base + bar.size, kPageSize4K);
      tables.map(first, first, end - first, guest_window_flags(spec.os, f, bar));
      resources.push_back(bar);
    }
  pci_record_resources(g, resources);

  GuestPagingLayout layout;
  layout.tables_bytes = tables.table_count() * kPageSize4K;
  if (layout.tables_bytes + kPageSize4K > spec.ram_bytes / 2)
    throw std::runtime_error("guest page tables (" + std::to_string(layout.tables_bytes) +
                             " bytes) do not fit the guest's RAM");
  layout.tables_base = mailbox - layout.tables_bytes;
  layout.cr3 = layout.tables_base;

  // The kernel clears and fills each table page with ordinary stores; with
  // an image loader, only the pages its windows took from the pool, then the
  // entries they added to the image's tables.
  for (std::size_t i = in_image.size(); i < tables.table_count(); ++i) {
    const std::array<u64, 512> page = tables.take(i, layout.tables_base);
    g.write(layout.tables_base + i * kPageSize4K, page.data(), kPageSize4K);
  }
  for (std::size_t i = 0; i < in_image.size(); ++i) {
    const std::array<u64, 512> page = tables.take(i, layout.tables_base);
    const Gpa at = layout.tables_base + i * kPageSize4K;
    std::array<u64, 512> image{};
    for (unsigned k = 0; k < 512; ++k)
      if (in_image[i].test(k)) image[k] = page[k];
    spec.image_loader(at, image.data(), kPageSize4K);
    for (unsigned k = 0; k < 512; ++k)
      if (!in_image[i].test(k) && page[k] != 0) g.store<u64>(at + k * 8, page[k]);
  }
  g.store<u64>(mailbox, layout.cr3 | kPublished);
  g.write_cr3(layout.cr3);
  return layout;
}

}  // namespace ivsim
