// A vCPU's virtual local APIC, the part interrupt delivery needs (ACRN's
// hypervisor/arch/x86/guest/vlapic.c): its identity (the APIC ID of the pCPU
// it runs on, vlapic_create), the xAPIC / x2APIC mode (vlapic_set_apicbase),
// the logical destination registers (LDR, DFR; in x2APIC mode the LDR
// derived from the ID, vlapic_build_x2apic_id) and the destination match
// (is_dest_field_matched), the spurious-interrupt vector register's software
// enable (vlapic_write_svr, vlapic_accept_intr), the timer's LVT and its
// three modes: TSC deadline (vlapic_set_tsc_deadline_msr), one-shot and
// periodic count-down (vlapic_write_icrtmr, vlapic_write_dcr,
// vlapic_get_ccr, set_expiration; vlapic_timer_expired and the hypervisor
// timer's periodic re-arm, timer_softirq), the request (IRR) and in-service (ISR) registers,
// the task priority, and the rule that an interrupt is delivered only when
// its priority class is above the processor priority. Plain C++.
#pragma once

#include <algorithm>
#include <array>

#include "models/core/types.h"
#include "models/cpu/apic_registers.h"

namespace ivsim {

// How an interrupt reaches a vCPU: through its virtual LAPIC after a
// posted-interrupt notification, raised by its own virtual LAPIC (timer,
// self-IPI: injected at VM entry), or as a physical IPI to its pCPU (LAPIC
// passthrough: the hardware LAPIC takes it, no hypervisor on the way).
enum class IrqPath : u8 { posted, local, physical_ipi };

// The NMI's IDT vector: where a guest's NMI handler is installed.
constexpr u8 kNmiVector = 2;

class VLapic {
 public:
  // Vectors 0-15 are reserved for exceptions; a LAPIC refuses them.
  static constexpr unsigned kFirstVector = 16;
  // IA32_APIC_BASE: the default base, global enable, x2APIC enable.
  static constexpr u64 kDefaultBase = 0xFEE0'0000ULL;
  static constexpr u64 kApicBaseEnable = u64{1} << 11;
  static constexpr u64 kApicBaseExtd = u64{1} << 10;
  static constexpr u64 kApicBaseBsp = u64{1} << 8;
  // DFR models (bits 31:28).
  static constexpr u32 kDfrFlat = 0xF000'0000u, kDfrCluster = 0x0000'0000u;
  // SVR: the spurious vector (7:0) and the software enable (bit 8).
  static constexpr u32 kSvrEnable = 1u << 8;
  // What the guest kernel's bring-up leaves (Linux setup_local_APIC, Zephyr
  // loapic_init: enabled, spurious vector 0xFF) over vlapic_reset's 0xFF
  // (software-disabled): the twin's guests start booted.
  static constexpr u32 kSvrBooted = kSvrEnable | 0xFFu;
  // vlapic_reset's APIC_SVR_VECTOR: the spurious vector 0xFF, software-disabled.
  static constexpr u32 kSvrReset = 0xFFu;
  // LVT: the mask (bit 16); the timer's mode (bits 18:17), TSC deadline 10b;
  // the delivery mode (10:8), delivery status (12), input polarity (13),
  // remote IRR (14) and trigger mode (15) (ACRN's apicreg.h).
  static constexpr u32 kLvtMasked = 1u << 16;
  static constexpr u32 kLvtDeliveryMode = 7u << 8, kLvtDeliveryStatus = 1u << 12, kLvtPolarity = 1u << 13;
  static constexpr u32 kLvtRemoteIrr = 1u << 14, kLvtTriggerMode = 1u << 15;
  // The ICR's delivery status (bit 12).
  static constexpr u32 kIcrDeliveryStatus = 1u << 12;
  static constexpr u32 kLvtTimerMode = 3u << 17, kLvtTimerPeriodic = 1u << 17, kLvtTimerTscDeadline = 2u << 17;
  // ESR bits (SDM 11.5.3): a fixed IPI sent, or an interrupt received, with a vector below 16.
  static constexpr u32 kEsrSendIllegalVector = 1u << 5, kEsrReceiveIllegalVector = 1u << 6;

  // `tsc`: the TSC's rate, which ACRN's count-down timer counts at
  // (set_expiration: cpu_ticks() + (initial count << divide shift)).
  // `passthrough_crystal_khz`: for a vCPU of a LAPIC-passthrough VM, the
  // core crystal clock (0: not passed through). Once the guest enables
  // x2APIC mode the LAPIC is the physical one (switch_apicv_mode_x2apic),
  // and its count-down counts at that clock (SDM 11.5.4: the timer's
  // "bus clock" is the core crystal clock CPUID.15H enumerates).
  // `min_period_ps`: the hypervisor's floor under a periodic timer's
  // period (add_timer), for the emulated timer.
  explicit VLapic(u32 apic_id = 0, bool bsp = false, Frequency tsc = Frequency{}, u64 passthrough_crystal_khz = 0,
                  TimePs min_period_ps = 0)
      : apic_id_(apic_id), bsp_(bsp), tsc_(tsc), crystal_khz_(passthrough_crystal_khz), min_period_ps_(min_period_ps) {}

  // ---- identity and addressing ----
  u32 apic_id() const { return apic_id_; }
  bool x2apic() const { return x2apic_; }
  // The ID register as the guest reads it: the ID in bits 31:24 in xAPIC
  // mode, the whole 32-bit x2APIC ID in x2APIC mode.
  u32 id_register() const { return x2apic_ ? apic_id_ : apic_id_ << 24; }
  u64 apic_base() const {
    return kDefaultBase | kApicBaseEnable | (x2apic_ ? kApicBaseExtd : 0) | (bsp_ ? kApicBaseBsp : 0);
  }
  // A write of IA32_APIC_BASE (vlapic_set_apicbase): enabling x2APIC builds
  // the x2APIC LDR from the ID (vlapic_build_x2apic_id). Any other change of
  // mode (back to xAPIC, disabling the LAPIC) is left undone without a fault:
  // ACRN's handler keeps those transitions as a TODO and returns success.
  void write_apic_base(u64 value) {
    const bool extd = (value & kApicBaseExtd) != 0;
    if (x2apic_ || !extd || !(value & kApicBaseEnable)) return;
    x2apic_ = true;
    // The physical LAPIC takes over; vlapic_set_apicbase resets the
    // virtual one (vlapic_reset), which cancels its timer.
    if (crystal_khz_ != 0) {
      physical_ = true;
      timer_armed_ = false;
      timeout_set_ = false;  // vlapic_reset_timer
    }
    const u32 logical_id = apic_id_ & 0xFu;
    const u32 cluster_id = (apic_id_ & 0xFFFF0u) >> 4;
    ldr_ = (cluster_id << 16) | (1u << logical_id);
  }
  // vlapic_reset(INIT_RESET) of a LAPIC in x2APIC mode: an enabled LAPIC
  // keeps its mode and its ID register (SDM 10.12.5.1); the register page
  // is cleared, and nothing builds the LDR again (only a change of mode
  // does, vlapic_set_apicbase), so it stays 0. For a fresh VLapic.
  void keep_x2apic_mode_after_init() { x2apic_ = true; }
  // vlapic_reset(INIT_RESET) at the INIT itself (vlapic_process_init_sipi:
  // zombie_vcpu, then reset_vcpu): the register page cleared (IRR, ISR,
  // TPR, the LDR, the ESR), the LVTs masked, the timer cancelled
  // (vlapic_reset_timer), the ID and the mode kept (as above) and the SVR
  // 0xFF: software-disabled, so vlapic_accept_intr ignores every request
  // until the guest enables it again, and with the LDR 0 no logical
  // destination matches it. vcpu_reset_internal clears lapic_pt_enabled:
  // the physical LAPIC is no longer the guest's.
  void init_reset() {
    const bool x2apic = x2apic_;
    *this = VLapic(apic_id_, bsp_, tsc_, crystal_khz_, min_period_ps_);
    x2apic_ = x2apic;
    svr_ = kSvrReset;
  }
  // The guest owns the physical LAPIC (is_lapic_pt_enabled, the vCPU's
  // lapic_pt_enabled): set when a LAPIC-passthrough vCPU switches to x2APIC
  // mode (vlapic_set_apicbase), cleared by any reset (vcpu_reset_internal),
  // an INIT's too, which leaves the mode x2APIC: that vCPU's LAPIC is then
  // ACRN's again, emulated, until a change of mode, which only a reset allows.
  bool passed_through() const { return physical_; }
  u32 ldr() const { return ldr_; }
  u32 dfr() const { return dfr_; }
  // vlapic_write_ldr keeps bits 31:24 (~APIC_LDR_RESERVED), in either mode:
  // a physical x2APIC's LDR is read-only, but vlapic_write stores an x2APIC
  // guest's WRMSR of it all the same, and the cluster and bitmap are gone.
  // vlapic_write_dfr keeps the model in bits 31:28, xAPIC mode only.
  void write_ldr(u32 v) { ldr_ = v & 0xFF00'0000u; }
  void write_dfr(u32 v) {
    if (!x2apic_) dfr_ = (v & 0xF000'0000u) | 0x0FFF'FFFFu;
  }
  // A logical destination matches this LAPIC (is_dest_field_matched):
  // x2APIC cluster and bitmap; xAPIC flat (8-bit bitmap) or cluster model.
  bool matches_logical(u32 dest) const {
    if (x2apic_) return ((ldr_ >> 16) == (dest >> 16)) && ((ldr_ & dest & 0xFFFFu) != 0);
    if ((dfr_ & 0xF000'0000u) == kDfrFlat) return ((ldr_ >> 24) & dest & 0xFFu) != 0;
    if ((dfr_ & 0xF000'0000u) == kDfrCluster)
      return ((ldr_ >> 28) == ((dest >> 4) & 0xFu)) && (((ldr_ >> 24) & dest & 0xFu) != 0);
    return false;  // a bad logical model: matches nothing
  }

  // ---- software enable (SVR) ----
  u32 svr() const { return svr_; }
  bool software_enabled() const { return (svr_ & kSvrEnable) != 0; }
  // vlapic_write_svr: software-disabling stops the timer (del_timer, which
  // keeps its timeout: the current count and the TSC deadline still read
  // it) and masks the LVTs (vlapic_mask_lvts); enabling again leaves them
  // masked, and restarts a periodic timer from `now_ps` (set_expiration).
  void write_svr(u32 v, TimePs now_ps) {
    const bool was = software_enabled();
    svr_ = v;
    if (was && !software_enabled()) {
      timer_armed_ = false;
      for (u32& lvt : lvt_) lvt |= kLvtMasked;  // vlapic_mask_lvts: all seven
    } else if (!was && software_enabled() && timer_periodic_mode()) {
      set_expiration(now_ps);
    }
  }

  // ---- errors: the ESR and the LVT Error ----
  u32 esr() const { return esr_; }
  u32 lvt_error() const { return lvt(kApicLvtError); }
  void write_lvt_error(u32 v) { write_lvt(kApicLvtError, v); }
  // vlapic_write_esr: a write makes the errors since the last write readable
  // and starts collecting anew.
  void write_esr() {
    esr_ = esr_pending_;
    esr_pending_ = 0;
  }
  // vlapic_set_error: records the error; returns the LVT Error's vector for
  // the caller to request (vlapic_accept_intr, edge), or -1 when the entry is
  // masked or names a reserved vector.
  int set_error(u32 esr_bit) {
    esr_pending_ |= esr_bit;
    const u32 v = lvt_error() & 0xFFu;
    return (lvt_error() & kLvtMasked) || v < kFirstVector ? -1 : static_cast<int>(v);
  }

  // ---- the LVT entries ----
  // The entry at an LVT offset (is_apic_lvt) as the APIC page holds it.
  u32 lvt(u32 offset) const { return lvt_[lvt_index(offset)]; }
  // vlapic_write_lvt: masked while software-disabled; each entry keeps its
  // own writable bits (mask, delivery status and vector for all; the timer's
  // mode; the delivery mode for all but the error entry; polarity, remote
  // IRR and trigger mode for LINT0/LINT1). A change of the timer's mode
  // disarms it (vlapic_update_lvtt). LINT0 in ExtINT mode switches ACRN's
  // vPIC wire mode, which the twin (no vPIC) does not model.
  void write_lvt(u32 offset, u32 v) {
    if (!software_enabled()) v |= kLvtMasked;
    u32 writable = kLvtMasked | kLvtDeliveryStatus | 0xFFu;
    switch (offset) {
      case kApicLvtTimer:
        writable |= kLvtTimerMode;
        break;
      case kApicLvtError:
        break;
      case kApicLvtLint0:
      case kApicLvtLint1:
        writable |= kLvtTriggerMode | kLvtRemoteIrr | kLvtPolarity;
        [[fallthrough]];
      default:
        writable |= kLvtDeliveryMode;
        break;
    }
    v &= writable;
    if (offset == kApicLvtTimer && (v & kLvtTimerMode) != (lvt_timer() & kLvtTimerMode))
      timer_armed_ = timeout_set_ = false;  // del_timer, update_timer(timer, 0, 0)
    lvt_[lvt_index(offset)] = v;
  }

  // ---- the interrupt command register, as the APIC page keeps it ----
  u32 icr_low() const { return icr_low_; }
  u32 icr_high() const { return icr_high_; }
  // vlapic_write: an xAPIC write of ICR_HI is kept as written (the CPU's
  // virtualization of it clears bytes 2:0 first, SDM Vol. 3C 29.4.3.2).
  void write_icr_high(u32 v) { icr_high_ = v; }
  // vlapic_write_icrlo: the low half (and in x2APIC mode the high one, from
  // the 64-bit WRMSR) as written, the delivery status cleared: the IPI is
  // sent by the time the guest can look.
  void write_icr(u64 v) {
    if (x2apic_) icr_high_ = static_cast<u32>(v >> 32);
    icr_low_ = static_cast<u32>(v) & ~kIcrDeliveryStatus;
  }
  // The x2APIC ICR (one 64-bit register).
  u64 icr() const { return u64{icr_high_} << 32 | icr_low_; }

  // ---- reads of the APIC page ----
  // What the virtual-APIC page holds at a register's offset (a 16-byte
  // aligned offset of the page; 0 for those it keeps nothing at, EOI and
  // reserved ones). The PPR is the one APICv keeps up to date (VPPR).
  u32 page_register(u32 offset) const {
    if (offset >= 0x100 && offset < 0x180) return isr_word((offset - 0x100) >> 4);
    if (offset >= 0x180 && offset < 0x200) return tmr_word((offset - 0x180) >> 4);
    if (offset >= 0x200 && offset < 0x280) return irr_word((offset - 0x200) >> 4);
    if (is_apic_lvt(offset)) return lvt(offset);
    switch (offset) {
      case 0x20:
        return id_register();
      case 0x30:
        return version();
      case 0x80:
        return tpr();
      case 0xA0:
        return ppr();
      case 0xD0:
        return ldr();
      case 0xE0:
        return dfr();
      case 0xF0:
        return svr();
      case 0x280:
        return esr();
      case kApicIcrLow:
        return icr_low();
      case kApicIcrHigh:
        return icr_high();
      case 0x380:
        return icr_timer();
      case 0x3E0:
        return dcr_timer();
      default:
        return 0;
    }
  }

  // ---- the timer ----
  u32 lvt_timer() const { return lvt(kApicLvtTimer); }
  void write_lvt_timer(u32 v) { write_lvt(kApicLvtTimer, v); }
  bool timer_tsc_deadline_mode() const { return (lvt_timer() & kLvtTimerMode) == kLvtTimerTscDeadline; }
  bool timer_periodic_mode() const { return (lvt_timer() & kLvtTimerMode) == kLvtTimerPeriodic; }
  // A write of IA32_TSC_DEADLINE, its value converted to the time it names
  // (vlapic_set_tsc_deadline_msr): ignored outside TSC-deadline mode; else
  // the timer is disarmed, and armed again for any value but 0.
  void write_tsc_deadline(u64 value, TimePs deadline_ps) {
    if (!timer_tsc_deadline_mode()) return;
    tsc_deadline_ = value;
    timer_armed_ = timeout_set_ = value != 0;
    timer_deadline_ps_ = deadline_ps;
    timer_period_ticks_ = 0;
  }
  // The initial-count register (vlapic_write_icrtmr): ignored in TSC-deadline
  // mode; else the timer is disarmed and, for a count but 0, armed to expire
  // count << divide-shift TSC ticks from now, again every as many ticks in
  // periodic mode (set_expiration).
  void write_icr_timer(u32 count, TimePs now_ps) {
    if (timer_tsc_deadline_mode()) return;
    icr_timer_ = count;
    timer_armed_ = false;
    set_expiration(now_ps);
  }
  // What the guest reads: the initial count as written (the virtual-APIC
  // page's copy; a read does not exit).
  u32 icr_timer() const { return icr_timer_; }
  // The divide-configuration register (vlapic_write_dcr): kept as written;
  // bits 3, 1:0 choose a divide shift of 1-7, or 0 (divide by 1) for 111b
  // (vlapic_timer_divisor_shift). It takes effect at the next arming.
  void write_dcr_timer(u32 v) {
    dcr_timer_ = v;
    const u32 val = (v & 0x3u) | ((v & 0x8u) >> 1);
    divisor_shift_ = (val + 1) & 0x7u;
  }
  u32 dcr_timer() const { return dcr_timer_; }
  // The current count (vlapic_get_ccr): the TSC ticks left to the timer's
  // timeout, shifted down by the divide shift; 0 in TSC-deadline mode, with
  // no initial count, or once the timeout has passed (a one-shot's end;
  // timer_expired). A software disable stops the timer but not the count.
  u32 ccr_timer(TimePs now_ps) const {
    if (icr_timer_ == 0 || timer_tsc_deadline_mode() || !(physical_ ? timer_armed_ : timeout_set_)) return 0;
    const u64 now = ticks_at(now_ps);
    return now < timer_deadline_ticks_ ? static_cast<u32>((timer_deadline_ticks_ - now) >> divisor_shift_) : 0;
  }
  bool timer_armed() const { return timer_armed_; }
  TimePs timer_deadline_ps() const { return timer_deadline_ps_; }
  // A read of IA32_TSC_DEADLINE at `now_ps` (vlapic_get_tsc_deadline_msr):
  // the deadline written while the timer's timeout is still ahead (a
  // software disable keeps it); 0 outside TSC-deadline mode, after a write
  // of 0, or once the deadline has come (timer_expired; a physical LAPIC
  // clears the MSR when it fires or is disarmed).
  u64 tsc_deadline_msr(TimePs now_ps) const {
    const bool pending = physical_ ? timer_armed_ : timeout_set_;
    return timer_tsc_deadline_mode() && pending && timer_deadline_ps_ > now_ps ? tsc_deadline_ : 0;
  }
  // The deadline has come, seen at `now_ps` (vlapic_timer_expired, from the
  // hypervisor's timer_softirq): the timer requests its vector unless the LVT
  // masks it (the return value; -1 when it does). A one-shot or TSC-deadline
  // timer disarms; a periodic one stays armed for the next period after
  // `now_ps` (its expiry time advances by whole periods, so it keeps its
  // phase; the periods that passed while the vCPU had not yet looked are one
  // request, as the IRR holds one).
  int expire_timer(TimePs now_ps) {
    if (timer_period_ticks_ == 0) {
      timer_armed_ = false;
    } else {
      const u64 now = ticks_at(now_ps);
      u64 next = timer_deadline_ticks_ + timer_period_ticks_;
      if (next <= now) next += ((now - next) / timer_period_ticks_ + 1) * timer_period_ticks_;
      timer_deadline_ticks_ = next;
      timer_deadline_ps_ = ticks_to_ps(next);
    }
    return (lvt_timer() & kLvtMasked) ? -1 : static_cast<int>(lvt_timer() & 0xFFu);
  }

  // ---- requests and priorities ----
  // Why a fixed interrupt was not accepted.
  enum class Refusal : u8 { none, reserved_vector, software_disabled };
  // vlapic_accept_intr: a software-disabled LAPIC ignores the request; a
  // reserved vector is refused.
  Refusal accept(u8 vector) {
    if (!software_enabled()) return Refusal::software_disabled;
    if (vector < kFirstVector) return Refusal::reserved_vector;
    irr_.set(vector);
    return Refusal::none;
  }
  bool requested() const { return irr_.any(); }
  // The version register (vlapic_reset): version 0x10, max LVT entry 6 (CMCI).
  static constexpr u32 version() { return 0x10u | (6u << 16); }
  // Word i (0-7) of the IRR, ISR or TMR as the APIC page holds it; every
  // request here is edge-triggered, so the TMR reads 0 (vlapic_set_tmr).
  u32 irr_word(unsigned i) const { return irr_.word(i); }
  u32 isr_word(unsigned i) const { return isr_.word(i); }
  static constexpr u32 tmr_word(unsigned) { return 0; }
  // The highest requested vector of 32 or more, whatever the processor
  // priority, or -1 (vlapic_find_highest_irr scans IRR words 7 to 1).
  int highest_requested_from_32() const {
    const int v = irr_.highest();
    return v >= 32 ? v : -1;
  }
  // The highest requested vector whose class is above the processor
  // priority, or -1 (vlapic_find_deliverable_intr).
  int deliverable() const {
    const int v = irr_.highest();
    return v >= 0 && (v >> 4) > (ppr() >> 4) ? v : -1;
  }
  // Interrupt acknowledge: the vector moves from IRR to ISR.
  u8 acknowledge() {
    const int v = deliverable();
    irr_.reset(static_cast<u8>(v));
    isr_.set(static_cast<u8>(v));
    return static_cast<u8>(v);
  }
  // EOI: the highest in-service vector completes.
  void eoi() {
    const int v = isr_.highest();
    if (v >= 0) isr_.reset(static_cast<u8>(v));
  }
  void set_tpr(u8 tpr) { tpr_ = tpr; }
  u8 tpr() const { return tpr_; }
  // Processor priority: the task priority or the in-service class, whichever is higher.
  u8 ppr() const {
    const int isr = isr_.highest();
    const u8 isr_class = isr >= 0 ? static_cast<u8>(isr & 0xF0) : 0;
    return (tpr_ & 0xF0) >= isr_class ? tpr_ : isr_class;
  }

 private:
  // A 256-bit LAPIC register (IRR, ISR) as eight 32-bit words, as the APIC
  // page lays it out; the highest set bit is found word by word with a
  // bit-scan (ACRN's vlapic_find_deliverable_intr scans the words the same way).
  class Reg256 {
   public:
    void set(u8 v) { w_[v >> 5] |= 1u << (v & 31); }
    void reset(u8 v) { w_[v >> 5] &= ~(1u << (v & 31)); }
    u32 word(unsigned i) const { return i < 8 ? w_[i] : 0; }
    bool any() const {
      for (u32 x : w_)
        if (x) return true;
      return false;
    }
    int highest() const {
      for (int i = 7; i >= 0; --i)
        if (w_[i]) return i * 32 + 31 - __builtin_clz(w_[i]);
      return -1;
    }

   private:
    std::array<u32, 8> w_{};
  };

  // The count-down's tick count at a time: TSC ticks (the guest's RDTSC,
  // Vcpu::tsc) for ACRN's emulated timer, crystal-clock ticks for the
  // physical LAPIC's.
  u64 ticks_at(TimePs ps) const {
    if (!physical_) return static_cast<u64>(tsc_.cycles_in(ps));
    return static_cast<u64>(static_cast<unsigned __int128>(ps) * crystal_khz_ / 1'000'000'000u);
  }
  TimePs ticks_to_ps(u64 ticks) const {
    if (!physical_) return tsc_.to_ps(Cycles{ticks});
    const unsigned __int128 ps =
        (static_cast<unsigned __int128>(ticks) * 1'000'000'000u + crystal_khz_ / 2) / crystal_khz_;
    return ps > ~u64{0} ? ~u64{0} : static_cast<TimePs>(ps);
  }
  // set_expiration: arms the count-down for the initial count, if any.
  void set_expiration(TimePs now_ps) {
    if (icr_timer_ == 0) return;
    const u64 delta = u64{icr_timer_} << divisor_shift_;
    timer_deadline_ticks_ = ticks_at(now_ps) + delta;
    timer_deadline_ps_ = ticks_to_ps(timer_deadline_ticks_);
    // add_timer floors a periodic hv_timer's period (MIN_TIMER_PERIOD_US);
    // the first expiry keeps the guest's count. The physical LAPIC's is the
    // guest's own.
    const u64 floor = physical_ ? 0 : static_cast<u64>(tsc_.cycles_in(min_period_ps_));
    timer_period_ticks_ = timer_periodic_mode() ? std::max(delta, floor) : 0;
    timer_armed_ = timeout_set_ = true;
  }

  u32 apic_id_;
  bool bsp_;
  bool x2apic_ = false;     // vlapic_reset: xAPIC mode
  u32 ldr_ = 0;             // vlapic_reset: 0
  u32 dfr_ = 0xFFFF'FFFFu;  // vlapic_reset: flat model
  Reg256 irr_;
  Reg256 isr_;
  u8 tpr_ = 0;
  u32 svr_ = kSvrBooted;
  // ACRN's order (APIC_LVT_TIMER 0 ... APIC_LVT_ERROR 5, APIC_LVT_CMCI 6).
  static unsigned lvt_index(u32 offset) { return offset == kApicLvtCmci ? 6 : (offset - kApicLvtTimer) >> 4; }
  // vlapic_reset (vlapic_mask_lvts): every entry masked; the timer one-shot.
  std::array<u32, 7> lvt_{kLvtMasked, kLvtMasked, kLvtMasked, kLvtMasked, kLvtMasked, kLvtMasked, kLvtMasked};
  u32 icr_low_ = 0;
  u32 icr_high_ = 0;
  u32 esr_ = 0;
  u32 esr_pending_ = 0;
  bool timer_armed_ = false;  // the hypervisor's timer is in its list (add_timer), to fire
  bool timeout_set_ = false;  // its timeout is not 0 (update_timer), whether in the list or not
  TimePs timer_deadline_ps_ = 0;
  u64 tsc_deadline_ = 0;  // IA32_TSC_DEADLINE as last written in TSC-deadline mode
  // The count-down timer, in TSC ticks (vlapic_timer), or crystal-clock
  // ticks once the physical LAPIC has taken over: the expiry, the period
  // (0: one-shot or TSC deadline), the registers.
  Frequency tsc_;
  u64 crystal_khz_;
  TimePs min_period_ps_;
  bool physical_ = false;
  u64 timer_deadline_ticks_ = 0;
  u64 timer_period_ticks_ = 0;
  u32 icr_timer_ = 0;
  u32 dcr_timer_ = 0;
  u32 divisor_shift_ = 1;  // vlapic_reset: DCR 0, divide by 2
};

}  // namespace ivsim
