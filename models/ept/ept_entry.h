// x86 EPT paging-structure entry format (Intel SDM Vol. 3C, "EPT Translation
// Mechanism"), with the flag names ACRN uses (hypervisor/include/arch/x86/asm/pgtable.h).
#pragma once

#include "models/core/types.h"

namespace ivsim::ept {

constexpr u64 kRead = u64{1} << 0;   // EPT_RD
constexpr u64 kWrite = u64{1} << 1;  // EPT_WR
constexpr u64 kExec = u64{1} << 2;   // EPT_EXE
constexpr u64 kRwx = kRead | kWrite | kExec;
constexpr unsigned kMemTypeShift = 3;  // bits 5:3 of a leaf entry
constexpr u64 kMemTypeMask = u64{7} << kMemTypeShift;
constexpr u64 kIgnorePat = u64{1} << 6;  // EPT_IGNORE_PAT
constexpr u64 kLargePage = u64{1} << 7;  // PS: leaf at PDPTE (1 GiB) or PDE (2 MiB)
constexpr u64 kAccessed = u64{1} << 8;
constexpr u64 kDirty = u64{1} << 9;
constexpr u64 kAddrMask = 0x000F'FFFF'FFFF'F000ULL;

enum class MemType : u8 { UC = 0, WC = 1, WT = 4, WP = 5, WB = 6 };

constexpr u64 mem_type_bits(MemType t) { return u64{static_cast<u8>(t)} << kMemTypeShift; }
constexpr MemType mem_type_of(u64 entry) { return static_cast<MemType>((entry & kMemTypeMask) >> kMemTypeShift); }

// ACRN's names for the memory-type field values.
constexpr u64 kUC = mem_type_bits(MemType::UC);  // EPT_UNCACHED
constexpr u64 kWB = mem_type_bits(MemType::WB);  // EPT_WB

constexpr bool is_present(u64 entry) { return (entry & kRwx) != 0; }

// Levels, root first: PML4 (512 GiB per entry), PDPT (1 GiB), PD (2 MiB), PT (4 KiB).
enum class Level : u8 { pml4 = 0, pdpt = 1, pd = 2, pt = 3 };
constexpr unsigned level_shift(Level l) { return 39 - 9 * static_cast<unsigned>(l); }
constexpr unsigned level_index(u64 gpa, Level l) { return (gpa >> level_shift(l)) & 0x1FF; }

}  // namespace ivsim::ept
