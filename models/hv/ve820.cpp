#include "models/hv/ve820.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/hv/vm.h"

namespace ivsim {

namespace {
constexpr Gpa kLowRamEnd = 0xA0000;                                       // 640 KiB of usable RAM under 1 MiB
constexpr Gpa kGpuOpregionGpa = kVirtAcpiDataAddr - kGpuOpregionBytes;    // GPU_OPREGION_GPA
constexpr Gpa kSwSramBaseGpa = kGpuOpregionGpa - kPreRtvmSwSramMaxBytes;  // PRE_RTVM_SW_SRAM_BASE_GPA
constexpr u64 kLowmemMaxLength = 2 * kGiB - kPreRtvmSwSramMaxBytes - kGpuOpregionBytes;
}  // namespace

std::vector<E820Entry> create_prelaunched_vm_e820(u64 memory_bytes) {
  if (memory_bytes < 4 * kMiB)
    throw std::invalid_argument("a pre-launched VM of " + std::to_string(memory_bytes) +
                                " bytes: its E820 needs more than the 3 MiB under 1 MiB and for ACPI");
  // pre_ve820_template, the RAM entry from 1 MiB revised to what the memory
  // leaves (the first 1 MiB and the 2 MiB of ACPI tables come out of it),
  // or the rest given an entry at 4 GiB.
  const bool high = memory_bytes > kLowmemMaxLength;
  std::vector<E820Entry> e{
      {0, kLowRamEnd, E820Type::ram},
      {kLowRamEnd, kMiB - kLowRamEnd, E820Type::reserved},
      {kMiB, high ? kSwSramBaseGpa - kMiB : memory_bytes - kMiB - kVirtAcpiBytes, E820Type::ram},
      {kSwSramBaseGpa, kPreRtvmSwSramMaxBytes, E820Type::reserved},
      {kGpuOpregionGpa, kGpuOpregionBytes, E820Type::reserved},
      {kVirtAcpiDataAddr, kMiB, E820Type::acpi_reclaim},
      {kVirtAcpiDataAddr + kMiB, kMiB, E820Type::acpi_nvs},
      {2 * kGiB, 2 * kGiB, E820Type::reserved},
  };
  if (high) e.push_back({kHighRamGpa, memory_bytes - kLowmemMaxLength, E820Type::ram});
  e.erase(std::remove_if(e.begin(), e.end(), [](const E820Entry& x) { return x.length == 0; }), e.end());
  std::stable_sort(e.begin(), e.end(), [](const E820Entry& a, const E820Entry& b) { return a.base < b.base; });
  return e;
}

std::vector<PrelaunchedMapping> prelaunched_vm_memmap(const std::vector<E820Entry>& e820) {
  std::vector<PrelaunchedMapping> m;
  for (const E820Entry& e : e820) {
    // Reserved above 1 MiB (Software SRAM, the GPU OpRegion, the PCI hole)
    // is not the VM's memory; below it, it is, mapped uncached.
    if (e.type == E820Type::reserved && e.base > kMiB) continue;
    m.push_back({e.base, e.length, e.type == E820Type::reserved});
  }
  return m;
}

u64 prelaunched_low_ram_end(u64 memory_bytes) {
  u64 end = 0;
  for (const E820Entry& e : create_prelaunched_vm_e820(memory_bytes))
    if (e.type == E820Type::ram && e.base < kHighRamGpa) end = std::max(end, e.base + e.length);
  return end;
}

u64 prelaunched_high_ram_bytes(u64 memory_bytes) {
  u64 bytes = 0;
  for (const E820Entry& e : create_prelaunched_vm_e820(memory_bytes))
    if (e.type == E820Type::ram && e.base >= kHighRamGpa) bytes += e.length;
  return bytes;
}

}  // namespace ivsim
