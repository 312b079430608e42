// Periodic ticks (TickConfig): what the guest kernel's timer tick, the
// hypervisor's scheduler tick and the Service VM's background wake-ups cost
// the vCPU they interrupt, and the cache lines they touch (which evicts the
// program's own lines through the real replacement, so its next access may
// miss). docs/realtime.md describes each source.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/cpu/vcpu_module.h"

namespace ivsim {

using sc_core::sc_time;

void Vcpu::add_tick(const TickConfig& t) {
  if (t.period_ps == 0) return;
  if (ticks_.size() >= 32) throw std::logic_error("a vCPU takes at most 32 tick sources");
  ticks_.push_back(std::make_unique<TickSource>());
  TickSource& src = *ticks_.back();
  src.cfg = t;
  const unsigned index = static_cast<unsigned>(ticks_.size() - 1);
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&src.expiry);
  opts.dont_initialize();
  pending_activity::spawned();
  sc_core::sc_spawn([this, index] { tick_expired(index); },
                    (std::string(basename()) + "_tick" + std::to_string(index)).c_str(), &opts);
}

void Vcpu::arm_tick(TickSource& t) {
  // The next expiry on the source's grid (phase + k * period) after now.
  const TimePs now = kernel_ps();
  const TimePs period = t.cfg.period_ps;
  const TimePs phase = t.cfg.phase_ps % period;
  const TimePs next = now < phase ? phase : phase + ((now - phase) / period + 1) * period;
  pending_activity::notify(t.expiry, sc_time::from_value(next - now));
  t.armed = true;
}

void Vcpu::restart_ticks() {
  for (auto& t : ticks_)
    if (!t->armed) arm_tick(*t);
}

void Vcpu::tick_expired(unsigned index) {
  TickSource& t = *ticks_[index];
  t.armed = false;
  // Nothing runs on a vCPU whose program ended (without the idle loop) or
  // whose VM is paused or shut down.
  const bool running = (started_ || idle_loop_) && !zombie_ && !shut_down_ && (!finished_ || idle_loop_);
  if (!running) return;
  // A halted vCPU's guest kernel stopped its tick (NO_HZ_IDLE), and the
  // hypervisor's tick finds no vCPU to account (sched_iorr's tick handler
  // ignores an idle pCPU): both restart when the vCPU wakes. Background
  // work is what wakes it.
  const bool halted = wait_.kind == WaitKind::interrupt;
  if (halted && t.cfg.kind != TickKind::background) return;
  arm_tick(t);
  // The hypervisor's timers interrupt the pCPU, and with it the vCPU in its
  // guest there: not one waiting for the pCPU (another vCPU has it), for an
  // I/O request or for another vCPU's emulation.
  const bool pcpu_timer = t.cfg.kind == TickKind::hypervisor || t.cfg.kind == TickKind::console;
  if (pcpu_timer && wait_.kind != WaitKind::none && wait_.kind != WaitKind::line) return;
  // The guest owns a passed-through LAPIC: the hypervisor's console timer
  // does not reach it, its VM exits drive the console instead
  // (Hypervisor::console_vmexit_callback).
  if (t.cfg.kind == TickKind::console && lapic_passed_through()) return;
  const TimePs now = kernel_ps();
  ticks_due_ |= u32{1} << index;
  if (!irq_pending_ || now < irq_at_ps_) {
    irq_at_ps_ = now;
    // A waiter woken by the tick spent the wait spinning: its own time.
    irq_blame_ = Breakdown{};
    irq_blame_.add(Component::compute, 1);
    irq_sender_ = nullptr;  // the timer, on this vCPU's pCPU
  }
  irq_pending_ = true;
  pending_activity::notify(irq_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::touch_lines(Hpa base, u64 first, u64 count, u64 wrap) {
  // Kernel data: mostly read, every fourth line written (counters, list
  // heads). The lines are this vCPU's own, so no other core is involved.
  for (u64 k = 0; k < count; ++k) {
    const u64 i = wrap ? (first + k) % wrap : first + k;
    LineState& l = dir_.line(base + i * kCacheLineBytes);
    charge_line(k % 4 == 0 ? dir_.store(l, cfg_.pcpu, now_ps()) : dir_.load(l, cfg_.pcpu, now_ps()));
  }
}

namespace {
// By TickKind: the span's name on the timeline.
const char* const kTickNames[] = {"guest timer tick", "hypervisor tick (SCHED_IORR)", "Service VM background work",
                                  "hypervisor console timer (debug build)"};
}  // namespace

bool Vcpu::wait_for_idle_console(TimePs idle_from_ps) {
  // On an idle pCPU the console timer's interrupt brings the core out of C1
  // (cpu_do_idle) and do_irq's do_softirq runs console_timer_callback in
  // the idle thread; default_idle looks at need_reschedule, and schedules
  // the woken vCPU, only once that is done. With the LAPIC passed through
  // the timer never fires (tick_expired).
  if (lapic_passed_through()) return false;
  for (const auto& t : ticks_) {
    if (t->cfg.kind != TickKind::console) continue;
    const TimePs now = now_ps(), period = t->cfg.period_ps, phase = t->cfg.phase_ps % period;
    if (now < phase) return false;
    const TimePs expiry = phase + (now - phase) / period * period;  // the latest, on the timer's grid
    if (expiry < idle_from_ps) return false;                        // it met a vCPU in its guest (run_ticks)
    const TimePs busy_until =
        expiry + (cfg_.idle_halts ? timing_.c1_exit_ps : 0) + timing_.timer_emulation_ps + t->cfg.handler_ps;
    if (now >= busy_until) return false;
    charge(Component::hv, busy_until - now);
    ++counters_.console_kicks;
    if (trace::Sink* s = trace::sink())
      s->tick(trace_cpu(), kTickNames[static_cast<unsigned>(TickKind::console)], now, busy_until);
    return true;
  }
  return false;
}

void Vcpu::run_ticks() {
  // The ticks due now; one that expires again while these run is taken at a
  // later boundary, after the interrupts waiting behind them.
  u32 due = ticks_due_;
  ticks_due_ = 0;
  while (due) {
    const unsigned i = static_cast<unsigned>(__builtin_ctz(due));
    due &= due - 1;
    TickSource& t = *ticks_[i];
    const TickConfig& c = t.cfg;
    ++counters_.ticks;
    const TimePs start = now_ps();
    switch (c.kind) {
      case TickKind::guest:
        // The guest's LAPIC timer. ACRN emulates it (vlapic_timer_expired from
        // the hypervisor's timer: an exit, the virtual interrupt injected) and
        // traps the TSC-deadline write that re-arms it; with the LAPIC passed
        // through, the physical timer interrupts the guest directly.
        if (!lapic_passed_through()) {
          count_local_exit(ExitReason::external_interrupt);
          charge(Component::exit, timing_.vm_exit_entry_ps);
          charge(Component::hv, timing_.timer_emulation_ps);
        }
        charge(Component::irq, timing_.isr_entry_ps);
        touch_lines(c.footprint_hpa, 0, c.footprint_lines, 0);
        charge(Component::irq, c.handler_ps);  // the kernel's interrupt work
        if (!lapic_passed_through()) {
          count_local_exit(ExitReason::msr_write);
          charge(Component::exit, timing_.vm_exit_entry_ps);
          charge(Component::hv, timing_.apic_write_handler_ps);
        }
        break;
      case TickKind::hypervisor:
        // sched_iorr's tick_timer: the pCPU's timer interrupt exits the guest
        // and the handler accounts the running vCPU's slice.
        count_local_exit(ExitReason::external_interrupt);
        charge(Component::exit, timing_.vm_exit_entry_ps);
        charge(Component::hv, timing_.timer_emulation_ps);
        break;
      case TickKind::console:
        // A debug build's console timer (console_setup_timer): the pCPU's
        // timer interrupt exits the guest, and the timer softirq runs
        // console_timer_callback. Its shell_kick, or with a VM's console
        // active vuart_console_rx_chars, polls the serial port's line status
        // once (uart16550_getc) when no key was typed; the shell's prompt
        // went out at the first expiry, long before the workload.
        count_local_exit(ExitReason::external_interrupt);
        charge(Component::exit, timing_.vm_exit_entry_ps);
        charge(Component::hv, timing_.timer_emulation_ps);
        charge(Component::hv, c.handler_ps);  // the read of the UART's line status (TickConfig::handler_ps)
        ++counters_.console_kicks;
        break;
      case TickKind::background:
        // A timer wakes a kernel thread or daemon; it walks on through its
        // working set.
        charge(Component::irq, timing_.isr_entry_ps);
        touch_lines(c.footprint_hpa, t.next_line, c.footprint_lines, c.working_set_lines);
        t.next_line = c.working_set_lines ? (t.next_line + c.footprint_lines) % c.working_set_lines : 0;
        charge(Component::irq, c.handler_ps);  // the kernel's interrupt work
        break;
    }
    if (trace::Sink* s = trace::sink())
      s->tick(trace_cpu(), kTickNames[static_cast<unsigned>(c.kind)], start, now_ps());
  }
}

}  // namespace ivsim
