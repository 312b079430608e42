// The hypervisor's MSR emulation (hypervisor/arch/x86/guest/vmsr.c): the
// MSR bitmap each vCPU's VMCS gets (init_msr_emulation), the
// guest's TSC offset and the TSC-deadline interception it switches
// (set_tsc_msr_interception), and the RDMSR / WRMSR exits' handlers
// (rdmsr_vmexit_handler, wrmsr_vmexit_handler). A handler's error (-EACCES,
// -EINVAL) becomes #GP in the exit's dispatch (vcpu_thread). What ACRN
// reads from or writes to the host CPU's own MSRs the twin does not model:
// such an access stops the guest program with a message that says so. The
// virtual MTRRs are in vmtrr.cpp, Hyper-V's MSRs in hyperv.cpp, the x2APIC
// ones in vlapic_x2apic.cpp.
#include <fmt/format.h>

#include <initializer_list>

#include "models/cpu/msrs.h"
#include "models/hv/hypervisor.h"

namespace ivsim {

namespace {

// init_emulated_msrs: IA32_FEATURE_CONTROL's lock bit (no nested VMX, no vSGX).
constexpr u64 kFeatureControlLock = 1;
// IA32_MISC_ENABLE bits (msr.h).
constexpr u64 kMiscEnableEist = u64{1} << 16, kMiscEnableMonitorEna = u64{1} << 18;

// The MSRs init_msr_emulation intercepts both ways, list by list. The PMU's
// (pmc_msrs) are intercepted unless the VM has the PMU passed through
// (is_pmu_pt_configured: a pre-launched RTVM of a debug build).
void add_range(MsrBitmap& b, u32 first, u32 last, unsigned mode) {
  for (u32 m = first; m <= last; ++m) b.set(m, mode);
}

void intercept_emulated_guest_msrs(MsrBitmap& b) {
  using namespace msr;
  for (u32 m : {kPat,
                kEfer,
                kTscAdjust,
                kUmwaitControl,
                kTscDeadline,
                kBiosUpdtTrig,
                kBiosSignId,
                kTimeStampCounter,
                kApicBase,
                kPerfStatus,
                kPerfCtl,
                kFeatureControl,
                kMcgCap,
                kMcgStatus,
                kMiscEnable,
                kSgxSvnStatus,
                kXss,
                kCopyLocalToPlatform,
                kCopyPlatformToLocal,
                kCopyStatus,
                kIwkeyBackupStatus,
                kTestCtl,
                kPlatformInfo,
                kPmEnable,
                kHwpCapabilities,
                kHwpRequest,
                kHwpStatus,
                kMperf,
                kAperf,
                kClockModulation,
                kThermInterrupt,
                kThermStatus,
                kPackageThermInterrupt,
                kPackageThermStatus})
    b.set(m, kInterceptReadWrite);
  add_range(b, kSgxLePubKeyHash0, kSgxLePubKeyHash0 + 3, kInterceptReadWrite);
}

void intercept_mtrr_msrs(MsrBitmap& b) {
  using namespace msr;
  for (u32 m : {kMtrrCap, kMtrrDefType, kMtrrFix64k00000, kMtrrFix16k80000, kMtrrFix16kA0000})
    b.set(m, kInterceptReadWrite);
  add_range(b, kMtrrFix4kC0000, kMtrrFix4kC0000 + 7, kInterceptReadWrite);
}

void intercept_pmc_msrs(MsrBitmap& b) {
  using namespace msr;
  add_range(b, kPmc0, kPmc0 + 7, kInterceptReadWrite);
  add_range(b, kPerfEvtSel0, kPerfEvtSel0 + 3, kInterceptReadWrite);
  add_range(b, kAPmc0, kAPmc0 + 7, kInterceptReadWrite);
  add_range(b, kFixedCtrCtl, kPerfGlobalInuse, kInterceptReadWrite);
  add_range(b, kFixedCtr0, kFixedCtr0 + 2, kInterceptReadWrite);
  b.set(kPerfCapabilities, kInterceptReadWrite);
  b.set(kDsArea, kInterceptReadWrite);
}

// unsupported_msrs: intercepted, and every access gets #GP. Nested VMX is
// off (CONFIG_NVMX_ENABLED n), so the VMX MSRs are among them.
void intercept_unsupported_msrs(MsrBitmap& b) {
  using namespace msr;
  add_range(b, kMtrrPhysBase0, kMtrrPhysBase0 + 19, kInterceptReadWrite);
  for (u32 m : {kSmrrPhysBase,
                kSmrrPhysMask,
                kSmbase,
                kBndcfgs,
                kSgxOwnerEpoch0,
                kSgxOwnerEpoch1,
                kL3QosCfg,
                kL2QosCfg,
                kQmEvtSel,
                kQmCtr,
                kPqrAssoc,
                kRtitOutputBase,
                kRtitOutputMaskPtrs,
                kRtitCtl,
                kRtitStatus,
                kRtitCr3Match,
                kSmmMonitorCtl,
                kDebugInterface,
                kMcgCap,
                kMcgStatus,
                kMcgCtl,
                kMcgExtCtl,
                kPrmrrPhysBase,
                kPrmrrPhysMask,
                kPrmrrValidConfig,
                kUncorePrmrrPhysBase,
                kUncorePrmrrPhysMask,
                kUCet,
                kSCet,
                kInterruptSspTableAddr,
                kHwpRequestPkg,
                kHwpCtl,
                kHwpInterrupt,
                kHwFeedbackPtr,
                kHwFeedbackConfig,
                kThreadFeedbackChar,
                kHwFeedbackThreadConfig})
    b.set(m, kInterceptReadWrite);
  add_range(b, kVmxBasic, kVmxProcbasedCtls3, kInterceptReadWrite);
  add_range(b, kRtitAddr0A, kRtitAddr0A + 7, kInterceptReadWrite);
  add_range(b, kPl0Ssp, kPl0Ssp + 3, kInterceptReadWrite);
}

bool is_thermal_msr(u32 m) {
  using namespace msr;
  return m == kClockModulation || m == kThermInterrupt || m == kThermStatus || m == kPackageThermInterrupt ||
         m == kPackageThermStatus;
}

bool is_mtrr_msr(u32 m) {
  using namespace msr;
  return m == kMtrrCap || m == kMtrrDefType || m == kMtrrFix64k00000 || m == kMtrrFix16k80000 ||
         m == kMtrrFix16kA0000 || (m >= kMtrrFix4kC0000 && m <= kMtrrFix4kC0000 + 7);
}

bool is_hyperv_msr(u32 m) {
  using namespace msr;
  return m == kHvGuestOsId || m == kHvHypercall || m == kHvVpIndex || m == kHvTimeRefCount || m == kHvReferenceTsc ||
         m == kHvTscFrequency || m == kHvApicFrequency;
}

// rdmsr_vmexit_handler and wrmsr_vmexit_handler (v3.3, nested VMX and vCAT
// off; Hyper-V's MSRs before the switch): a refusal in a case of the
// handler's own is a silent -EACCES; any other MSR that exits reaches its
// default branch, which refuses it with a pr_warn ("reading MSR %lx not
// supported", "writing ..."). The cases both switches have:
bool both_handlers_have_case(u32 m) {
  using namespace msr;
  switch (m) {
    case kTscDeadline:
    case kTscAdjust:
    case kBiosSignId:
    case kPerfStatus:
    case kPerfCtl:
    case kPmEnable:
    case kHwpCapabilities:
    case kHwpRequest:
    case kHwpStatus:
    case kMperf:
    case kAperf:
    case kPat:
    case kEfer:
    case kApicBase:
    case kFeatureControl:
    case kMcgCap:
    case kMcgStatus:
    case kMiscEnable:
    case kSgxSvnStatus:
    case kUmwaitControl:
    case kTestCtl:
      return true;
    default:
      return is_thermal_msr(m) || (is_mtrr_msr(m) && m != kMtrrCap) ||
             (m >= kSgxLePubKeyHash0 && m <= kSgxLePubKeyHash0 + 3);
  }
}

// The reader's own besides: IA32_MTRR_CAP, MSR_PLATFORM_INFO and the Key
// Locker status MSRs.
bool rdmsr_has_case(u32 m) {
  using namespace msr;
  return both_handlers_have_case(m) || m == kMtrrCap || m == kPlatformInfo || m == kCopyStatus ||
         m == kIwkeyBackupStatus;
}

// The writer's own besides: the TSC, IA32_BIOS_UPDT_TRIG, IA32_XSS and the
// two Key Locker copy MSRs.
bool wrmsr_has_case(u32 m) {
  using namespace msr;
  return both_handlers_have_case(m) || m == kTimeStampCounter || m == kBiosUpdtTrig || m == kXss ||
         m == kCopyLocalToPlatform || m == kCopyPlatformToLocal;
}

// is_pat_mem_type_invalid, for each of the eight entries: reserved bits
// 7:3 set, or the reserved types 2 and 3.
bool pat_valid(u64 pat) {
  for (unsigned i = 0; i < 8; ++i) {
    const u64 field = (pat >> (8 * i)) & 0xFF;
    if ((field & 0xF8) != 0 || (field & 0x6) == 0x2) return false;
  }
  return true;
}

}  // namespace

void Hypervisor::init_vmcs(Vm& vm, unsigned vcpu) {
  Vmcs& vmcs = *vm.vmcs.at(vcpu);
  GuestMsrs& g = vm.guest_msrs.at(vcpu);
  // init_msr_emulation.
  MsrBitmap& b = vmcs.msr_bitmap;
  b.clear();
  intercept_emulated_guest_msrs(b);
  intercept_mtrr_msrs(b);
  if (!vm.pmu_pt) intercept_pmc_msrs(b);
  add_range(b, kX2apicFirst, kX2apicLast, kInterceptReadWrite);  // intercept_x2apic_msrs
  intercept_unsupported_msrs(b);
  add_range(b, msr::kL3MaskBase, msr::kBndcfgs - 1, kInterceptReadWrite);  // RDT-A
  b.set(msr::kTimeStampCounter, kInterceptWrite);  // "don't need to intercept rdmsr for these MSRs"
  b.set(msr::kXss, kInterceptWrite);
  // init_emulated_msrs.
  g.feature_control = kFeatureControlLock;
  // init_vmcs: the guest's PAT at its power-on value (init_guest_vmx), and
  // the TSC offset vAdjust - pAdjust. The guest MSRs outlive a reset
  // (vcpu_reset_internal clears the VMCS, not guest_msrs), so a relaunched
  // vCPU keeps the TSC_ADJUST its guest last wrote; the host's own
  // IA32_TSC_ADJUST is taken at its reset value, 0.
  vmcs.guest_pat = kPatPowerOn;
  vmcs.tsc_offset = g.tsc_adjust;
  // init_exec_ctrl: "virtualize APIC accesses" on, at the APIC-access page.
  vmcs.virtualize_apic_accesses = true;
  vmcs.apic_access_addr = apic_access_page_;
}

void Hypervisor::vlapic_create(Vm& vm) {
  // "only need unmap it from Service VM as User VM never mapped it"
  if (vm.load_order == VmLoadOrder::service_vm) ept_del_mr(vm, VLapic::kDefaultBase, kPageSize4K);
  ept_add_mr(vm, apic_access_page_, VLapic::kDefaultBase, kPageSize4K, ept::kRead | ept::kWrite | ept::kUC);
}

void Hypervisor::launch_vm(Vm& vm, TimePs now) {
  for (unsigned i = 0; i < vm.vmcs.size(); ++i) init_vmcs(vm, i);
  if (hyperv_ && !vm.vmcs.empty()) hyperv_init_time(vm, now);  // at the BSP's first VM entry
}

u64 Hypervisor::tsc_khz() const { return timing_.tsc_clock.mhz() * 1000; }

u64 Hypervisor::guest_tsc(const Vm& vm, unsigned vcpu, TimePs now) const {
  return static_cast<u64>(timing_.tsc_clock.cycles_in(now)) + vm.vmcs.at(vcpu)->tsc_offset;
}

void Hypervisor::set_tsc_msr_interception(Vm& vm, unsigned vcpu, bool interception, VmExitExtension& exit) {
  MsrBitmap& b = vm.vmcs.at(vcpu)->msr_bitmap;
  VLapic& lapic = *vm.vlapics.at(vcpu);
  const bool intercepted = b.intercepts(msr::kTscDeadline, false);
  if (!interception && intercepted) {
    b.set(msr::kTscDeadline, kInterceptDisable);
    b.set(msr::kTscAdjust, kInterceptWrite);
    if (!is_lapic_pt(vm, vcpu)) {
      // The guest's deadline would now program the physical LAPIC timer
      // that carries ACRN's own timers; its expiry is ACRN's interrupt.
      exit.unmodelled = fmt::format(
          "guest WRMSR in VM {} vCPU {}: with a TSC offset of 0, ACRN stops intercepting IA32_TSC_DEADLINE "
          "(set_tsc_msr_interception) for a vCPU without LAPIC passthrough too; the guest's deadlines then "
          "program the physical LAPIC timer that carries ACRN's own timers, which the twin does not model",
          vm.name, vcpu);
      return;
    }
    // The physical deadline, still armed, becomes the guest's value: with
    // an offset of 0 both count alike. One that fired leaves 0.
    Breakdown blame;
    const u64 deadline = lapic.tsc_deadline_msr(exit_now(blame));
    if (deadline != 0) lapic.write_tsc_deadline(deadline, timing_.tsc_clock.to_ps(Cycles{deadline}));
  } else if (interception && !intercepted) {
    // The guest's value becomes the physical deadline's, which keeps its time.
    b.set(msr::kTscDeadline, kInterceptReadWrite);
    b.set(msr::kTscAdjust, kInterceptReadWrite);
  }
}

void Hypervisor::update_msr_bitmap_x2apic_apicv(MsrBitmap& b) {
  // With APIC-register virtualization and virtual-interrupt delivery, which
  // every board the twin knows has (is_apicv_advanced_feature_supported):
  // every x2APIC write intercepted, no read but the current count's; EOI
  // and SELF IPI not at all, nor the TPR.
  add_range(b, kX2apicFirst, kX2apicLast, kInterceptWrite);
  b.set(kX2apicTimerCcr, kInterceptRead);
  b.set(kX2apicEoi, kInterceptDisable);
  b.set(kX2apicSelfIpi, kInterceptDisable);
  b.set(kX2apicTpr, kInterceptDisable);
}

void Hypervisor::update_msr_bitmap_x2apic_passthru(Vm& vm, unsigned vcpu, VmExitExtension& exit) {
  // The guest owns the LAPIC but for the reads of its ID and LDR, the ICR's
  // writes and, without vTM, the thermal LVT; and IA32_TSC_DEADLINE while
  // the TSC offset is not 0.
  MsrBitmap& b = vm.vmcs.at(vcpu)->msr_bitmap;
  add_range(b, kX2apicFirst, kX2apicLast, kInterceptDisable);
  b.set(kX2apicId, kInterceptRead);
  b.set(kX2apicLdr, kInterceptRead);
  b.set(kX2apicIcr, kInterceptWrite);
  b.set(kX2apicLvtThermal, kInterceptReadWrite);
  set_tsc_msr_interception(vm, vcpu, vm.vmcs.at(vcpu)->tsc_offset != 0, exit);
}

bool Hypervisor::is_lapic_pt(const Vm& vm, unsigned vcpu) {
  return vm.lapic_pt && vm.vlapics.at(vcpu)->passed_through();
}

void Hypervisor::handle_msr_write(Vm& vm, unsigned vcpu, u32 m, u64 value, VmExitExtension& exit) {
  VLapic& lapic = *vm.vlapics.at(vcpu);
  GuestMsrs& g = vm.guest_msrs.at(vcpu);
  Vmcs& vmcs = *vm.vmcs.at(vcpu);
  const auto refuse = [&exit](const char* why) { exit.inject(kVectorGp, why); };
  const auto unmodelled = [&](const char* what) {
    exit.unmodelled = fmt::format("guest WRMSR of MSR {:#x}: {}, which the twin does not model", m, what);
  };
  if (m >= kX2apicFirst && m <= kX2apicLast) {
    handle_x2apic_write(vm, vcpu, m, value, exit);
    return;
  }
  if (is_hyperv_msr(m) && hyperv_) {
    hyperv_wrmsr(vm, vcpu, m, value, exit);
    return;
  }
  // The write happens now, after the handler's cost so far (timer_emulation
  // below is charged first: it is part of arming the hypervisor's timer).
  // Under LAPIC passthrough an intercepted deadline (a TSC offset) is one
  // write of the physical MSR, no hypervisor timer.
  if (m == msr::kTscDeadline && !is_lapic_pt(vm, vcpu)) charge_hv(timing_.timer_emulation_ps);
  Breakdown blame;
  const TimePs now = exit_now(blame);
  switch (m) {
    case msr::kApicBase: {
      // vlapic_set_apicbase: xAPIC -> x2APIC builds the x2APIC ID and LDR,
      // turns "virtualize APIC accesses" off and opens the x2APIC MSRs in
      // the bitmap (switch_apicv_mode_x2apic); another change of mode is
      // ignored.
      const bool was_x2apic = lapic.x2apic();
      lapic.write_apic_base(value);
      if (was_x2apic || !lapic.x2apic()) break;
      vmcs.virtualize_apic_accesses = false;
      if (vm.lapic_pt)
        update_msr_bitmap_x2apic_passthru(vm, vcpu, exit);
      else
        update_msr_bitmap_x2apic_apicv(vmcs.msr_bitmap);
      break;
    }
    case msr::kTscDeadline: {
      // vlapic_set_tsc_deadline_msr: the guest's value is kept; the timer
      // (the hypervisor's, or under LAPIC passthrough the physical one)
      // is set at the host TSC, the value less the TSC offset (mod 2^64,
      // as ACRN subtracts), in TSC-deadline mode only; 0 disarms it.
      const TimePs at = timing_.tsc_clock.to_ps(Cycles{value - vmcs.tsc_offset});
      lapic.write_tsc_deadline(value, at);
      // A deadline already passed expires now, in this exit
      // (vlapic_timer_expired), and its vector is injected at the VM entry;
      // a later one the vCPU takes when it comes (Vcpu::follow_lapic_timer),
      // as it takes a passed-through timer's interrupt.
      if (!is_lapic_pt(vm, vcpu) && lapic.timer_armed() && lapic.timer_deadline_ps() <= now) {
        const int vector = lapic.expire_timer(now);
        if (vector >= 0) deliver(vm, vcpu, Irq{static_cast<u8>(vector), false, IrqPath::local}, now, blame);
      }
      break;
    }
    case msr::kTimeStampCounter: {
      // set_guest_tsc: the offset becomes the new TSC less the host's; the
      // change is added to TSC_ADJUST (SDM Vol. 3B 18.17.3).
      const u64 delta = value - static_cast<u64>(timing_.tsc_clock.cycles_in(now));
      g.tsc_adjust += delta - vmcs.tsc_offset;
      vmcs.tsc_offset = delta;
      set_tsc_msr_interception(vm, vcpu, delta != 0, exit);
      break;
    }
    case msr::kTscAdjust: {
      // set_guest_tsc_adjust: the change of TSC_ADJUST is added to the offset.
      vmcs.tsc_offset += value - g.tsc_adjust;
      g.tsc_adjust = value;
      set_tsc_msr_interception(vm, vcpu, vmcs.tsc_offset != 0, exit);
      break;
    }
    case msr::kTestCtl:
      // With the capability the value is the guest's own (vcpu_set_guest_msr,
      // "Ignore writting ... to MSR_TEST_CTL"): the physical MSR, and with
      // it whether a split lock traps, stays ACRN's. emulate_lock_instr
      // reads it back (is_guest_ac_enabled).
      if (split_lock_core_cap_) {
        g.test_ctl = value;
        hv_log(LogSeverity::warning, fmt::format("Ignore writting 0x{:x} to MSR_TEST_CTL from VM{}", value, vm.id));
      } else {
        refuse("#GP: WRMSR of MSR_TEST_CTL on a CPU without split-lock detection");
      }
      break;
    case msr::kPat:
      // write_pat_msr: every entry a valid type, else -EINVAL; the VMCS's
      // guest PAT takes it. ACRN keeps it in guest_msrs too, for a CR0.CD
      // that defers it, which the twin's guests never set: one copy here.
      if (!pat_valid(value)) {
        hv_log(LogSeverity::error, fmt::format("invalid guest IA32_PAT: 0x{:016x}", value));
        refuse("#GP: WRMSR of IA32_PAT with a reserved memory type (write_pat_msr)");
        break;
      }
      vmcs.guest_pat = value;
      break;
    case msr::kPerfCtl:
      g.perf_ctl = value;
      break;
    case msr::kMiscEnable:
      // set_guest_ia32_misc_enalbe: MONITOR/MWAIT is hidden, so enabling it
      // is #GP. XD_DISABLE would clear EFER.NXE, which the twin does not keep.
      if (value & kMiscEnableMonitorEna)
        refuse("#GP: WRMSR of IA32_MISC_ENABLE enabling MONITOR/MWAIT, which ACRN hides");
      else
        g.misc_enable = value;
      break;
    case msr::kMcgStatus:
      if (value != 0) refuse("#GP: WRMSR of a non-zero IA32_MCG_STATUS");
      break;
    case msr::kBiosSignId:
    case msr::kPerfStatus:
    case msr::kHwpCapabilities:
      break;  // ignored (read-only)
    case msr::kBiosUpdtTrig:
      // Only the Service VM may update the microcode (acrn_update_ucode).
      if (vm.load_order == VmLoadOrder::service_vm) unmodelled("a microcode update (acrn_update_ucode)");
      break;
    case msr::kEfer:
      unmodelled("the guest's EFER (vcpu_set_efer)");
      break;
    case msr::kXss:
      unmodelled("the physical IA32_XSS ACRN writes for the guest");
      break;
    case msr::kUmwaitControl:
      unmodelled("IA32_UMWAIT_CONTROL, present only where the host CPU has WAITPKG");
      break;
    default:
      if (is_mtrr_msr(m) && m != msr::kMtrrCap && !vm.hide_mtrr) {
        write_vmtrr(vm, vcpu, m, value, exit);
        break;
      }
      // The rest of what ACRN intercepts it refuses: read-only MSRs
      // (IA32_MCG_CAP, IA32_FEATURE_CONTROL, SGX), features it does not
      // give the guest (thermal without vTM, HWP without vHWP, Key
      // Locker, the PMU, RDT, MTRR_CAP, every MTRR when the VM hides them)
      // and the unsupported list; and any
      // MSR outside the bitmap's ranges (default: -EACCES). Those without a
      // case of their own are logged.
      if (!wrmsr_has_case(m))
        hv_log(LogSeverity::warning,
               fmt::format("wrmsr_vmexit_handler(): vm{} vcpu{} writing MSR {:x} not supported", vm.id, vcpu, m));
      refuse("#GP: WRMSR of an MSR ACRN does not let the guest write (wrmsr_vmexit_handler)");
      break;
  }
}

u64 Hypervisor::handle_msr_read(Vm& vm, unsigned vcpu, u32 m, VmExitExtension& exit) {
  const VLapic& lapic = *vm.vlapics.at(vcpu);
  const GuestMsrs& g = vm.guest_msrs.at(vcpu);
  const auto unmodelled = [&](const char* what) {
    exit.unmodelled = fmt::format("guest RDMSR of MSR {:#x}: {}, which the twin does not model", m, what);
    return u64{0};
  };
  if (m >= kX2apicFirst && m <= kX2apicLast) return handle_x2apic_read(vm, vcpu, m, exit);
  if (is_hyperv_msr(m) && hyperv_) return hyperv_rdmsr(vm, vcpu, m, exit);
  switch (m) {
    case msr::kApicBase:
      return lapic.apic_base();  // vlapic_get_apicbase
    case msr::kTestCtl:
      // The guest's own value where the CPU enumerates split-lock (or
      // UC-lock) detection, #GP elsewhere.
      if (split_lock_core_cap_) return g.test_ctl;
      break;
    case msr::kTscDeadline: {
      // vlapic_get_tsc_deadline_msr: the guest's value, 0 once the timer
      // fired (under LAPIC passthrough: once the physical one did).
      Breakdown blame;
      return lapic.tsc_deadline_msr(exit_now(blame));
    }
    case msr::kTscAdjust:
      return g.tsc_adjust;
    case msr::kPerfCtl:
      return g.perf_ctl;
    case msr::kPat:
      return vm.vmcs.at(vcpu)->guest_pat;
    case msr::kFeatureControl:
      return g.feature_control;
    case msr::kMcgCap:
    case msr::kMcgStatus:
      return 0;
    case msr::kMiscEnable:
      // CPUID.01H:ECX[7] is removed from guests: no EIST enable bit.
      return g.misc_enable & ~kMiscEnableEist;
    case msr::kPlatformInfo:
      // "Allow read by non-service vm for compatibility": 0, with a pr_warn.
      // The Service VM reads the host's ratios.
      if (vm.load_order != VmLoadOrder::service_vm) {
        hv_log(LogSeverity::warning, fmt::format("rdmsr_vmexit_handler(): vm{} read MSR_PLATFORM_INFO", vm.id));
        return 0;
      }
      return unmodelled("the host's MSR_PLATFORM_INFO ratios");
    case msr::kEfer:
      return unmodelled("the guest's EFER (vcpu_get_efer)");
    case msr::kBiosSignId:
      return unmodelled("the host's microcode revision (get_microcode_version)");
    case msr::kPerfStatus:
      // get_perf_status (no vHWP, which the twin does not configure): the
      // base ratio in bits 15:8, the host's CPUID.16H base frequency over
      // its bus frequency. The host's base frequency is the nominal clock
      // its TSC ticks at (the brand string's), the bus kBusMhz.
      return ((tsc_khz() / 1000 / kBusMhz) & 0xFF) << 8;
    case msr::kUmwaitControl:
      return unmodelled("IA32_UMWAIT_CONTROL, present only where the host CPU has WAITPKG");
    default:
      if (is_thermal_msr(m)) return unmodelled("the host's thermal MSR (msr_read)");
      if (is_mtrr_msr(m) && !vm.hide_mtrr) return read_vmtrr(vm, vcpu, m, exit);
      break;
  }
  // rdmsr_vmexit_handler: an MSR it does not emulate, or a feature it does
  // not give the guest (HWP, SGX, Key Locker, the PMU, RDT, nested VMX,
  // hidden MTRRs), gets -EACCES: #GP. Its default branch logs the MSR.
  if (!rdmsr_has_case(m))
    hv_log(LogSeverity::warning,
           fmt::format("rdmsr_vmexit_handler(): vm{} vcpu{} reading MSR {:x} not supported", vm.id, vcpu, m));
  exit.inject(kVectorGp, "#GP: RDMSR of an MSR the hypervisor does not emulate");
  return 0;
}

}  // namespace ivsim
