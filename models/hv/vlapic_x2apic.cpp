// The x2APIC MSRs that exit, as the hypervisor handles them
// (hypervisor/arch/x86/guest/vlapic.c: vlapic_x2apic_read,
// vlapic_x2apic_write); which exit is the MSR bitmap's (vmsr.cpp).
#include "models/hv/hypervisor.h"

#include <fmt/format.h>

namespace ivsim {

namespace {

// The x2APIC MSR writes vlapic_x2apic_write accepts from a vLAPIC in x2APIC
// mode. Under LAPIC passthrough: the ICR and the thermal LVT, the writes it
// intercepts (update_msr_bitmap_x2apic_passthru). Otherwise the registers a
// physical LAPIC writes, but for those apicv_advanced_x2apic_write_msr_may_valid
// refuses (EOI, SELF IPI) or vlapic_write does not handle (TPR), none of which
// exits (Vcpu::wrmsr); and two a physical LAPIC refuses, which vlapic_write
// takes: the ID (ignored, "read only") and the LDR (stored).
bool x2apic_write_accepted(u32 msr, bool lapic_pt) {
  if (lapic_pt) return msr == kX2apicIcr || msr == kX2apicLvtThermal;
  if (msr == kX2apicId || msr == kX2apicLdr) return true;
  return x2apic_msr_writable(msr) && msr != kX2apicTpr && msr != kX2apicEoi && msr != kX2apicSelfIpi;
}

}  // namespace

void Hypervisor::handle_x2apic_write(Vm& vm, unsigned vcpu, u32 m, u64 value, VmExitExtension& exit) {
  VLapic& lapic = *vm.vlapics.at(vcpu);
  // x2APIC MSRs with the LAPIC in xAPIC mode: #GP (vlapic_x2apic_write).
  if (!lapic.x2apic()) {
    exit.inject(kVectorGp, "#GP: WRMSR of an x2APIC MSR with the LAPIC in xAPIC mode");
    return;
  }
  // Registers vlapic_x2apic_write does not write return an error, which
  // the exit's dispatch turns into #GP (vcpu_thread).
  if (!x2apic_write_accepted(m, vm.lapic_pt)) {
    // Under LAPIC passthrough only a vCPU whose INIT reset took passthrough
    // from it (its init_vmcs intercepts every x2APIC MSR) gets here.
    if (vm.lapic_pt)
      hv_log(LogSeverity::error, fmt::format("vlapic_x2apic_write: unexpected MSR[0x{:x}] write with lapic_pt", m));
    exit.inject(kVectorGp, "#GP: WRMSR of an x2APIC register vlapic_x2apic_write refuses (-EACCES)");
    return;
  }
  if (m == kX2apicTimerIcr) charge_hv(timing_.timer_emulation_ps);  // part of arming the timer
  Breakdown blame;
  const TimePs now = exit_now(blame);
  switch (m) {
    case kX2apicIcr:
      // vlapic_x2apic_write: under LAPIC passthrough the ICR is the one
      // x2APIC register still intercepted (vlapic_x2apic_pt_icr_access).
      if (vm.lapic_pt) {
        pt_icr_access(vm, vcpu, value, exit);
      } else {
        lapic.write_icr(value);  // vlapic_write: both halves into the page
        send_ipi(vm, vcpu, value);
      }
      break;
    case kX2apicLvtCmci:
    case kX2apicLvtThermal:
    case kX2apicLvtPmc:
    case kX2apicLvtLint0:
    case kX2apicLvtLint1:
      lapic.write_lvt((m - kX2apicFirst) << 4, static_cast<u32>(value));  // vlapic_write_lvt
      break;
    case kX2apicSvr:
      lapic.write_svr(static_cast<u32>(value), now);  // vlapic_write_svr
      break;
    case kX2apicLdr:
      lapic.write_ldr(static_cast<u32>(value));  // vlapic_write_ldr
      break;
    case kX2apicLvtTimer:
      lapic.write_lvt_timer(static_cast<u32>(value));  // vlapic_write_lvt
      break;
    // The count-down timer (vlapic_write_icrtmr, vlapic_write_dcr): its
    // expiry is always ahead, so the vCPU takes it when it comes. Under
    // LAPIC passthrough these MSRs are the physical LAPIC's and do not
    // exit (Vcpu::wrmsr).
    case kX2apicTimerIcr:
      lapic.write_icr_timer(static_cast<u32>(value), now);
      break;
    case kX2apicTimerDcr:
      lapic.write_dcr_timer(static_cast<u32>(value));
      break;
    case kX2apicEsr:
      lapic.write_esr();  // vlapic_write_esr
      break;
    case kX2apicLvtError:
      lapic.write_lvt_error(static_cast<u32>(value));  // vlapic_write_lvt
      break;
    default:
      break;  // the ID: "read only", ignored
  }
}

u64 Hypervisor::handle_x2apic_read(Vm& vm, unsigned vcpu, u32 m, VmExitExtension& exit) {
  const VLapic& lapic = *vm.vlapics.at(vcpu);
  if (lapic.x2apic()) {
    switch (m) {
      case kX2apicId:
      case kX2apicLdr:
        // vlapic_x2apic_read: under LAPIC passthrough, which intercepts these
        // two. With APICv (apicv_advanced_x2apic_read_msr_may_valid) only the
        // current count is read: these exit only after an INIT's init_vmcs
        // has intercepted every x2APIC MSR again, and fault.
        if (!vm.lapic_pt) break;
        return m == kX2apicId ? lapic.id_register() : lapic.ldr();
      case kX2apicLvtThermal:
        // vlapic_x2apic_read: under LAPIC passthrough without vTM the thermal
        // LVT is the vLAPIC's (update_msr_bitmap_x2apic_passthru intercepts
        // it both ways); with APICv the read does not exit (Vcpu::rdmsr).
        if (vm.lapic_pt) return lapic.lvt(kApicLvtThermal);
        break;
      case kX2apicTimerCcr: {
        // The one x2APIC read APICv intercepts (update_msr_bitmap_x2apic_apicv):
        // vlapic_get_ccr.
        if (vm.lapic_pt) break;
        Breakdown blame;
        return lapic.ccr_timer(exit_now(blame));
      }
      default:
        break;
    }
  }
  // vlapic_x2apic_read: xAPIC mode, or a register it does not read: #GP.
  if (lapic.x2apic() && vm.lapic_pt)
    hv_log(LogSeverity::error, fmt::format("vlapic_x2apic_read: unexpected MSR[0x{:x}] read with lapic_pt", m));
  exit.inject(kVectorGp, "#GP: RDMSR of an MSR the hypervisor does not emulate");
  return 0;
}

}  // namespace ivsim
