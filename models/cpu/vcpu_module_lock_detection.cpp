// Where ACRN may trap a guest's bus lock that the twin lets lock the bus: a
// warning, once per vCPU and kind. (The VM's other vCPUs' side of the
// split-lock emulation is in vcpu_module_requests.cpp, the stepping vCPU's
// Vcpu::bus_locked_cmpxchg.)
#include "models/cpu/vcpu_module.h"

#include <spdlog/spdlog.h>

namespace ivsim {

// With CONFIG_SPLIT_LOCK_DETECTION_ENABLED (or the UC one), ACRN sets
// MSR_TEST_CTL's split-lock #AC (UC-lock #GP) bit on a CPU whose
// IA32_CORE_CAPABILITIES enumerates it (enable_ac_for_splitlock,
// enable_gp_for_uclock), and emulate_lock_instr then runs the instruction
// without its LOCK prefix. Where the twin does not emulate that (a UC lock;
// a split lock on a CPU the model map does not know), the lock locks the
// bus here, and once per vCPU and kind the run says so.
void Vcpu::warn_lock_detection(bool uc) {
  if (!(uc ? cfg_.uc_lock_detection : cfg_.split_lock_detection)) return;
  bool& warned = uc ? warned_uc_lock_ : warned_split_lock_;
  if (warned) return;
  warned = true;
  spdlog::warn(
      "{}: {} at {:.1f} ns locks the bus. With {} on a CPU whose IA32_CORE_CAPABILITIES has bit {}, ACRN traps it "
      "(#{}) and runs it without its LOCK prefix, so no bus lock happens (emulate_lock_instr: the VM's other vCPUs "
      "paused, one MTF step); ivsim emulates that only for a split lock on a CPU model known to enumerate the "
      "detection",
      name(), uc ? "a LOCK'd access to UC memory" : "a split lock (a LOCK'd access across two lines)",
      static_cast<double>(now_ps()) / 1000.0, uc ? "UC_LOCK_DETECTION_ENABLED" : "SPLIT_LOCK_DETECTION_ENABLED",
      uc ? 4 : 5, uc ? "GP" : "AC");
}

}  // namespace ivsim
