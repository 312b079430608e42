// Whether ACRN applies its workaround for the erratum "Machine Check Error on
// Page Size Change" (CVE-2018-12207) on a board: is_ept_force_4k_ipage in
// hypervisor/arch/x86/security.c. With it, init_ept_pgtable gives an RTVM
// 4 KiB EPT pages for every mapping with EPT_EXE (use_large_page), which is
// all of its RAM, and every VM's large EPT leaves lose EPT_EXE
// (ept_tweak_exe_right; models/ept/ept_table.h).
#pragma once

#include <fmt/format.h>

#include <array>
#include <string>

#include "platforms/board.h"
#include "platforms/scenario.h"

namespace ivsim {

// The family 6 models is_ept_force_4k_ipage lists as Atoms "not affected by
// the issue" (Bonnell, Saltwell, Silvermont, Airmont, Goldmont, Goldmont
// Plus and Tremont parts), in ACRN's order.
inline constexpr std::array<unsigned, 16> kPageSizeChangeUnaffectedAtoms = {
    0x26, 0x27, 0x35, 0x36, 0x37, 0x86, 0x1C, 0x4A, 0x4C, 0x4D, 0x5A, 0x5C, 0x5D, 0x5F, 0x6E, 0x7A};

struct EptForce4k {
  bool on = false;
  std::string why;  // for `ivsim show`
};

// is_ept_force_4k_ipage as far as the twin knows the CPU. The function also
// clears it when IA32_ARCH_CAPABILITIES has IF_PSCHANGE_MC_NO (bit 6); the
// board file records whether the CPU has that MSR, not its value, so the
// bit counts as clear: a board whose CPU sets it runs as ACRN does there
// with hypervisor.mce_on_psc false.
inline EptForce4k ept_force_4k_ipage(const Scenario& s, const Board& b) {
  if (!s.mce_on_psc)
    return {false, "hypervisor.mce_on_psc is false (MCE_ON_PSC_ENABLED n): is_ept_force_4k_ipage returns false"};
  if (b.family_id == 6)
    for (unsigned m : kPageSizeChangeUnaffectedAtoms)
      if (b.model_id == m)
        return {false, fmt::format("family 6 model {:#x} is an Atom is_ept_force_4k_ipage lists as unaffected by "
                                   "Machine Check Error on Page Size Change",
                                   m)};
  return {true,
          "hypervisor.mce_on_psc is true and the CPU is not an Atom is_ept_force_4k_ipage lists as unaffected "
          "(IA32_ARCH_CAPABILITIES.IF_PSCHANGE_MC_NO, which the board file does not give, counts as clear): an "
          "RTVM's RAM gets 4 KiB EPT pages, every VM's large EPT pages lose execute"};
}

}  // namespace ivsim
