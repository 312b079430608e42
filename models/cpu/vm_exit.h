// A VM exit as it travels from a vCPU to the hypervisor: a TLM transaction on
// the vCPU's exit socket (address = GPA or port, data = the access) with this
// extension saying why it exited and collecting what handling it costs.
#pragma once

#include <string>
#include <tlm>

#include "models/core/breakdown.h"
#include "models/core/types.h"

namespace ivsim {

// Basic exit reasons, named as in the Intel SDM / ACRN's vmexit.c table.
enum class ExitReason : u8 {
  ept_violation,       // access to a GPA with no EPT mapping (trapped MMIO)
  io_instruction,      // IN/OUT
  vmcall,              // hypercall
  hlt,                 // HLT: the vCPU gives up its pCPU until an interrupt
  msr_write,           // WRMSR to an intercepted MSR (x2APIC ICR, TSC deadline, APIC base)
  msr_read,            // RDMSR of an intercepted MSR (APIC base; x2APIC ID and LDR with LAPIC passthrough)
  cpuid,               // CPUID: always exits (ACRN's vcpuid)
  external_interrupt,  // a physical interrupt while the guest runs (the hypervisor's timer, a kick)
  init_signal,         // an INIT while the guest runs: the kick of a LAPIC-passthrough vCPU
  exception_or_nmi,    // an exception the exception bitmap intercepts (#AC of a split lock)
  monitor_trap,        // the monitor trap flag's single step ended (a split lock stepped without LOCK)
  wbinvd,              // WBINVD: always exits (WBINVD exiting, init_exec_ctrl)
  invd,                // INVD: always exits (unconditionally in VMX non-root operation)
  apic_access,         // an xAPIC page access the CPU does not virtualize (apic_access_vmexit_handler)
  apic_write,          // an xAPIC register write the CPU put in the page (apic_write_vmexit_handler)
  ept_misconfig,       // the EPT walk met a misconfigured entry (ept_misconfig_vmexit_handler)
  count
};
constexpr std::size_t kExitReasonCount = static_cast<std::size_t>(ExitReason::count);

constexpr const char* exit_reason_name(ExitReason r) {
  // Report names: what the exit was for.
  constexpr const char* names[] = {
      "ept_violation_mmio", "io_instruction", "hypercall", "hlt",          "msr_write", "msr_read", "cpuid",
      "external_interrupt", "init_signal",    "exception", "monitor_trap", "wbinvd",    "invd",     "apic_access",
      "apic_write",         "ept_misconfig"};

  return names[static_cast<std::size_t>(r)];
}

class Vcpu;

// Exception vectors the hypervisor injects (Intel SDM vol. 3, 6.3.1).
constexpr u8 kVectorUd = 6, kVectorGp = 13, kVectorAc = 17;
// MSR_TEST_CTL's split-lock #AC enable (MSR_TEST_CTL_AC_SPLITLOCK).
constexpr u64 kMsrTestCtlSplitLockAc = u64{1} << 29;

struct VmExitExtension : tlm::tlm_extension<VmExitExtension> {
  Vcpu* source = nullptr;  // the exiting vCPU (it may have to yield while waiting)
  VmId vm = 0;

  unsigned vcpu = 0;
  ExitReason reason = ExitReason::ept_violation;
  TimePs start_ps = 0;  // simulated time of the exit (the vCPU is synchronised)
  Breakdown segment;    // the vCPU's work since it last woke: what a waiter it wakes inherits
  Breakdown cost;       // filled by the hypervisor: exit, hv, dm components
  // A hypercall's parameters (RDI, RSI, as ACRN's vmcall_vmexit_handler reads them).
  u64 param1 = 0, param2 = 0;
  // CPUID's subleaf (ECX) in, EAX/EBX/ECX/EDX out.
  u32 cpuid_subleaf = 0;
  u32 cpuid_regs[4] = {0, 0, 0, 0};
  // An exception the hypervisor injects into the guest instead of
  // completing the instruction (#GP, #UD); null when none.
  const char* fault = nullptr;
  u8 fault_vector = 0;  // kVectorGp, kVectorUd, kVectorAc
  // What the split-lock emulation of a VM of several vCPUs does to the VM's
  // other vCPUs from inside this exit's handler, at the handler's time
  // (HypervisorModule::lock_instr_emulation): take the VM lock and kick
  // them (the #AC exit), or signal them and release it (the MTF exit).
  enum class LockInstrStep : u8 { none, kick, complete };
  LockInstrStep lock_instr = LockInstrStep::none;
  // What WBINVD's emulation (wbinvd_vmexit_handler) does, which the
  // SystemC shell carries out at the handler's time
  // (HypervisorModule::wbinvd_emulation): a physical WBINVD on the vCPU's
  // pCPU (flush_invalidate_all_cache); the VM's own memory flushed line by
  // line (walk_ept_table with ept_flush_leaf_page); the same with the VM's
  // other vCPUs waiting meanwhile (ACRN_REQUEST_WAIT_WBINVD).
  enum class WbinvdStep : u8 { none, host, own_memory, own_memory_paused };
  WbinvdStep wbinvd = WbinvdStep::none;
  // The guest runs in 64-bit mode (get_vcpu_mode: CPU_MODE_64BIT): its
  // paging is on.
  bool long_mode = false;
  // A debug build's console_vmexit_callback ran at the end of this exit
  // (a LAPIC-passthrough vCPU on VUART_TIMER_CPU).
  bool console_kick = false;
  // What the handler would have done with the host CPU's own state, which
  // the twin does not model: the guest program stops with this; empty
  // when none.
  std::string unmodelled;
  // The handler never returns: a debug build's failed ASSERT (asm_assert)
  // spins the pCPU forever after its dump. Where, for the vCPU's report;
  // null when none.
  const char* hang = nullptr;
  void inject(u8 vector, const char* what) {
    fault_vector = vector;
    fault = what;
  }

  tlm::tlm_extension_base* clone() const override { return new VmExitExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override { *this = static_cast<const VmExitExtension&>(other); }
};

}  // namespace ivsim
