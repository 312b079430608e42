// A vCPU through its VM's lifecycle: paused (a zombie whose program
// unwinds), reset to its power-on state (or, after an INIT IPI, in INIT
// mode), started again, or shut down (hypervisor/arch/x86/guest/vcpu.c
// zombie_vcpu, reset_vcpu, launch_vcpu).
#include "models/cpu/vcpu_module.h"

namespace ivsim {

void Vcpu::make_zombie() {
  if (zombie_ || shut_down_) return;
  zombie_ = true;
  launches_at_zombie_ = launches_;
  // Taken like an interrupt that is due now: a running program meets it at
  // its next boundary, a halted or polling one wakes for it.
  irq_pending_ = true;
  irq_at_ps_ = 0;
  pending_activity::notify(irq_event_, sc_core::SC_ZERO_TIME);
  pending_activity::notify(zombie_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::launch() {
  ++launches_;
  pending_activity::notify(launch_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::init_reset() {
  // zombie_vcpu(VCPU_ZOMBIE), then reset_vcpu(INIT_RESET). Its vLAPIC is
  // reset now (vlapic_reset): until the SIPI's start it ignores interrupts
  // and matches no logical destination, and its timer does not fire. The
  // rest of the reset (registers, paging, handlers) is power_on_reset's
  // when it starts again: nothing runs on the vCPU in between. A second
  // INIT finds it in VCPU_INIT already, which the hypervisor checks.
  make_zombie();
  if (!shut_down_) {
    lapic_.init_reset();
    lapic_timer_followed_ = false;
    pending_activity::cancel(lapic_timer_event_);
  }
  init_reset_pending_ = true;
  awaiting_sipi_ = true;
  ++counters_.init_resets;
}

void Vcpu::sipi_start() {
  // launch_vcpu: at the SIPI's entry, which is its program's start.
  awaiting_sipi_ = false;
  ++counters_.sipi_starts;
  launch();
}

void Vcpu::shut_down() {
  make_zombie();
  shut_down_ = true;
  pending_activity::notify(launch_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::power_on_reset() {
  // reset_vcpu: registers, the LAPIC (vlapic_reset) and paging back to
  // their power-on values; handlers the previous boot's program installed
  // are gone with it. Memory (and the regions) keep their contents.
  zombie_ = false;
  ++boots_;
  // The SVR as the guest kernel's new boot leaves it (after an INIT, over
  // the reset the INIT made: init_reset).
  const bool kept_x2apic = init_reset_pending_ && lapic_.x2apic();
  lapic_ = VLapic(cfg_.apic_id, cfg_.index == 0, timing_.tsc_clock, cfg_.lapic_passthrough ? timing_.crystal_khz : 0,
                  timing_.min_timer_period_ps);
  if (kept_x2apic) lapic_.keep_x2apic_mode_after_init();  // vlapic_reset(INIT_RESET)
  init_reset_pending_ = false;
  handlers_.clear();
  // vcpu_reset_internal leaves pending_req alone: an NMI requested before
  // the reset (ACRN_REQUEST_NMI) is injected at the first VM entry after it.
  irq_pending_ = nmi_pending_;
  lapic_timer_followed_ = false;
  irq_at_ps_ = 0;
  // vcpu_reset_internal: reset_event of each VCPU_EVENT_*; a request the
  // previous boot left goes with its wait.
  split_lock_.pending = split_lock_.event_set = false;
  wbinvd_.pending = wbinvd_.event_set = false;
  in_isr_ = in_nmi_ = false;
  wait_ = Wait{};
  halted_in_guest_ = false;
  init_held_ = false;
  kick_external_ = false;
  in_exit_ = false;  // a pause ends an exit inside its transaction
  mmu_.power_on();
  tlb_.flush();
  finished_ = false;
}

}  // namespace ivsim
