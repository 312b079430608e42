// ACRN's split-lock emulation as the VM's other vCPUs see it (the stepping
// vCPU's side is Vcpu::bus_locked_cmpxchg), and where ACRN may trap a guest's
// bus lock that the twin lets lock the bus: a warning, once per vCPU and kind.
#include "models/cpu/vcpu_module.h"

#include <spdlog/spdlog.h>

namespace ivsim {

// vcpu_kick_lock_instr_emulation -> vcpu_make_request(ACRN_REQUEST_SPLIT_LOCK)
// -> kick_vcpu: the bit is set for a vCPU in VCPU_RUNNING, and one in its
// guest on its pCPU is kicked out of it; a halted one takes the request
// when something wakes it.
void Vcpu::make_split_lock_request(const Vcpu& stepping) {
  if (!acrn_running()) return;
  split_lock_request_ = true;
  split_lock_requested_by_ = &stepping;
  kick();
}

// vcpu_complete_lock_instr_emulation -> signal_event(VCPU_EVENT_SPLIT_LOCK):
// v3.3 signals every other running vCPU whether or not it has taken the
// request yet; the event stays set, so one that takes it later does not
// wait (wait_event returns at once on a set event).
void Vcpu::signal_split_lock_event() {
  if (!acrn_running()) return;
  split_lock_event_set_ = true;
  if (wait_.kind == WaitKind::split_lock) pending_activity::notify(split_lock_event_, sc_core::SC_ZERO_TIME);
}

// acrn_handle_pending_request, before the VM entry after the kick's exit:
// ACRN_REQUEST_SPLIT_LOCK -> wait_event(VCPU_EVENT_SPLIT_LOCK). The vCPU's
// thread sleeps (sleep_thread, schedule) until the stepping vCPU's MTF exit
// signals the event, then is scheduled back (wake_thread) and enters its
// guest: priced as a halted vCPU's wake-up (hlt_wakeup: schedule and VM
// entry). The wait lasts about a step, too short for the idle loop to halt
// the core, so no C1 exit is added. The wait is time in the hypervisor.
void Vcpu::handle_split_lock_request() {
  // The request and the signal race in ACRN; here they are taken in time
  // order: the kernel runs whichever of the two vCPUs is earlier first.
  sync();
  split_lock_request_ = false;
  if (split_lock_event_set_) {
    split_lock_event_set_ = false;
    return;
  }
  const TimePs t0 = now_ps();
  schedule_out(false);
  wait_ = Wait{WaitKind::split_lock, 0, 0, split_lock_requested_by_};
  {
    RunAhead::Asleep asleep(run_ahead_);
    while (!split_lock_event_set_ && !zombie_) sc_core::wait(split_lock_event_ | zombie_event_);
  }
  // Cleared as wait_event clears it, before anything below can yield to a
  // vCPU that steps its next split lock and signals again.
  split_lock_event_set_ = false;
  resumed();
  wait_ = Wait{};
  const TimePs paused = now_ps() - t0;
  ++counters_.split_lock_pauses;
  counters_.split_lock_paused_ps += paused;
  cumulative_.add(Component::hv, paused);
  schedule_in(false, split_lock_requested_by_ ? split_lock_requested_by_->thread_process_ : nullptr);
  if (zombie_) throw VcpuZombie{};
  charge(Component::hv, timing_.hlt_wakeup_ps);
}

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
