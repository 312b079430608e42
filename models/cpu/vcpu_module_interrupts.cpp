// Interrupts: the virtual LAPIC accepting requests, taking them at
// instruction boundaries, HLT.
#include "models/cpu/vcpu_module.h"

namespace ivsim {

using sc_core::sc_time;

void Vcpu::raise_interrupt(u8 vector, TimePs sent_at_ps, const Breakdown& blame, IrqPath path, bool nmi) {
  // A local source (this vCPU's own LAPIC timer or self-IPI) is injected at
  // VM entry; a remote one needs a notification, or is a physical IPI.
  const TimePs delivery = path == IrqPath::local          ? 0
                          : path == IrqPath::physical_ipi ? timing_.irq_lapic_pt_delivery_ps
                                                          : timing_.irq_posted_delivery_ps;
  Breakdown critical = blame;
  critical.add(Component::irq, delivery);
  if (trace::Sink* t = trace::sink()) t->interrupt(trace_cpu(), vector, sent_at_ps, sent_at_ps + delivery);
  post_interrupt(vector, sent_at_ps + delivery, critical, nmi);
  // Another vCPU's NMI IPI is no posted interrupt: vcpu_inject_nmi makes
  // ACRN_REQUEST_NMI and kicks (kick_vcpu), so a vCPU in its guest exits
  // and takes the NMI at the VM entry after.
  if (nmi && path == IrqPath::posted) kick(sent_at_ps + delivery);
  // apicv_advanced_accept_intr sends the notification to this vCPU's pCPU
  // whether or not the vCPU runs there. Waiting for its turn, another VM's
  // vCPU runs there instead, whose VMCS has another notification vector
  // (POSTED_INTR_VECTOR + vm_id): to it the IPI is an external interrupt,
  // so it exits (handle_pi_notification runs for this vCPU).
  if (path == IrqPath::posted && sched_ && wait_.kind == WaitKind::pcpu)
    if (SchedEntity* cur = sched_->current()) {
      auto* runner = static_cast<Vcpu*>(cur->owner);
      if (runner->cfg_.vm != cfg_.vm) runner->kick(sent_at_ps + delivery);
    }
}

void Vcpu::post_interrupt(u8 vector, TimePs at, const Breakdown& blame, bool nmi) {
  if (nmi) {
    // vcpu_inject_nmi: the request bit ACRN_REQUEST_NMI, not held in the
    // IRR, not masked by the task priority. One bit: NMIs sent before
    // acrn_handle_pending_request injects the first (or, while the guest's
    // NMI handler blocks NMIs, before is_nmi_injectable lets it through)
    // are one NMI, as a core latches at most one.
    nmi_pending_ = true;
  } else if (vector < VLapic::kFirstVector && lapic_.software_enabled()) {
    // vlapic_set_intr: a reserved vector is ignored, a receive error
    // (vlapic_set_error), which an unmasked LVT Error reports as its own
    // interrupt. A software-disabled LAPIC never gets that far
    // (vlapic_receive_intr asks vlapic_enabled first): no error.
    ++counters_.interrupts_ignored;
    const int error_vector = lapic_.set_error(VLapic::kEsrReceiveIllegalVector);
    if (error_vector >= 0) post_interrupt(static_cast<u8>(error_vector), at, blame, false);
    return;
  } else if (lapic_.accept(vector) != VLapic::Refusal::none) {
    // vlapic_accept_intr: any request is ignored while the LAPIC is
    // software-disabled (SVR bit 8 clear).
    ++counters_.interrupts_ignored;
    return;
  }
  if (!irq_pending_ || at < irq_at_ps_) {
    irq_at_ps_ = at;
    irq_blame_ = blame;
    irq_sender_ = sched_ ? sc_core::sc_get_current_process_b() : nullptr;  // a shared pCPU's scheduler asks
  }
  irq_pending_ = true;
  const TimePs kernel = kernel_ps();
  pending_activity::notify(irq_event_, sc_time::from_value(at > kernel ? at - kernel : 0));
}

void Vcpu::follow_lapic_timer() {
  if (!lapic_.timer_armed()) {
    // Disarmed before it expired: what else is pending, as take_interrupts
    // leaves it (a wake-up already asked for finds nothing to take).
    if (!lapic_timer_followed_) return;
    lapic_timer_followed_ = false;
    pending_activity::cancel(lapic_timer_event_);
    irq_pending_ = requests_left();
    return;
  }
  lapic_timer_followed_ = true;
  const TimePs at = lapic_.timer_deadline_ps();
  if (!irq_pending_ || at < irq_at_ps_) {
    irq_at_ps_ = at;
    // A vCPU that waits for its timer waits on the timer.
    irq_blame_ = Breakdown{};
    irq_blame_.add(Component::timer, 1);
    irq_sender_ = nullptr;  // the hypervisor's timer, on this vCPU's pCPU
  }
  irq_pending_ = true;
  // A pending notification at a later time would stay: cancel it first.
  const TimePs kernel = kernel_ps();
  lapic_timer_event_.cancel();
  pending_activity::notify(lapic_timer_event_, sc_time::from_value(at > kernel ? at - kernel : 0));
}

void Vcpu::lapic_timer_fired() {
  if (lapic_timer_followed_) pending_activity::notify(irq_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::expire_lapic_timer() {
  lapic_timer_followed_ = false;
  pending_activity::cancel(lapic_timer_event_);
  const int vector = lapic_.expire_timer(now_ps());
  if (vector < 0) return;  // masked: it fires and requests nothing
  ++counters_.timer_interrupts;
  if (vector < static_cast<int>(VLapic::kFirstVector)) {
    // vlapic_fire_lvt -> vlapic_set_intr: a receive error, as for any request.
    ++counters_.interrupts_ignored;
    const int error_vector = lapic_.set_error(VLapic::kEsrReceiveIllegalVector);
    if (error_vector >= 0 && lapic_.accept(static_cast<u8>(error_vector)) != VLapic::Refusal::none)
      ++counters_.interrupts_ignored;
    return;
  }
  if (lapic_.accept(static_cast<u8>(vector)) != VLapic::Refusal::none) ++counters_.interrupts_ignored;
}

void Vcpu::take_interrupts() {
  if (zombie_) throw VcpuZombie{};
  if (now_ps() < irq_at_ps_) return;
  if (kick_due_) {
    // kick_pcpu: the notification IPI exits the guest, whatever it masks;
    // a LAPIC-passthrough vCPU's pCPU is kicked with an INIT instead
    // (mode_to_kick_pcpu, DEL_MODE_INIT from create_vcpu). The handler does
    // nothing, and acrn_handle_pending_request's INVEPT runs before the VM
    // entry. Another VM's stray physical IPI (host_interrupt) exits as an
    // external interrupt, which dispatch_interrupt counts as spurious.
    kick_due_ = false;
    const bool init = cfg_.lapic_passthrough && !kick_external_;
    kick_external_ = false;
    count_local_exit(init ? ExitReason::init_signal : ExitReason::external_interrupt);
    charge(Component::exit, timing_.vm_exit_entry_ps);
    if (init) end_local_init_exit();
  }
  // Another vCPU of the VM steps a split lock or flushes the VM's memory
  // for a WBINVD: this one waits for it before its VM entry
  // (vcpu_module_requests.cpp).
  if (pausing_request_pending()) handle_pausing_requests();
  take_held_init();
  if (lapic_timer_due()) {
    // ACRN's vLAPIC timer is a hypervisor timer on this pCPU's LAPIC: it
    // expires while the guest runs (or polls), so it exits it
    // (external_interrupt), and timer_softirq's vlapic_timer_expired
    // requests the vector, masked or not, for the VM entry. Under LAPIC
    // passthrough the physical timer interrupts the guest directly.
    if (!lapic_passed_through()) {
      count_local_exit(ExitReason::external_interrupt);
      charge(Component::exit, timing_.vm_exit_entry_ps);
      charge(Component::hv, timing_.timer_emulation_ps);
    }
    expire_lapic_timer();
  }
  // An NMI is taken even inside another handler, never inside its own
  // (NMIs stay blocked until the NMI handler returns).
  if (nmi_pending_ && !in_nmi_) {
    in_nmi_ = true;
    while (nmi_pending_) {  // one sent during the handler is injected after it
      nmi_pending_ = false;
      ++counters_.interrupts;
      ++counters_.nmis;
      charge(Component::irq, timing_.isr_entry_ps);
      auto h = handlers_.find(kNmiVector);
      if (h != handlers_.end()) h->second(*this);
    }
    in_nmi_ = false;
  }
  if (in_isr_) return;
  in_isr_ = true;
  if (ticks_due_) run_ticks();
  // Handlers run with interrupts off; each ends with an EOI, so a request
  // of a class the handler was blocking is taken right after it.
  while (lapic_.deliverable() >= 0) {
    const u8 vector = lapic_.acknowledge();
    const TimePs isr_start = now_ps();
    ++counters_.interrupts;
    charge(Component::irq, timing_.isr_entry_ps);
    auto h = handlers_.find(vector);
    if (h != handlers_.end()) h->second(*this);
    lapic_.eoi();
    if (trace::Sink* t = trace::sink()) t->isr(trace_cpu(), vector, isr_start, now_ps());
  }
  in_isr_ = false;
  // Requests masked by the task priority stay pending for a later boundary.
  irq_pending_ = requests_left();
  if (lapic_.timer_armed()) follow_lapic_timer();
}

u8 Vcpu::halt() {
  // HLT exits; the hypervisor takes the vCPU off its pCPU until an
  // interrupt arrives, then schedules it back (hlt_wakeup: wake + VM entry);
  // its pCPU, idle meanwhile, halts in C1 if nothing else runs there
  // (cpu_do_idle in IDLE_MODE_HLT), and the interrupt brings it out first.
  // Under LAPIC passthrough it does not exit (switch_apicv_mode_x2apic
  // clears HLT exiting): the core halts in the guest, on its own pCPU, and
  // the interrupt that wakes it brings it out of C1 (c1_exit). A vCPU that
  // shares its pCPU, which ACRN's configurations do not give a
  // passthrough VM, keeps the exit, so its scheduler still runs.
  sync_before_sleep();
  if (lapic_passed_through() && !sched_) return sleep_until_interrupt(true);
  count_local_exit(ExitReason::hlt);
  if (lapic_.deliverable() < 0 && lapic_.highest_requested_from_32() >= 0) {
    // hlt_vmexit_handler waits only when vlapic_has_pending_intr is false,
    // and under APICv that is vlapic_find_highest_irr, which ignores the
    // processor priority: a request the task priority masks ends the HLT
    // at once. The guest is back after its HLT with nothing taken.
    Breakdown cost;
    cost.add(Component::exit, timing_.vm_exit_entry_ps);
    charge_local_exit(ExitReason::hlt, cost);
    return 0;
  }
  return sleep_until_interrupt(false);
}

void Vcpu::charge_local_exit(ExitReason r, const Breakdown& cost) {
  const TimePs start = now_ps();
  cumulative_ += cost;
  local_ps_ += cost.total();
  if (trace::Sink* s = trace::sink()) s->vm_exit(trace_cpu(), exit_reason_name(r), start, cost);
}

u8 Vcpu::sleep_until_interrupt(bool in_guest) {
  const TimePs t0 = now_ps();
  if (!in_guest) schedule_out(false);  // a halted vCPU yields its pCPU
  wait_ = Wait{WaitKind::interrupt, 0, 0, nullptr};
  halted_in_guest_ = in_guest;
  // Halted in the guest, a kick's INIT splits the halt: halted_ps holds the
  // stretches before it, halt_from_ps starts the current one.
  TimePs halt_from_ps = t0, halted_ps = 0;
  bool kicked = false;
  // Only a kick's INIT is due now, no request the guest takes (a kick that
  // came as the vCPU went to halt counts as pending too: either way round,
  // the INIT's exit ends in the halt).
  auto only_kick = [&] {
    const bool guest_request = nmi_pending_ || lapic_.deliverable() >= 0 || ticks_due_ != 0 ||
                               (lapic_timer_due() && !(lapic_.lvt_timer() & VLapic::kLvtMasked));
    return halted_in_guest_ && kick_due_ && (!guest_request || irq_at_ps_ > now_ps());
  };
  for (;;) {
    {
      RunAhead::Asleep asleep(run_ahead_);
      fall_asleep_ahead();
      while (!irq_pending_ && !(halted_in_guest_ && kick_due_)) sc_core::wait(irq_event_);
      asleep_ahead_ps_ = 0;
    }
    while (irq_at_ps_ > now_ps() && !only_kick()) {
      // An armed LAPIC timer's deadline may be far off: a request that comes
      // before it (irq_event_) ends the wait at its own time.
      if (lapic_timer_followed_) {
        sc_core::wait(sc_time::from_value(irq_at_ps_ - now_ps()), irq_event_);
      } else {
        sc_core::wait(sc_time::from_value(irq_at_ps_ - now_ps()));
        break;
      }
    }
    if (!zombie_ && only_kick()) {
      take_init_kick_halted(halt_from_ps, halted_ps);
      kicked = true;
      continue;
    }
    // A masked timer expires without a request (vlapic_timer_expired): the
    // vCPU stays halted (the local time is 0 here). A periodic one goes on
    // without being followed: only this vCPU could unmask it, and the expiry
    // on its wake-up below moves it to its next period after then, as its
    // expiries in between would have.
    if (zombie_ || !lapic_timer_due() || !(lapic_.lvt_timer() & VLapic::kLvtMasked) || requests_left()) break;
    expire_lapic_timer();
    irq_pending_ = false;
  }
  resumed();
  if (trace::Sink* t = trace::sink()) t->halt(trace_cpu(), halt_from_ps, now_ps());
  wait_ = Wait{};
  halted_in_guest_ = false;
  apportion_add(cumulative_, halted_ps + (now_ps() - halt_from_ps), irq_blame_);
  segment_base_ = cumulative_;
  // The pCPU it left idles when no other vCPU runs or waits to run there.
  const bool pcpu_idle = !sched_ || (sched_->current() == nullptr && !sched_->others_runnable(entity_));
  // The idle loop may be running a debug build's console callback: the
  // wake-up waits for it, with the core already out of C1.
  const bool console_waited =
      !in_guest && pcpu_idle && wait_for_idle_console(sched_ ? std::max(t0, sched_->idle_since_ps()) : t0);
  if (!in_guest) schedule_in(false, irq_sender_);
  restart_ticks();

  // A request that came while a kick's INIT had the core out of its halt is
  // taken at the VM entry: the core does not halt again, so no C1 exit.
  const bool from_c1 = !(kicked && irq_at_ps_ <= halt_from_ps);
  charge(Component::irq, !in_guest ? pcpu_idle && !console_waited ? idle_wakeup_ps() : timing_.hlt_wakeup_ps
                         : from_c1 ? timing_.c1_exit_ps
                                   : 0);
  if (lapic_timer_due()) expire_lapic_timer();  // what woke it, to tell its vector
  const int vector = lapic_.deliverable();
  take_interrupts();
  return static_cast<u8>(vector < 0 ? 0 : vector);
}

// kick_vcpu -> kick_pcpu sends a LAPIC-passthrough vCPU's pCPU an INIT
// (mode_to_kick_pcpu is DEL_MODE_INIT from create_vcpu). HLT did not exit, so
// the core is halted in the guest: the INIT brings it out of C1 and exits
// (init_signal_vmexit_handler only retains the RIP), the requests are served
// before the VM entry (acrn_handle_pending_request: a split lock's wait), and
// the entry restores the activity state the exit saved, HLT (ACRN writes
// VMX_GUEST_ACTIVITY_STATE only in init_guest_state): the core halts again.
// The guest sees nothing; the time is the hypervisor's, not the halt's.
void Vcpu::take_init_kick_halted(TimePs& halt_from_ps, TimePs& halted_ps) {
  // Halted ahead of the kernel, it is kicked no earlier than its halt
  // (sync_before_sleep: nothing could act before then).
  if (now_ps() < halt_from_ps) sc_core::wait(sc_time::from_value(halt_from_ps - now_ps()));
  resumed();
  if (trace::Sink* t = trace::sink()) t->halt(trace_cpu(), halt_from_ps, now_ps());
  halted_ps += now_ps() - halt_from_ps;
  kick_due_ = kick_external_ = false;
  irq_pending_ = requests_left();  // as take_interrupts leaves it
  if (lapic_.timer_armed()) follow_lapic_timer();
  count_local_exit(ExitReason::init_signal);
  charge(Component::irq, timing_.c1_exit_ps);
  charge(Component::exit, timing_.vm_exit_entry_ps);
  end_local_init_exit();
  if (pausing_request_pending()) {
    handle_pausing_requests();
    take_held_init();
    wait_ = Wait{WaitKind::interrupt, 0, 0, nullptr};
  }
  // Back in HLT at the entry's time: what wakes it comes after it.
  sync_before_sleep();
  halt_from_ps = now_ps();
}

void Vcpu::take_held_init() {
  // init_signal_vmexit_handler only retains the RIP; the requests were
  // served before the entry it follows.
  if (!init_held_) return;
  init_held_ = false;
  count_local_exit(ExitReason::init_signal);
  charge(Component::exit, timing_.vm_exit_entry_ps);
  end_local_init_exit();
}

void Vcpu::idle() {
  // The guest kernel's idle task. A vCPU that ran nothing has been halted
  // since before the simulated window: its first wait is no exit in it.
  if (!started_) {
    sync();
    sleep_until_interrupt(lapic_passed_through() && !sched_);
  }
  for (;;) halt();
}

}  // namespace ivsim
