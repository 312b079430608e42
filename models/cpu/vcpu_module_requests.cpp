// Requests another vCPU's emulation makes of this one that pause it until
// that vCPU signals: the split-lock emulation of a VM of several vCPUs (the
// stepping vCPU's side is Vcpu::bus_locked_cmpxchg) and WBINVD's emulation
// in a VM that is not the RT VM (HypervisorModule::wbinvd_emulation).
#include "models/cpu/vcpu_module.h"

namespace ivsim {

// vcpu_kick_lock_instr_emulation -> vcpu_make_request(ACRN_REQUEST_SPLIT_LOCK)
// -> kick_vcpu: the bit is set for a vCPU in VCPU_RUNNING, and one in its
// guest on its pCPU is kicked out of it; a halted one takes the request
// when something wakes it.
void Vcpu::make_split_lock_request(const Vcpu& stepping) { make_pausing_request(split_lock_, stepping); }

// vcpu_complete_lock_instr_emulation -> signal_event(VCPU_EVENT_SPLIT_LOCK):
// v3.3 signals every other running vCPU whether or not it has taken the
// request yet; the event stays set, so one that takes it later does not
// wait (wait_event returns at once on a set event).
void Vcpu::signal_split_lock_event() { signal_pausing_event(split_lock_); }

// wbinvd_vmexit_handler, in a VM that is not the RT VM while one exists:
// vcpu_make_request(ACRN_REQUEST_WAIT_WBINVD) of each other vCPU of the VM
// (foreach_vcpu, any state: a vCPU that is not running takes no kick and
// finds the event set when it next enters), and after the EPT walk
// signal_event(VCPU_EVENT_SYNC_WBINVD).
void Vcpu::make_wbinvd_request(const Vcpu& flushing) { make_pausing_request(wbinvd_, flushing); }
void Vcpu::signal_wbinvd_event() { signal_pausing_event(wbinvd_); }

void Vcpu::make_pausing_request(PausingRequest& r, const Vcpu& by) {
  if (!acrn_running()) return;
  r.pending = true;
  r.by = &by;
  kick();
}

void Vcpu::signal_pausing_event(PausingRequest& r) {
  if (!acrn_running()) return;
  r.event_set = true;
  if (wait_.kind == r.kind) pending_activity::notify(r.event, sc_core::SC_ZERO_TIME);
}

void Vcpu::handle_pausing_requests() {
  if (wbinvd_.pending) wait_pausing_event(wbinvd_, counters_.wbinvd_pauses, counters_.wbinvd_paused_ps);
  if (split_lock_.pending) wait_pausing_event(split_lock_, counters_.split_lock_pauses, counters_.split_lock_paused_ps);
}

// acrn_handle_pending_request, before the VM entry after the kick's exit:
// the request's wait_event. The vCPU's thread sleeps (sleep_thread,
// schedule) until the emulating vCPU signals the event, then is scheduled
// back (wake_thread) and enters its guest: priced as a halted vCPU's
// wake-up (hlt_wakeup: schedule and VM entry). No C1 exit is added: a
// split lock's step is too short for the idle loop to halt the core, and
// a WBINVD's flush keeps its pCPU's sibling busy in the hypervisor only if
// they share it (the twin does not halt a pCPU for it either way). The
// wait is time in the hypervisor.
void Vcpu::wait_pausing_event(PausingRequest& r, u64& pauses, TimePs& paused_ps) {
  // The request and the signal race in ACRN; here they are taken in time
  // order: the kernel runs whichever of the two vCPUs is earlier first.
  sync();
  r.pending = false;
  if (r.event_set) {
    r.event_set = false;
    return;
  }
  const TimePs t0 = now_ps();
  schedule_out(false);
  wait_ = Wait{r.kind, 0, 0, r.by};
  {
    RunAhead::Asleep asleep(run_ahead_);
    while (!r.event_set && !zombie_) sc_core::wait(r.event | zombie_event_);
  }
  // Cleared as wait_event clears it, before anything below can yield to a
  // vCPU that emulates again and signals again.
  r.event_set = false;
  resumed();
  wait_ = Wait{};
  const TimePs paused = now_ps() - t0;
  ++pauses;
  paused_ps += paused;
  cumulative_.add(Component::hv, paused);
  schedule_in(false, r.by ? r.by->thread_process_ : nullptr);
  if (zombie_) throw VcpuZombie{};
  charge(Component::hv, timing_.hlt_wakeup_ps);
}

}  // namespace ivsim
