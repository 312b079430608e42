// x86-64 4-level paging-structure entry format and CR3 (Intel SDM Vol. 3A,
// "4-Level Paging and 5-Level Paging"), as a guest kernel writes its own page
// tables. The EPT's format is a different one (models/ept/ept_entry.h).
#pragma once

#include "models/core/types.h"

namespace ivsim::x86 {

constexpr u64 kPresent = u64{1} << 0;   // P
constexpr u64 kWritable = u64{1} << 1;  // R/W: writes allowed (CR0.WP=1: also for supervisor)
constexpr u64 kUser = u64{1} << 2;      // U/S: user-mode accesses allowed
constexpr u64 kPwt = u64{1} << 3;       // page-level write-through
constexpr u64 kPcd = u64{1} << 4;       // page-level cache disable
constexpr u64 kAccessed = u64{1} << 5;  // A
constexpr u64 kDirty = u64{1} << 6;     // D (leaves only)
constexpr u64 kPageSize = u64{1} << 7;  // PS: leaf at PDPTE (1 GiB) or PDE (2 MiB); reserved in a PML4E
constexpr u64 kGlobal = u64{1} << 8;    // G (leaves only): survives a CR3 write when CR4.PGE=1
constexpr u64 kPatSmall = u64{1} << 7;  // PAT of a 4 KiB PTE (bit 7, PS's place in the upper levels)
constexpr u64 kPatLarge = u64{1} << 12;  // PAT of a 2 MiB or 1 GiB leaf
constexpr u64 kNoExec = u64{1} << 63;   // XD
// Bits 51:12: the physical address of the next table or of the page (with
// M = 52, the architectural maximum; a large leaf's low address bits are its PAT bit and reserved).
constexpr u64 kAddrMask = 0x000F'FFFF'FFFF'F000ULL;

// CR3 without PCIDs: bits 51:12 locate the PML4 table, bits 3 and 4 are PWT/PCD.
constexpr u64 kCr3AddrMask = kAddrMask;

// Levels, root first: PML4 (512 GiB per entry), PDPT (1 GiB), PD (2 MiB), PT (4 KiB).
enum class Level : u8 { pml4 = 0, pdpt = 1, pd = 2, pt = 3 };
constexpr unsigned kLevels = 4;
constexpr unsigned level_shift(Level l) { return 39 - 9 * static_cast<unsigned>(l); }
constexpr unsigned level_index(u64 va, Level l) { return (va >> level_shift(l)) & 0x1FF; }
constexpr u64 level_page_size(Level l) { return u64{1} << level_shift(l); }
constexpr Level next_level(Level l) { return static_cast<Level>(static_cast<unsigned>(l) + 1); }

// A leaf ends the walk: any PTE, or a PDPTE/PDE with PS set.
constexpr bool is_leaf(u64 entry, Level l) { return l == Level::pt || (l != Level::pml4 && (entry & kPageSize) != 0); }
// A leaf's index into IA32_PAT (SDM Vol. 3A, "Selecting a Memory Type from
// the PAT"): PAT, PCD, PWT as bits 2, 1, 0.
constexpr unsigned pat_index(u64 leaf, Level l) {
  const u64 pat = l == Level::pt ? kPatSmall : kPatLarge;
  return ((leaf & pat) ? 4u : 0u) | ((leaf & kPcd) ? 2u : 0u) | ((leaf & kPwt) ? 1u : 0u);
}
// The page's (or next table's) base: only address bits at and above the
// leaf size count (a large leaf's bit 12 is PAT, not address).
constexpr u64 entry_base(u64 entry, Level l) {
  return is_leaf(entry, l) ? entry & kAddrMask & ~(level_page_size(l) - 1) : entry & kAddrMask;
}

// Linear addresses are 48 bits, sign-extended (canonical) to 64.
constexpr unsigned kLinearBits = 48;
constexpr bool is_canonical(u64 va) {
  const u64 top = va >> (kLinearBits - 1);
  return top == 0 || top == (u64{1} << (64 - kLinearBits + 1)) - 1;
}

}  // namespace ivsim::x86
