// Which timing profile models which CPU: the map from CPUID display family
// and model (as ACRN's board file writes them) to a profile of that CPU's
// microarchitecture, read from platforms/cpu-models.yaml, where every row
// names the model as Linux's arch/x86/include/asm/intel-family.h does.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

struct CpuModel {
  unsigned family = 6;
  unsigned model = 0;
  std::string name;     // the kernel's name, e.g. INTEL_FAM6_KABYLAKE_L
  std::string uarch;    // core microarchitecture, e.g. "Skylake (Whiskey Lake, Amber Lake, ...)"
  std::string profile;  // timing profile
  // The core type of threads whose board entry names none (a part without
  // CPUID leaf 0x1A, or "Reserved"): "" for the profile's first core type.
  std::string threads;
  std::string source;  // why this model is this microarchitecture and this profile
  // Split-lock detection enumerated in IA32_CORE_CAPABILITIES bit 5, which
  // is all ACRN checks (enable_ac_for_splitlock: has_core_cap); a part with
  // the detection but not the enumeration (Ice Lake) counts as without.
  bool split_lock_detect = false;
};

// Every row of the map, in file order. Throws ConfigError located in the
// file when it is malformed.
const std::vector<CpuModel>& cpu_models();
// The row for a CPU, or nullptr when the map has none.
const CpuModel* find_cpu_model(unsigned family, unsigned model);
// Its profile, "" when the map has no row.
std::string timing_profile_for_cpu(unsigned family, unsigned model);

}  // namespace ivsim
