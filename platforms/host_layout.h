// Where things live in host physical memory: the hypervisor's EPT page
// pools, each VM's RAM, and the hv-land IVSHMEM reservation that ACRN's
// e820_alloc_memory takes from the top of RAM.
#pragma once

#include <map>

#include "models/core/types.h"
#include "platforms/board.h"
#include "platforms/scenario.h"

namespace ivsim {

struct HostLayout {
  u64 ram_top = 0;  // host RAM is [0, ram_top)
  // The hypervisor's EPT page pools, all VMs' (reserve_buffer_for_ept_pages:
  // e820_alloc_memory, so E820-reserved host RAM): [ept_pools_base, ept_pools_end).
  Hpa ept_pools_base = 0, ept_pools_end = 0;
  // The hypervisor's image (code, data, stacks; HV_RAM_SIZE from its load
  // address), whose content the twin does not model: [hypervisor_base, hypervisor_end).
  Hpa hypervisor_base = 0, hypervisor_end = 0;
  // The APIC-access page, one page of the image's data
  // (vlapic_apicv_get_apic_access_addr: a static 4 KiB array, so one page
  // for every VM), which vlapic_create maps at 0xFEE00000 in every VM's EPT.
  Hpa apic_access_page = 0;
  std::map<unsigned, Hpa> ept_pool;  // VM id -> its EPT page pool
  std::map<unsigned, u64> ept_pool_bytes;
  std::map<unsigned, Hpa> vm_ram;       // VM id -> host RAM backing guest RAM at GPA 0
  std::map<unsigned, Hpa> vm_ram_high;  // VM id -> host RAM backing its RAM from 4 GiB (User VMs of more than 2 GiB)
  Hpa ivshmem_base = 0;                 // hv-land reservation (0 when no hv-land region)
  u64 ivshmem_bytes = 0;
  u64 overcommitted_mib = 0;  // post-launched VMs' memory placed past the board's RAM (they would not all fit)
};

// A VM's guest RAM below 4 GiB: a post-launched VM's from GPA 0, at most
// 2 GiB below the PCI windows (the rest from 4 GiB, as acrn-dm lays it out);
// a pre-launched VM's up to the end of its E820's RAM entry from 1 MiB
// (models/hv/ve820.h: 2 MiB short of its memory, which holds its ACPI
// tables, or 2 GiB - 20 KiB - 2 MiB); the Service VM's all of it, 1:1 at its
// host address.
u64 low_ram_bytes(const VmConfig& vm);
// The VM's RAM from 4 GiB.
u64 high_ram_bytes(const VmConfig& vm);

// Throws ConfigError when the VMs and regions do not fit the board's RAM.
HostLayout plan_host_layout(const Scenario& scenario, const Board& board);

}  // namespace ivsim
