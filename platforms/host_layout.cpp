#include "platforms/host_layout.h"

#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_region_pool.h"
#include "models/hv/ve820.h"
#include "models/hv/vm.h"
#include "platforms/config_error.h"

namespace ivsim {

namespace {
// The hypervisor's page pools and its image sit low; VM RAM starts at 1 GiB.
constexpr Hpa kHypervisorBase = 64 * kMiB;
constexpr Hpa kVmRamBase = 1 * kGiB;
// Below 4 GiB from the ECAM window up (the local APIC page in it) is never
// Service VM memory: prepare_service_vm_memmap takes both out of its EPT.
constexpr Hpa kPciHoleBase = Hypervisor::kEcamBase;
constexpr Hpa kPciHoleEnd = 4 * kGiB;

u64 ept_pool_size(u64 mapped_bytes) {
  // Enough page-table pages to map RAM and the device windows with 4 KiB
  // leaves (ept_max_page may be 4K), plus the upper levels and slack for
  // BARs the guest moves and for the register pages, plus a page-directory-
  // pointer table for every 512 GiB of the 48-bit guest-physical space:
  // ACRN never frees one (try_to_free_pgtable_page stops at the PD), and
  // its pools (get_ept_page_num: PD and PT pages for all of host RAM and
  // 4 GiB) leave a BAR moved about room for them all. The page after them
  // is the dummy page (ept::PagePool).
  const u64 pt_pages = mapped_bytes / kPageSize2M + 1;
  const u64 pd_pages = mapped_bytes / kPageSize1G + 1;
  const u64 pdpt_pages = ept::kEntriesPerTable;
  return (pt_pages + pd_pages + 64 + pdpt_pages + 1) * kPageSize4K;
}

// What a VM's EPT maps besides its RAM: its IVSHMEM devices' shared memory
// (BAR2, at most twice while the guest moves it) and, for the Service VM,
// the hv-land pool it sees UC.
u64 ept_windows(const Scenario& s, const VmConfig& vm, u64 ivshmem_pool_bytes) {
  u64 bytes = vm.load_order == LoadOrder::service_vm ? ivshmem_pool_bytes : 0;
  // The Service VM maps the whole physical range (prepare_service_vm_memmap)
  // and the post-launched VMs' memory, which may lie past it.
  if (vm.load_order == LoadOrder::service_vm)
    for (const auto& other : s.vms)
      if (other.load_order == LoadOrder::post_launched) bytes += other.memory_mib * kMiB;
  for (const auto& r : s.regions)
    for (const auto& m : r.members)
      if (m.vm == vm.name) bytes += 2 * r.size_mib * kMiB;
  return bytes;
}
}  // namespace

u64 low_ram_bytes(const VmConfig& vm) {
  const u64 bytes = vm.memory_mib * kMiB;
  switch (vm.load_order) {
    case LoadOrder::service_vm:
      return bytes;
    case LoadOrder::pre_launched:
      return prelaunched_low_ram_end(bytes);
    case LoadOrder::post_launched:
      break;
  }
  return std::min(bytes, kLowRamLimit);
}

u64 high_ram_bytes(const VmConfig& vm) {
  const u64 bytes = vm.memory_mib * kMiB;
  switch (vm.load_order) {
    case LoadOrder::service_vm:
      return 0;
    case LoadOrder::pre_launched:
      return prelaunched_high_ram_bytes(bytes);
    case LoadOrder::post_launched:
      break;
  }
  return bytes - low_ram_bytes(vm);
}

HostLayout plan_host_layout(const Scenario& s, const Board& board) {
  HostLayout l;
  l.ram_top = round_up(board.ram_mib * kMiB, kPageSize2M);

  std::vector<IvshmemRegionPool::RegionSpec> hv_regions;
  for (const auto& r : s.regions)
    if (r.provider == Provider::hypervisor) hv_regions.push_back({r.name, r.region_id, r.size_mib * kMiB});
  if (!hv_regions.empty()) {
    l.ivshmem_bytes = IvshmemRegionPool::reservation_size(hv_regions);
    // e820_alloc_memory: from the top of the highest RAM entry, page aligned.
    l.ivshmem_base = page_base(l.ram_top - l.ivshmem_bytes);
  }
  const u64 usable_top = hv_regions.empty() ? l.ram_top : l.ivshmem_base;

  Hpa next_pool = kHypervisorBase;
  for (const auto& vm : s.vms) {
    l.ept_pool[vm.id] = next_pool;
    const u64 ram = vm.load_order == LoadOrder::service_vm ? l.ram_top : vm.memory_mib * kMiB;
    l.ept_pool_bytes[vm.id] = ept_pool_size(ram + ept_windows(s, vm, l.ivshmem_bytes));
    next_pool += l.ept_pool_bytes[vm.id];
  }
  l.ept_pools_base = kHypervisorBase;
  l.ept_pools_end = next_pool;
  // The image takes the rest below VM RAM (HV_RAM_SIZE is at most 1 GiB, hv_ram.py).
  l.hypervisor_base = next_pool;
  l.hypervisor_end = kVmRamBase;
  l.apic_access_page = round_up(l.hypervisor_base, kPageSize4K);
  if (l.apic_access_page + kPageSize4K > kVmRamBase)
    throw ConfigError(s.where("vms"), "vms", "the VMs' EPT page pools do not fit below 1 GiB of host memory");

  // Pre-launched VMs' memory is carved out first; the Service VM owns the
  // rest of host RAM, and post-launched VMs' memory comes out of it (the
  // Service VM's HSM pins its pages for them), from the top down.
  // A VM whose RAM is one host range: its part from 4 GiB comes last (for a
  // pre-launched VM, after its ACPI tables: prepare_prelaunched_vm_memmap).
  auto place = [&l](const VmConfig& vm, Hpa at) {
    l.vm_ram[vm.id] = at;
    l.vm_ram_high[vm.id] = at + vm.memory_mib * kMiB - high_ram_bytes(vm);
  };
  Hpa next_ram = kVmRamBase;
  for (const auto& vm : s.vms) {
    if (vm.load_order != LoadOrder::pre_launched) continue;
    place(vm, next_ram);
    next_ram += round_up(vm.memory_mib * kMiB, kPageSize2M);
  }
  const Hpa service_base = next_ram;
  // acrn-dm maps a User VM's RAM below 4 GiB and from 4 GiB as two ranges
  // of Service VM memory (vm_setup_memory): each from the top down, 2 MiB
  // aligned for large EPT leaves, and never across the PCI hole.
  Hpa top = usable_top;
  auto take = [&top](u64 bytes) {
    Hpa at = top >= bytes ? (top - bytes) & ~(kPageSize2M - 1) : 0;
    if (at < kPciHoleEnd && at + bytes > kPciHoleBase)
      at = kPciHoleBase >= bytes ? (kPciHoleBase - bytes) & ~(kPageSize2M - 1) : 0;
    top = at;
    return at;
  };
  for (const auto& vm : s.vms) {
    if (vm.load_order != LoadOrder::post_launched) continue;
    const u64 bytes = round_up(vm.memory_mib * kMiB, kPageSize2M);
    const u64 low = round_up(low_ram_bytes(vm), kPageSize2M);
    if (bytes == low) {
      place(vm, take(low));
    } else {
      l.vm_ram_high[vm.id] = take(bytes - low);
      l.vm_ram[vm.id] = take(low);
    }
  }
  u64 service_bytes = 0;
  for (const auto& vm : s.vms)
    if (vm.load_order == LoadOrder::service_vm) {
      place(vm, service_base);
      service_bytes = round_up(vm.memory_mib * kMiB, kPageSize2M);
    }
  if (service_base + service_bytes > usable_top)
    throw ConfigError(s.where("vms"), "vms",
                      "the pre-launched VMs' and the Service VM's memory and the IVSHMEM reservation (" +
                          std::to_string(l.ivshmem_bytes / kMiB) + " MiB) do not fit the board's " +
                          std::to_string(board.ram_mib) + " MiB of RAM above 1 GiB");
  if (top < service_base + service_bytes) {
    // ACRN scenario files describe every post-launched VM the platform may
    // run, not that all run at once: acrn-dm would fail to launch the ones
    // that do not fit. The twin launches them all, with host addresses past
    // the board's RAM for the overflow (host memory is sparse), and says so.
    l.overcommitted_mib = 0;
    Hpa next = round_up(l.ram_top, kGiB);
    for (const auto& vm : s.vms) {
      if (vm.load_order != LoadOrder::post_launched) continue;
      place(vm, next);
      next += round_up(vm.memory_mib * kMiB, kPageSize2M);
      l.overcommitted_mib += vm.memory_mib;
    }
    if (next > (u64{1} << board.physical_address_bits))
      throw ConfigError(s.where("vms"), "vms", "the VMs' memory does not fit the host physical address space");
  }

  return l;
}

}  // namespace ivsim
