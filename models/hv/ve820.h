// A pre-launched VM's guest-physical memory map as ACRN builds it: its
// virtual E820 (create_prelaunched_vm_e820, arch/x86/guest/ve820.c) and
// which entries its memory backs, in order (prepare_prelaunched_vm_memmap,
// arch/x86/guest/vm.c). The firmware tables the hypervisor builds for the
// VM (ACPI data and NVS, 2 MiB under 2 GiB) take the top 2 MiB of its
// memory, so its RAM below 4 GiB ends 2 MiB short of its size; a VM of
// more than 2 GiB - 20 KiB gets the rest from 4 GiB.
#pragma once

#include <vector>

#include "models/core/types.h"

namespace ivsim {

enum class E820Type { ram, reserved, acpi_reclaim, acpi_nvs };

struct E820Entry {
  Gpa base = 0;
  u64 length = 0;
  E820Type type = E820Type::ram;
};

// ACRN's constants for the layout (vacpi.h, ptdev.h, rtct.h). Software SRAM
// is not modelled: PRE_RTVM_SW_SRAM_MAX_SIZE is 0, as the configurator
// defines it for a board without it (misc_cfg.h.xsl).
constexpr Gpa kVirtAcpiDataAddr = 0x7FE0'0000;  // VIRT_ACPI_DATA_ADDR, 1 MiB, then VIRT_ACPI_NVS_ADDR, 1 MiB
constexpr u64 kVirtAcpiBytes = 2 * kMiB;        // VIRT_ACPI_DATA_LEN + VIRT_ACPI_NVS_LEN
constexpr u64 kGpuOpregionBytes = 0x5000;       // GPU_OPREGION_SIZE, just below the ACPI data
constexpr u64 kPreRtvmSwSramMaxBytes = 0;       // PRE_RTVM_SW_SRAM_MAX_SIZE

// The entries sorted by address (sort_vm_e820), empty ones left out. A VM
// of memory_bytes: [0, 640 KiB) RAM, [640 KiB, 1 MiB) reserved, RAM from
// 1 MiB, the Software SRAM and GPU OpRegion holes, the ACPI data and NVS,
// the 32-bit PCI hole [2 GiB, 4 GiB) reserved, and RAM from 4 GiB when the
// memory does not fit below. Throws std::invalid_argument below 4 MiB.
std::vector<E820Entry> create_prelaunched_vm_e820(u64 memory_bytes);

// One piece of the VM's memory in its EPT: consecutive pieces take
// consecutive host memory from the VM's first host byte on.
struct PrelaunchedMapping {
  Gpa gpa = 0;
  u64 bytes = 0;
  bool uncached = false;  // reserved below 1 MiB: backed, EPT_UNCACHED
};
// prepare_prelaunched_vm_memmap's walk of the E820: every entry but the
// reserved ones above 1 MiB takes the next bytes of the VM's memory.
std::vector<PrelaunchedMapping> prelaunched_vm_memmap(const std::vector<E820Entry>& e820);

// The end of the VM's RAM entry from 1 MiB (its RAM below 4 GiB, as a guest
// that reads the E820 uses it), and the bytes of its RAM from 4 GiB.
u64 prelaunched_low_ram_end(u64 memory_bytes);
u64 prelaunched_high_ram_bytes(u64 memory_bytes);

}  // namespace ivsim
