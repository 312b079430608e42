// What ACRN's split-lock #AC and UC-lock #GP detection can do on a board's
// CPU (hv/FEATURES/SPLIT_LOCK_DETECTION_ENABLED, UC_LOCK_DETECTION_ENABLED):
// ACRN turns each on only where IA32_CORE_CAPABILITIES enumerates it
// (enable_ac_for_splitlock, enable_gp_for_uclock: has_core_cap, bits 5 and
// 4), and reads that MSR only where CPUID says it exists (detect_core_caps).
#pragma once

#include "platforms/board.h"
#include "platforms/cpu_models.h"
#include "platforms/scenario.h"

namespace ivsim {

enum class LockDetection : u8 {
  off,          // the option is off
  unavailable,  // on, but the CPU cannot have it: ACRN leaves the lock alone
  enumerated,   // on, and the CPU enumerates it: ACRN traps the lock
  unknown,      // on, and nothing here says whether the CPU enumerates it
};

struct LockDetections {
  LockDetection split = LockDetection::off;
  LockDetection uc = LockDetection::off;
};

// has_core_cap(CORE_CAP_SPLIT_LOCK) as far as the twin knows it: the board's
// CPU has IA32_CORE_CAPABILITIES and the CPU model map says its bit 5 is set.
// Whether or not ACRN's own detection is configured.
inline bool enumerates_split_lock_detection(const Board& b) {
  const CpuModel* row = find_cpu_model(b.family_id, b.model_id);
  return b.core_capabilities_msr.value_or(true) && row && row->split_lock_detect;
}

inline LockDetections lock_detections(const Scenario& s, const Board& b) {
  // A board file that lists the CPU's capabilities without the MSR rules
  // both out; split-lock detection's enumeration per model comes from the
  // CPU model map (CpuModel::split_lock_detect); UC-lock #GP's has no source.
  const bool has_msr = b.core_capabilities_msr.value_or(true);
  const CpuModel* row = find_cpu_model(b.family_id, b.model_id);
  LockDetections d;
  if (s.split_lock_detection)
    d.split = enumerates_split_lock_detection(b) ? LockDetection::enumerated
              : !has_msr || row                  ? LockDetection::unavailable
                                                 : LockDetection::unknown;
  if (s.uc_lock_detection) d.uc = has_msr ? LockDetection::unknown : LockDetection::unavailable;
  return d;
}

}  // namespace ivsim
