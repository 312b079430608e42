// Polling a location: the vCPU sleeps on the cache line between stores
// (models/cpu/line_watchers.h) instead of looping.
#include "models/cpu/vcpu_module.h"

#include <fmt/format.h>

namespace ivsim {

using sc_core::sc_time;

std::string Vcpu::waiting_on() const {
  switch (wait_.kind) {
    case WaitKind::none:
      return "";
    case WaitKind::line:
      return fmt::format("polling GVA {:#x} (HPA {:#x})", wait_.va, wait_.hpa);
    case WaitKind::interrupt:
      return "halted (HLT), waiting for an interrupt";
    case WaitKind::pcpu: {
      const Vcpu* holder = waits_for();
      return fmt::format("runnable, waiting for pCPU {}{}", cfg_.pcpu,
                         holder ? std::string(" held by ") + holder->name() : std::string());
    }
    case WaitKind::io_request:
      return fmt::format("waiting for acrn-dm to complete an I/O request{}",
                         wait_.server ? std::string(" (HSM upcall to ") + wait_.server->name() + ")" : std::string());
    case WaitKind::start:
      return "not started: its acrn-dm failed to launch the VM (the report's launch_errors)";
    case WaitKind::split_lock:
      return fmt::format("paused (ACRN_REQUEST_SPLIT_LOCK) while {} steps a split lock",
                         wait_.server ? wait_.server->name() : std::string("another vCPU"));
    case WaitKind::wbinvd:
      return fmt::format("paused (ACRN_REQUEST_WAIT_WBINVD) while {} flushes the VM's memory for a WBINVD",
                         wait_.server ? wait_.server->name() : std::string("another vCPU"));
    case WaitKind::sipi:
      return "in wait-for-SIPI: an INIT IPI reset it (vlapic_process_init_sipi) and no SIPI has started it";
    case WaitKind::assert_spin:
      return fmt::format("spinning in the hypervisor for good on pCPU {}: a debug build's {} failed (asm_assert)",
                         cfg_.pcpu, wait_.where ? wait_.where : "ASSERT");
  }
  return "";
}

const Vcpu* Vcpu::waits_for() const {
  switch (wait_.kind) {
    case WaitKind::pcpu: {
      if (!sched_) return nullptr;
      const SchedEntity* e = sched_->current() ? sched_->current() : sched_->pick_next();
      return e && e->owner != this ? static_cast<const Vcpu*>(e->owner) : nullptr;
    }
    case WaitKind::io_request:
    case WaitKind::split_lock:
    case WaitKind::wbinvd:
      return wait_.server;
    default:
      return nullptr;
  }
}

u64 Vcpu::wait_until(Gva va, unsigned size, Cmp cmp, u64 operand) {
  const TimePs poll_start = now_ps();
  bool polled_by_access = false;
  for (;;) {
    const u64 v = read_scalar(va, size);
    if (compare(v, cmp, operand)) {
      if (trace::Sink* t = trace::sink()) t->poll(trace_cpu(), va, poll_start, now_ps());
      // Polled read by read (uncached or trapped), the vCPU never slept: its
      // wait ends here all the same, and what it wakes next inherits its
      // work from now on, as after sleep_on_line.
      if (polled_by_access) segment_base_ = cumulative_;
      return v;
    }
    // Before it sleeps, the vCPU would settle: wait out its time ahead of
    // the kernel, then watch the line. Where it may run ahead at all, it
    // watches at once and sleeps ahead instead, and settles only if woken
    // before its own time (sleep_on_line).
    if (may_sleep_ahead())
      ++counters_.syncs_skipped;
    else
      sync_before_sleep();
    if (!sleep_on_line(va)) {
      const TlbEntry* e = tlb_.lookup(va >> kPageShift4K);
      polled_by_access = polled_by_access || !e || e->uncached();
      continue;
    }
  }
}

bool Vcpu::sleep_on_line(Gva va) {
  for (;;) {
    TlbEntry* e = tlb_.lookup(va >> kPageShift4K);
    if (!e || e->uncached()) return false;  // a trapped or uncached location is polled access by access
    LineState& l = e->lines->line[page_offset(va) >> kCacheLineShift];
    // Lost our copy while synchronising: somebody wrote it, look again.
    if (!(l.holders & (CoreMask{1} << cfg_.pcpu))) return false;

    wait_ = Wait{WaitKind::line, va, e->hpa_page + page_offset(va), nullptr};
    woken_ = false;
    const TimePs t0 = now_ps();
    watchers_.watch(l, *this);
    bool early = false;
    for (;;) {
      // A request that came while it settled (a timed wait, deaf to
      // irq_event_) is due already: take it rather than sleep through it.
      if (interrupt_takeable()) break;
      // A poller keeps its pCPU: on a shared pCPU it spins until its slice
      // ends, and the peer it waits for runs only then.
      const bool bounded = sched_ && slice_end_ != PcpuScheduler::kForever && sched_->others_runnable(entity_);
      if (bounded && now_ps() >= slice_end_) break;
      if (bounded)
        sc_core::wait(sc_time::from_value(slice_end_ - now_ps()), poll_events_);
      else {
        RunAhead::Asleep asleep(run_ahead_);
        fall_asleep_ahead();
        sc_core::wait(poll_events_);
        early = asleep_ahead_ps_ > kernel_ps();
        if (early) local_ps_ = asleep_ahead_ps_ - kernel_ps();
        asleep_ahead_ps_ = 0;
      }
      resumed();
      if (early) break;
      if (woken_ || (irq_pending_ && now_ps() >= irq_at_ps_) || preempt_) break;
    }
    watchers_.unwatch(l, *this);
    wait_ = Wait{};
    if (early) {
      // Woken before its own time, which it would have settled to before
      // watching: what woke it (a store to the line, an interrupt) came
      // while it settled, as if it had not been watching yet. Settle now.
      woken_ = false;
      ++counters_.polls_woken_early;
      RunAhead::Asleep settling(run_ahead_);
      sync();
      continue;
    }
    // Waiting time is the critical path through whoever ended it: charge it
    // in the proportions of the writer's work since the writer last woke
    // (or of the interrupt's path, if an interrupt came first); time spun
    // to the end of a slice is the core's own work.
    const bool by_irq = irq_pending_ && now_ps() >= irq_at_ps_;
    if (woken_ || by_irq) {
      apportion_add(cumulative_, now_ps() - t0, woken_ ? wake_blame_ : irq_blame_);
    } else {
      cumulative_.add(Component::compute, now_ps() - t0);  // spun: all of it the core's own
    }
    segment_base_ = cumulative_;
    if (woken_ && poll_phase_) charge(Component::compute, poll_rng_.below(timing_.l1_hit_ps));
    if (sched_ && (preempt_ || now_ps() >= slice_end_)) slice_over();
    boundary();
    return true;
  }
}

unsigned LineWatchers::waking(const LineState& line, const Vcpu& writer) const {
  unsigned n = 0;
  for (const Entry& w : entries_) n += w.line == &line && w.vcpu != &writer && !w.vcpu->woken_;
  return n;
}

void LineWatchers::notify(LineState& line, const Vcpu& writer, const Breakdown& blame, TimePs delay_ps) {
  for (const Entry& w : entries_) {
    if (w.line != &line || w.vcpu == &writer || w.vcpu->woken_) continue;
    w.vcpu->woken_ = true;
    w.vcpu->wake_blame_ = blame;
    pending_activity::notify(w.vcpu->wake_event_, sc_time::from_value(delay_ps));
  }
}

}  // namespace ivsim
