// The memory type of a guest access under EPT (Intel SDM Vol. 3C, "Memory
// Type Used for Accessing Guest-Physical Addresses"; Vol. 3A, "Selecting
// Memory Types for Pentium III and More Recent Processor Families"): the
// EPT leaf's type alone when it sets IPAT (ACRN's EPT_IGNORE_PAT, which
// only hv-land IVSHMEM's BAR2 sets: ivshmem_vbar_map), else the EPT type
// combined with the type the guest's PAT entry selects, the EPT type taking
// the MTRRs' place in the SDM's table.
#pragma once

#include "models/core/types.h"
#include "models/cpu/vmcs.h"
#include "models/ept/ept_entry.h"

namespace ivsim {

// IA32_PAT's encodings; UC- (7) exists only here.
enum class PatType : u8 { UC = 0, WC = 1, WT = 4, WP = 5, WB = 6, UC_minus = 7 };

constexpr PatType pat_entry(u64 pat_msr, unsigned index) {
  return static_cast<PatType>((pat_msr >> (8 * (index & 7))) & 0x7);
}

// The SDM's "Effective Page-Level Memory Types" table, with the EPT memory
// type in the MTRR's place.
constexpr ept::MemType effective_memory_type(ept::MemType ept, PatType pat) {
  using M = ept::MemType;
  switch (pat) {
    case PatType::UC:
      return M::UC;
    case PatType::WC:
      return M::WC;
    case PatType::UC_minus:
      return ept == M::WC || ept == M::WP ? M::WC : M::UC;
    case PatType::WT:
      return ept == M::UC || ept == M::WC ? M::UC : M::WT;
    case PatType::WP:
      return ept == M::UC || ept == M::WC ? M::UC : M::WP;
    case PatType::WB:
      return ept;
  }
  return M::UC;
}

constexpr ept::MemType access_memory_type(u64 ept_leaf, unsigned pat_index, u64 pat_msr = kPatPowerOn) {
  const ept::MemType ept = ept::mem_type_of(ept_leaf);
  return (ept_leaf & ept::kIgnorePat) ? ept : effective_memory_type(ept, pat_entry(pat_msr, pat_index));
}

// The cache model holds a line for WB, WT and WP; UC and WC reads go to
// memory each time (WC's write combining is not modelled: its stores do too).
constexpr bool cacheable(ept::MemType t) { return t != ept::MemType::UC && t != ept::MemType::WC; }

}  // namespace ivsim
