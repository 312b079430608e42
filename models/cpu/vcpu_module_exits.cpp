// VM exits: trapped MMIO, port I/O, VMCALL, intercepted MSR accesses and
// CPUID, sent to the hypervisor module as TLM transactions with a
// VmExitExtension; an exception the hypervisor injects stops the guest program.
#include <fmt/format.h>

#include "models/cpu/msrs.h"
#include "models/cpu/vcpu_module.h"

namespace ivsim {

using sc_core::sc_time;

u64 Vcpu::exit_mmio(Gpa gpa, unsigned size, bool write, u64 value) {
  u8 buf[8];
  std::memcpy(buf, &value, sizeof buf);
  // The APIC-access page in xAPIC mode: an aligned 32-bit write of a
  // register the CPU writes into the virtual-APIC page is an APIC-write
  // exit after it; any other access the CPU did not serve (Vcpu::apic_page_read,
  // apic_page_write) an APIC-access exit before it. Elsewhere, an EPT violation.
  ExitReason reason = ExitReason::ept_violation;
  if (!lapic_.x2apic() && gpa >= VLapic::kDefaultBase && gpa + size <= VLapic::kDefaultBase + kPageSize4K) {
    const u32 offset = static_cast<u32>(gpa - VLapic::kDefaultBase);
    const bool trap_like = write && size == 4 && xapic_write_virtualized(offset);
    reason = trap_like ? ExitReason::apic_write : ExitReason::apic_access;
  }
  exit_to_hypervisor(reason, gpa, size, write, buf);
  u64 out = 0;
  std::memcpy(&out, buf, size);
  return out;
}

u32 Vcpu::io_in(u16 port, unsigned size) {
  boundary();

  u8 buf[4] = {};
  exit_to_hypervisor(ExitReason::io_instruction, port, size, false, buf);
  u32 v = 0;
  std::memcpy(&v, buf, size);
  return v;
}

void Vcpu::io_out(u16 port, unsigned size, u32 value) {
  boundary();

  u8 buf[4];
  std::memcpy(buf, &value, sizeof buf);
  exit_to_hypervisor(ExitReason::io_instruction, port, size, true, buf);
}

i64 Vcpu::hypercall(u64 id, u64 param1, u64 param2) {
  boundary();
  exit_ext_.param1 = param1;
  exit_ext_.param2 = param2;
  u8 buf[8] = {};
  exit_to_hypervisor(ExitReason::vmcall, id, 8, false, buf);
  i64 result = 0;
  std::memcpy(&result, buf, sizeof result);
  return result;
}

void Vcpu::wrmsr(u32 msr, u64 value) {
  using msr::kTscDeadline;
  boundary();
  // The MSR bitmap the hypervisor keeps in the VMCS decides whether the
  // write exits (init_msr_emulation; in x2APIC mode
  // update_msr_bitmap_x2apic_apicv or _passthru; set_tsc_msr_interception).
  if (vmcs_.msr_bitmap.intercepts(msr, true)) {
    u8 buf[8];
    std::memcpy(buf, &value, sizeof buf);
    exit_to_hypervisor(ExitReason::msr_write, msr, 8, true, buf);
    return;
  }
  // TPR, EOI and SELF IPI: with APIC-register virtualization and
  // virtual-interrupt delivery the CPU virtualizes them (SDM Vol. 3C,
  // "Virtualizing MSR-Based APIC Accesses"), and under LAPIC passthrough
  // they are the physical LAPIC's. A self-IPI is this vCPU's own request at
  // once; an EOI changes nothing the twin keeps, its handlers end with their
  // own.
  if (msr == kX2apicTpr || msr == kX2apicEoi || msr == kX2apicSelfIpi) {
    ++counters_.stores;
    charge(Component::cache, timing_.l1_hit_ps);
    if (msr == kX2apicTpr)
      set_task_priority(static_cast<u8>(value));
    else if (msr == kX2apicSelfIpi)
      raise_interrupt(static_cast<u8>(value), now_ps(), cumulative_ - segment_base_, IrqPath::local);
    return;
  }
  // Under LAPIC passthrough the guest owns its LAPIC's registers, and its
  // IA32_TSC_DEADLINE while the TSC offset is 0: they go to the physical
  // LAPIC directly, its count-down at the crystal clock (VLapic).
  const bool timer = msr == kX2apicTimerIcr || msr == kX2apicTimerDcr || msr == kTscDeadline;
  const bool error = msr == kX2apicEsr || msr == kX2apicLvtError;
  if (lapic_passed_through() && (msr == kX2apicSvr || msr == kX2apicLvtTimer || timer || error)) {
    ++counters_.stores;
    charge(Component::cache, timing_.l1_hit_ps);
    const TimePs now = now_ps();
    const u32 v = static_cast<u32>(value);
    switch (msr) {
      case kX2apicSvr:
        lapic_.write_svr(v, now);
        break;
      case kX2apicLvtTimer:
        lapic_.write_lvt_timer(v);
        break;
      case kX2apicTimerIcr:
        lapic_.write_icr_timer(v, now);
        break;
      case kX2apicTimerDcr:
        lapic_.write_dcr_timer(v);
        break;
      case kX2apicEsr:
        lapic_.write_esr();
        break;
      case kX2apicLvtError:
        lapic_.write_lvt_error(v);
        break;
      default:
        // The physical deadline, on the host's TSC (the offset is 0 while
        // the write does not exit); one already passed fires at once.
        lapic_.write_tsc_deadline(value, timing_.tsc_clock.to_ps(Cycles{value}));
        break;
    }
    if (lapic_.timer_armed() || lapic_timer_followed_) follow_lapic_timer();
    return;
  }
  // Any other unintercepted x2APIC MSR is the physical LAPIC's: it keeps
  // the write (the CMCI, performance-counter and LINT LVTs under
  // passthrough, none of which the twin's guests raise; a read gets it
  // back) or raises #GP for a read-only or reserved register (the current
  // count with APICv, whose writes update_msr_bitmap_x2apic_apicv leaves
  // alone), without an exit (ACRN's exception bitmap does not trap #GP).
  if (msr >= kX2apicFirst && msr <= kX2apicLast) {
    charge(Component::cache, timing_.l1_hit_ps);
    if (!x2apic_msr_writable(msr))
      throw GuestFault(kVectorGp, fmt::format("#GP: WRMSR of x2APIC MSR {:#x}, which the LAPIC does not write", msr));
    ++counters_.stores;
    const u32 offset = (msr - kX2apicFirst) << 4;
    if (is_apic_lvt(offset)) lapic_.write_lvt(offset, static_cast<u32>(value));
    return;
  }
  // What else ACRN leaves unintercepted is the host CPU's own MSR.
  throw std::runtime_error(physical_msr_unmodelled("WRMSR", msr));
}

std::string Vcpu::physical_msr_unmodelled(const char* op, u32 msr) const {
  if (msr == msr::kTscDeadline)
    return fmt::format(
        "guest {} of IA32_TSC_DEADLINE, which ACRN no longer intercepts for this vCPU without LAPIC passthrough "
        "(set_tsc_msr_interception): the physical LAPIC timer that carries ACRN's own timers, which the twin "
        "does not model",
        op);
  return fmt::format(
      "guest {} of MSR {:#x}, which ACRN's MSR bitmap does not intercept (init_msr_emulation): the host CPU's own MSR, "
      "which the twin does not model",
      op, msr);
}

u64 Vcpu::rdmsr(u32 msr) {
  using msr::kTscDeadline;
  boundary();
  // The MSR bitmap decides, as for WRMSR.
  if (vmcs_.msr_bitmap.intercepts(msr, false)) {
    u8 buf[8] = {};
    exit_to_hypervisor(ExitReason::msr_read, msr, 8, false, buf);
    u64 v = 0;
    std::memcpy(&v, buf, sizeof v);
    return v;
  }
  // The TSC: the host's plus the offset, as RDTSC reads it.
  if (msr == msr::kTimeStampCounter) return tsc();
  // Under LAPIC passthrough IA32_TSC_DEADLINE is the physical LAPIC's MSR
  // while the TSC offset is 0, 0 once it has fired.
  if (msr == kTscDeadline && lapic_passed_through()) {
    ++counters_.loads;
    charge(Component::cache, timing_.l1_hit_ps);
    return lapic_.tsc_deadline_msr(now_ps());
  }
  if (msr >= kX2apicFirst && msr <= kX2apicLast) {
    const u32 offset = (msr - kX2apicFirst) << 4;
    charge(Component::cache, timing_.l1_hit_ps);
    if (!lapic_passed_through()) {
      // APIC-register virtualization (SDM Vol. 3C 29.5): RDMSR of any MSR of
      // the range reads the 8 bytes at (MSR & 0xFF) << 4 of the virtual-APIC
      // page, a reserved or write-only one too, without a fault. The upper
      // 4 bytes are the register's reserved padding, 0: for the ICR, the
      // high half that vlapic_write keeps at 0x310 (icr_hi) does not come
      // back.
      ++counters_.loads;
      return lapic_.page_register(offset);
    }
    // Under LAPIC passthrough the physical LAPIC, which faults on a
    // register it does not read, without an exit (ACRN's exception bitmap
    // does not trap #GP). Its ICR holds what vlapic_x2apic_pt_icr_access
    // last wrote.
    if (!x2apic_msr_readable(msr))
      throw GuestFault(kVectorGp, fmt::format("#GP: RDMSR of x2APIC MSR {:#x}, which the LAPIC does not read", msr));
    ++counters_.loads;
    if (msr == kX2apicIcr) return lapic_.icr();
    return msr == kX2apicTimerCcr ? lapic_.ccr_timer(now_ps()) : lapic_.page_register(offset);
  }
  // What else ACRN leaves unintercepted is the host CPU's own MSR.
  throw std::runtime_error(physical_msr_unmodelled("RDMSR", msr));
}

std::array<u32, 4> Vcpu::cpuid(u32 leaf, u32 subleaf) {
  boundary();
  exit_ext_.cpuid_subleaf = subleaf;
  u8 buf[8] = {};
  exit_to_hypervisor(ExitReason::cpuid, leaf, 8, false, buf);
  return {exit_ext_.cpuid_regs[0], exit_ext_.cpuid_regs[1], exit_ext_.cpuid_regs[2], exit_ext_.cpuid_regs[3]};
}

void Vcpu::wbinvd() {
  boundary();
  u8 buf[8] = {};
  exit_to_hypervisor(ExitReason::wbinvd, 0, 8, false, buf);
}

void Vcpu::invd() {
  // INVD exits unconditionally (SDM Vol. 3C, "Instructions That Cause VM
  // Exits Unconditionally"): on the host it would drop the modified lines
  // of the caches it reaches, other VMs' in the shared LLC included.
  boundary();
  u8 buf[8] = {};
  exit_to_hypervisor(ExitReason::invd, 0, 8, false, buf);
}

void Vcpu::exit_to_hypervisor(ExitReason reason, u64 addr, unsigned size, bool write, u8* data) {
  // The hypervisor acts on state other vCPUs share (EPT, devices, other
  // VMs' interrupts): exits are handled in simulated-time order. A trapped
  // MMIO access when no other process could act before it needs no
  // hand-off: its local time goes to the hypervisor as the transaction's
  // delay (TLM's annotated time), as far as any wait inside it (an I/O
  // request) and any interrupt it sends are concerned; so does an access
  // to the APIC page that exits. Other exits may
  // launch or pause VMs, which the kernel starts at its own time: they
  // synchronise.
  const bool trapped_access =
      reason == ExitReason::ept_violation || reason == ExitReason::apic_access || reason == ExitReason::apic_write;
  const bool ahead = trapped_access && may_run_ahead();
  if (ahead)
    ++counters_.syncs_skipped;
  else
    sync();
  const TimePs ahead_ps = local_ps_;
  ++counters_.exits[static_cast<std::size_t>(reason)];
  exit_ext_.source = this;
  exit_ext_.vm = cfg_.vm;

  exit_ext_.vcpu = cfg_.index;
  exit_ext_.reason = reason;
  exit_ext_.cost = Breakdown{};
  exit_ext_.start_ps = now_ps();
  exit_ext_.segment = cumulative_ - segment_base_;
  exit_ext_.fault = nullptr;
  exit_ext_.fault_vector = 0;
  exit_ext_.lock_instr = VmExitExtension::LockInstrStep::none;
  exit_ext_.wbinvd = VmExitExtension::WbinvdStep::none;
  exit_ext_.long_mode = mmu_.paging();
  exit_ext_.console_kick = false;
  exit_ext_.unmodelled.clear();
  exit_ext_.hang = nullptr;
  exit_gp_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  exit_gp_.set_address(addr);
  exit_gp_.set_data_ptr(data);
  exit_gp_.set_data_length(size);
  exit_gp_.set_streaming_width(size);
  exit_gp_.set_byte_enable_ptr(nullptr);
  exit_gp_.set_dmi_allowed(false);
  exit_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = sc_time::from_value(ahead_ps);
  local_ps_ = 0;
  const TimePs kernel_before = kernel_ps();
  in_exit_ = true;
  exit_socket->b_transport(exit_gp_, delay);
  in_exit_ = false;
  if (exit_gp_.is_response_error())
    throw std::logic_error("the hypervisor model failed an exit: " + exit_gp_.get_response_string());
  // The exit paused this vCPU's VM (a reboot): the program unwinds; the
  // instruction never completes.
  if (zombie_) throw VcpuZombie{};
  // An exit served by the Service VM's device model waits inside b_transport.
  const TimePs waited = kernel_ps() - kernel_before;
  if (waited + delay.value() != ahead_ps + exit_ext_.cost.total())
    throw std::logic_error("exit cost breakdown does not add up to the time the exit took");
  cumulative_ += exit_ext_.cost;
  if (exit_ext_.console_kick) ++counters_.console_kicks;
  if (trace::Sink* t = trace::sink())
    t->vm_exit(trace_cpu(), exit_reason_name(reason), exit_ext_.start_ps, exit_ext_.cost);
  resumed();  // the exit may have waited (an I/O request to the device model)
  local_ps_ += delay.value();
  if (exit_ext_.hang) hang_in_hypervisor(exit_ext_.hang);
  take_held_init();
  if (++exits_done_ <= exit_progress_budget_) last_budgeted_exit_ps_ = now_ps();
  if (local_ps_ >= sync_budget_ps_) quantum_over();
  // The exit may have armed or disarmed the LAPIC timer (a TSC deadline,
  // the timer's LVT, the SVR).
  if (lapic_.timer_armed() || lapic_timer_followed_) follow_lapic_timer();
  // A new guest PAT (write_pat_msr) changes the memory types the cached
  // translations hold.
  if (vmcs_.guest_pat != mmu_.pat()) {
    mmu_.set_pat(vmcs_.guest_pat);
    tlb_.flush();
  }
  if (!exit_ext_.unmodelled.empty()) throw std::runtime_error(exit_ext_.unmodelled);
  // The hypervisor injected an exception instead of completing the
  // instruction: the guest program has no handler for it and stops.
  if (exit_ext_.fault) throw GuestFault(exit_ext_.fault_vector, exit_ext_.fault);
}

void Vcpu::hang_in_hypervisor(const char* where) {
  // The handler's time (its log lines) passes first; then the pCPU spins in
  // the hypervisor: the vCPU is never scheduled out, takes no interrupt and
  // never enters its guest again, so nothing of it can act any more and the
  // others may run ahead of it. No scheduling point: sync_kernel, not sync.
  sync_kernel();
  wait_ = Wait{WaitKind::assert_spin, 0, 0, nullptr, where};
  RunAhead::Asleep asleep(run_ahead_);
  for (;;) sc_core::wait(never_event_);
}

}  // namespace ivsim
