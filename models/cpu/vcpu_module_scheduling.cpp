// The vCPU on a shared pCPU: switched in and out by its pCPU's scheduler
// (models/host/pcpu_scheduler.h) at its synchronisation points.
#include "models/cpu/vcpu_module.h"

namespace ivsim {

using sc_core::sc_time;

void Vcpu::attach_scheduler(PcpuScheduler& s, TimePs sync_quantum_ps) {
  sched_ = &s;
  // Only a scheduler notifies it: a vCPU alone on its pCPU polls without it,
  // one event fewer for the kernel to arm and disarm at every sleep.
  poll_events_ |= sched_event_;
  shared_quantum_ps_ = sync_quantum_ps;
  entity_.name = name();
  entity_.owner = this;
  s.add(entity_);
}

void Vcpu::load_clos() {
  const unsigned p = cfg_.pcpu;
  const WayMask l2 = cfg_.l2_fill_ways ? cfg_.l2_fill_ways : dir_.l2(p).all_ways();
  const WayMask llc = cfg_.llc_fill_ways ? cfg_.llc_fill_ways
                      : dir_.has_llc(p)  ? dir_.llc(dir_.llc_of(p)).all_ways()
                                         : 0;
  dir_.set_fill_ways(p, l2, llc);
}

void Vcpu::schedule_in(bool inside_exit, const void* waker) {
  if (!sched_) return trace_pcpu(true);  // alone on its pCPU: it runs at once
  if (entity_.running) return;
  sync_kernel();
  const TimePs t0 = now_ps();
  const bool preempt = sched_->wake(entity_, t0);
  if (SchedEntity* cur = sched_->current()) {
    // The runner re-evaluates its slice; with priority or BVT it yields now.
    auto* runner = static_cast<Vcpu*>(cur->owner);
    if (preempt) {
      runner->preempt_ = true;
      runner->preempt_exits_ |= !runner->in_exit_ && waker != kLaunch && !woken_by_pcpu_sharer(waker);
    }
    pending_activity::notify(runner->sched_event_, sc_core::SC_ZERO_TIME);
  }
  const Wait before = wait_;
  wait_ = Wait{WaitKind::pcpu, 0, 0, nullptr};
  {
    RunAhead::Asleep asleep(run_ahead_);
    while (sched_->current() != nullptr || sched_->pick_next() != &entity_) sc_core::wait(sched_event_);
  }
  resumed();
  wait_ = before;
  const u64 switches = entity_.context_switches;
  slice_end_ = sched_->switch_in(entity_, now_ps());
  load_clos();
  trace_pcpu(true);
  const bool switched = entity_.context_switches != switches;
  if (inside_exit) {
    // The exit measures its own duration: the switch just takes time.
    if (switched) {
      sc_core::wait(sc_time::from_value(timing_.context_switch_ps));
      resumed();
    }
    return;
  }
  // Runnable but not running: the hypervisor's scheduler decided.
  cumulative_.add(Component::hv, now_ps() - t0);
  if (switched) charge(Component::hv, timing_.context_switch_ps);
}

bool Vcpu::woken_by_pcpu_sharer(const void* waker) const {
  // make_reschedule_request kicks the pCPU unless it runs on it: a wake-up
  // another vCPU of this pCPU made, necessarily in an exit of its own. One
  // this vCPU's own thread posted (its TSC-deadline timer) comes from the
  // timer, which interrupts whoever runs.
  for (const SchedEntity* e : sched_->entities()) {
    const auto* v = static_cast<const Vcpu*>(e->owner);
    if (v != this && waker && v->thread_process_ == waker) return true;
  }
  return false;
}

void Vcpu::schedule_out(bool stays_runnable) {
  trace_pcpu(false);
  if (!sched_ || !entity_.running) return;
  preempt_ = preempt_exits_ = false;
  if (SchedEntity* next = sched_->switch_out(entity_, now_ps(), stays_runnable))
    pending_activity::notify(static_cast<Vcpu*>(next->owner)->sched_event_, sc_core::SC_ZERO_TIME);
}

bool Vcpu::io_poll_reschedule() {
  if (!sched_ || !entity_.running || !(preempt_ || now_ps() >= slice_end_)) return false;
  return slice_over(true);
}

bool Vcpu::slice_over(bool inside_exit) {
  struct Rescheduling {
    Vcpu& v;
    explicit Rescheduling(Vcpu& c) : v(c) { v.rescheduling_ = true; }
    ~Rescheduling() { v.rescheduling_ = v.reschedule_again_ = false; }
  } rescheduling{*this};
  bool switched = false;
  do {
    reschedule_again_ = false;
    // The one-shot tick_timer sched_bvt_pick_next armed for this run has
    // fired: sched_tick_handler asks for the reschedule that picks the next
    // run, this vCPU again included (its second may have left the runqueue
    // since the timer was armed).
    const bool bvt_timer = !preempt_ && sched_->policy() == SchedPolicy::bvt && now_ps() >= slice_end_;
    if (!inside_exit && (bvt_timer || (preempt_ && preempt_exits_))) {
      // The interrupt that asks for it exits the guest: the timer's (its
      // handler, timer_emulation, runs then), or the kick IPI's. A vCPU
      // inside an exit (a polling I/O requester) reschedules on its way out.
      Breakdown cost;
      cost.add(Component::exit, timing_.vm_exit_entry_ps);
      if (bvt_timer) cost.add(Component::hv, timing_.timer_emulation_ps);
      count_local_exit(ExitReason::external_interrupt);
      charge_local_exit(ExitReason::external_interrupt, cost);
    }
    if (!preempt_ && !sched_->others_runnable(entity_)) {
      slice_end_ = sched_->renew_slice(entity_, now_ps());
      continue;  // the renewal ends the loop: nothing synchronised
    }
    schedule_out(true);
    schedule_in(inside_exit);
    switched = true;
  } while (reschedule_again_);
  return switched;
}

}  // namespace ivsim
