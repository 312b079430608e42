// The hypervisor's side of the virtual LAPICs (hypervisor/arch/x86/guest/
// vlapic.c, vcpuid.c): which vCPUs a destination selects, MSIs and IPIs by
// delivery mode, the xAPIC page accesses that exit, the LAPIC-passthrough
// paths that end in a physical IPI, and CPUID. The MSRs are in vmsr.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "models/hv/hypervisor.h"

namespace ivsim {

namespace {

// Delivery modes (ICR bits 10:8, MSI data bits 10:8).
constexpr unsigned kDelFixed = 0, kDelLowPri = 1, kDelSmi = 2, kDelNmi = 4, kDelInit = 5, kDelStartup = 6,
                   kDelExtInt = 7;
// ICR destination shorthands (bits 19:18).
constexpr unsigned kShortNone = 0, kShortSelf = 1, kShortAllIncSelf = 2, kShortAllExcSelf = 3;

constexpr u64 bit(unsigned i) { return u64{1} << i; }

// An x2APIC ICR write's fields (the xAPIC path passes ICR_HI[31:24] in the
// high half the same way).
struct Icr {
  explicit Icr(u64 icr)
      : dest(static_cast<u32>(icr >> 32)),
        vector(static_cast<u8>(icr & 0xFF)),
        mode((static_cast<u32>(icr) >> 8) & 0x7),
        phys((icr & (1u << 11)) == 0),
        shorthand((static_cast<u32>(icr) >> 18) & 0x3) {}
  u32 dest;  // x2APIC: the whole high half
  u8 vector;
  unsigned mode;
  bool phys;
  unsigned shorthand;
};

}  // namespace

namespace {
// The VM's vCPUs are in VCPU_RUNNING (those not offline and not waiting
// for a SIPI): a running VM's, and an RTVM's that is powering itself off
// (poweroff_if_rt_vm changes only the VM's state).
bool vcpus_running(const Vm& vm) { return vm.state == VmState::running || vm.state == VmState::ready_to_poweroff; }
}  // namespace

Hypervisor::VlapicMode Hypervisor::vlapic_mode(const Vm& vm) {
  // update_vm_vlapic_state, which vcpu_set_state runs at every change of a
  // vCPU's state: it counts the vCPUs foreach_vcpu visits (not an offline
  // one) that are VCPU_RUNNING. A paused VM's are zombies, a reset one's
  // and one waiting for a SIPI are in VCPU_INIT: with none running the VM
  // is VM_VLAPIC_DISABLED. The twin's LAPICs are always globally enabled,
  // so a running vCPU is in xAPIC or x2APIC mode.
  if (!vcpus_running(vm)) return VlapicMode::disabled;
  unsigned in_x2apic = 0, counted = 0;
  const u64 active = vm.active_vcpus();
  for (unsigned i = 0; i < vm.vlapics.size(); ++i) {
    if (!(active & bit(i))) continue;
    if (i < vm.wait_for_sipi.size() && vm.wait_for_sipi[i]) continue;
    ++counted;
    if (vm.vlapics[i]->x2apic()) ++in_x2apic;
  }
  if (counted == 0) return VlapicMode::disabled;
  if (in_x2apic == 0) return VlapicMode::xapic;
  return in_x2apic == counted ? VlapicMode::x2apic : VlapicMode::transition;
}

std::optional<unsigned> Hypervisor::exiting_pcpu() const {
  if (!exit_) return std::nullopt;
  const Vm* vm = this->vm(exit_->vm);
  if (!vm || exit_->vcpu >= vm->vcpu_pcpus.size()) return std::nullopt;
  return vm->vcpu_pcpus[exit_->vcpu];
}

IrqPath Hypervisor::posted_path(const Vm& target, unsigned vcpu) const {
  const std::optional<unsigned> here = exiting_pcpu();
  return here && vcpu < target.vcpu_pcpus.size() && target.vcpu_pcpus[vcpu] == *here ? IrqPath::local : IrqPath::posted;
}

u64 Hypervisor::calc_dest_noshort(const Vm& vm, bool broadcast, u32 dest, bool phys, bool lowprio) {
  u64 mask = 0;
  const unsigned n = static_cast<unsigned>(vm.vlapics.size());
  // Every loop is foreach_vcpu's: an offline vCPU is never a destination.
  const u64 active = vm.active_vcpus();
  if (broadcast) return active;
  if (phys) {
    // vm_apicid2vcpu_id: the vCPU whose APIC ID this is, if any.
    for (unsigned i = 0; i < n; ++i)
      if ((active & bit(i)) && vm.vlapics[i]->apic_id() == dest) return bit(i);
    hv_log(LogSeverity::error, fmt::format("vm_apicid2vcpu_id: bad lapicid {}", dest));
    return 0;
  }
  int lowest = -1;
  for (unsigned i = 0; i < n; ++i) {
    if (!(active & bit(i)) || !vm.vlapics[i]->matches_logical(dest)) continue;
    if (!lowprio)
      mask |= bit(i);
    else if (lowest < 0 || vm.vlapics[static_cast<unsigned>(lowest)]->ppr() > vm.vlapics[i]->ppr())
      lowest = static_cast<int>(i);  // the lowest processor priority wins; ties the first
  }
  if (lowprio && lowest >= 0) mask = bit(static_cast<unsigned>(lowest));
  return mask;
}

u64 Hypervisor::calc_dest(const Vm& vm, unsigned vcpu, unsigned shorthand, bool broadcast, u32 dest, bool phys,
                          bool lowprio) {
  const u64 all = vm.active_vcpus();  // vm_active_cpus
  switch (shorthand) {
    case kShortNone:
      return calc_dest_noshort(vm, broadcast, dest, phys, lowprio);
    case kShortSelf:
      return bit(vcpu);
    case kShortAllIncSelf:
      return all;
    case kShortAllExcSelf:
      return all & ~bit(vcpu);
    default:
      return 0;
  }
}

void Hypervisor::deliver(Vm& vm, unsigned vcpu, const Irq& irq, TimePs at, const Breakdown& blame) {
  if (irq.nmi)
    ++vm.nmis_received;
  else
    ++vm.interrupts_received;
  if (interrupt_hook_) interrupt_hook_(vm, vcpu, irq, at, blame);
}

Hypervisor::MsiOutcome Hypervisor::inject_msi(Vm& target, u64 addr, u32 data) {
  constexpr u64 kMsiAddressBase = 0xFEE;  // bits 31:20 of every MSI address on x86
  if (((addr >> 20) & 0xFFF) != kMsiAddressBase) {
    ++target.msi_undeliverable;
    return MsiOutcome::bad_address;
  }
  const u32 dest = static_cast<u32>((addr >> 12) & 0xFF);
  const bool phys = (addr & 0x4) == 0;  // destination mode
  const bool rh = (addr & 0x8) != 0;    // redirection hint
  const unsigned mode = (data >> 8) & 0x7;
  const u8 vector = static_cast<u8>(data & 0xFF);
  // Sent now: at the point of the sender's exit the handler has reached.
  Breakdown blame;
  const TimePs at = exit_now(blame);

  // vlapic_inject_msi: a LAPIC-passthrough VM's mode decides the path, and
  // a VM between modes (VM_VLAPIC_TRANSITION) or with no vCPU running
  // (VM_VLAPIC_DISABLED) gets nothing.
  const VlapicMode vm_mode = target.lapic_pt ? vlapic_mode(target) : VlapicMode::xapic;
  if (vm_mode == VlapicMode::transition || vm_mode == VlapicMode::disabled) {
    ++target.msi_undeliverable;
    return vm_mode == VlapicMode::transition ? MsiOutcome::vlapic_mode_transition : MsiOutcome::vlapic_mode_disabled;
  }
  if (vm_mode == VlapicMode::x2apic) {
    // inject_msi_for_lapic_pt: the destination among the VM's vCPUs, then a
    // physical IPI (logical destination: the pCPUs' LDRs) in the MSI's own
    // delivery mode, which the hardware delivers to the guest directly. In
    // lowest-priority mode the hardware gives it to one of them, the one of
    // the lowest processor priority (the guests own those LAPICs, so their
    // PPRs are the vLAPICs'), as vlapic_receive_intr would.
    const u64 mask = calc_dest_noshort(target, false, dest, phys, mode == kDelLowPri);
    if (!mask) {
      ++target.msi_undeliverable;
      return MsiOutcome::no_destination;
    }
    if (mode == kDelInit) {
      // A physical INIT: the destination vCPUs exit (VM exits on INIT in VMX
      // non-root operation, SDM Vol. 3C 25.2), and init_signal_vmexit_handler
      // only retains the RIP. A vCPU in the hypervisor then gets it right
      // after its next VM entry (INIT is blocked in VMX root operation).
      ++target.msi_init_signals;
      if (lifecycle_.init_signal)
        for (unsigned i = 0; i < target.vlapics.size(); ++i)
          if (mask & bit(i)) lifecycle_.init_signal(target, i);
      return MsiOutcome::init_signal;
    }
    if (mode != kDelFixed && mode != kDelLowPri && mode != kDelNmi) {
      // SIPI (outside wait-for-SIPI), SMI (the firmware's SMM, not modelled),
      // ExtINT (not a valid IPI) to a pCPU running a guest: not a guest interrupt.
      ++target.msi_mode_dropped;
      return MsiOutcome::mode_dropped;
    }
    for (unsigned i = 0; i < target.vlapics.size(); ++i)
      if (mask & bit(i)) to_vcpu_pcpu(target, i, Irq{vector, mode == kDelNmi}, IrqPath::physical_ipi, at, blame);
    return MsiOutcome::delivered;
  }

  // inject_msi_for_non_lapic_pt -> vlapic_receive_intr: only fixed, lowest
  // priority and ExtINT are accepted; the redirection hint asks for lowest
  // priority; "dest" is the legacy 8-bit field, never a broadcast.
  if (mode != kDelFixed && mode != kDelLowPri && mode != kDelExtInt) {
    ++target.msi_mode_dropped;
    return MsiOutcome::mode_dropped;
  }
  const bool lowprio = mode == kDelLowPri || rh;
  const u64 mask = calc_dest_noshort(target, false, dest, phys, lowprio);
  if (!mask) {
    ++target.msi_undeliverable;
    return MsiOutcome::no_destination;
  }
  if (mode == kDelExtInt) {
    // vcpu_inject_extint hands the vector to the virtual PIC, which the twin
    // does not model.
    ++target.msi_mode_dropped;
    return MsiOutcome::mode_dropped;
  }
  for (unsigned i = 0; i < target.vlapics.size(); ++i)
    if (mask & bit(i)) deliver(target, i, Irq{vector, false, posted_path(target, i)}, at, blame);
  return MsiOutcome::delivered;
}

void Hypervisor::pt_icr_access(Vm& vm, unsigned vcpu, u64 icr, VmExitExtension& exit) {
  Breakdown blame;
  const TimePs now = exit_now(blame);
  const auto [dest, vector, mode, phys, shorthand] = Icr(icr);
  // "Only Physical Destination Mode could work on non-VM_VLAPIC_X2APIC
  // mode": the handler fails, and vcpu_thread injects #GP for it.
  if (vlapic_mode(vm) != VlapicMode::x2apic && !phys) {
    hv_log(LogSeverity::error, "Only Physical Destination Mode could work on non-VM_VLAPIC_X2APIC mode\n");
    exit.inject(kVectorGp, "#GP: a logical-mode IPI under LAPIC passthrough while the VM is not all in x2APIC mode");
    return;
  }
  const u64 mask = calc_dest(vm, vcpu, shorthand, dest == 0xFFFF'FFFFu, dest, phys, false);
  for (unsigned i = 0; i < vm.vlapics.size(); ++i) {
    if (!(mask & bit(i))) continue;
    if (mode == kDelInit || mode == kDelStartup) {
      process_init_sipi(vm, i, mode, static_cast<u32>(icr));
      continue;
    }
    // Sent only to a destination whose vLAPIC is in x2APIC mode.
    if (!vm.vlapics[i]->x2apic()) {
      ++vm.ipis_dropped;
      continue;
    }
    // msr_write of the sender's physical ICR, which a later RDMSR reads back
    // (Vcpu::rdmsr): shorthand cleared, the destination's pCPU APIC ID
    // (per_cpu(lapic_id), which is also its vLAPIC ID: vlapic_create).
    vm.vlapics[vcpu]->write_icr(u64{vm.vlapics[i]->apic_id()} << 32 | (icr & 0xFFFF'FFFFu & ~(0x3u << 18)));
    if (mode == kDelSmi || mode == kDelExtInt) {
      ++vm.ipis_dropped;  // an SMI or ExtINT to a pCPU: not an interrupt of the guest there (not modelled)
      continue;
    }
    // The physical LAPIC sends it, the guest's destination mode kept.
    physical_ipi(vm, i, vm.vlapics[i]->apic_id(), phys, mode == kDelLowPri, Irq{vector, mode == kDelNmi}, now, blame);
  }
}

void Hypervisor::physical_ipi(Vm& vm, unsigned to, u32 dest, bool phys, bool lowprio, const Irq& irq, TimePs now,
                              const Breakdown& blame) {
  // An IPI to the pCPU the hypervisor runs on (the sender's own) is taken at
  // the VM entry; any other crosses to another core.
  const std::optional<unsigned> here = exiting_pcpu();
  auto path_to = [&](unsigned pcpu) { return here && *here == pcpu ? IrqPath::local : IrqPath::physical_ipi; };
  if (phys) {
    // The physical destination is the vCPU's own pCPU.
    to_vcpu_pcpu(vm, to, irq, path_to(vm.vcpu_pcpus.at(to)), now, blame);
    return;
  }
  // Logical mode: the physical LAPICs (x2APIC mode on every pCPU ACRN runs)
  // match the APIC ID as a logical destination, cluster in bits 31:16 and
  // a bitmap in 15:0, against their LDRs, which the x2APIC ID fixes
  // (SDM Vol. 3A 10.12.10.2). An APIC ID is its own LDR only by chance: the
  // IPI goes to the pCPUs whose bit the ID's low bits set, not to the one
  // the guest named. Linux RT guests in ACRN's samples boot with x2apic_phys.
  const u32 cluster = dest >> 16, bitmap = dest & 0xFFFFu;
  auto accepts = [&](u32 x2apic_id) { return (x2apic_id >> 4) == cluster && ((bitmap >> (x2apic_id & 0xFu)) & 1u); };
  // The pCPUs the VMs run on, by APIC ID (a pCPU no vCPU uses is in ACRN's
  // idle loop, which counts the vector as spurious: nothing to see).
  std::map<u32, unsigned> pcpus;
  for (const auto& w : vms_)
    if (w)
      for (unsigned j = 0; j < w->vlapics.size() && j < w->vcpu_pcpus.size(); ++j)
        pcpus.emplace(w->vlapics[j]->apic_id(), w->vcpu_pcpus[j]);
  // Each accepting pCPU, with the LAPIC-passthrough vCPU that owns its
  // LAPIC, if any (its guest takes the vector); ACRN owns the others, also
  // a passthrough vCPU's still in xAPIC mode (switch_apicv_mode_x2apic
  // passes the LAPIC through).
  struct Acceptor {
    u32 apic_id;
    unsigned pcpu;
    Vm* owner;
    unsigned owner_vcpu;
  };
  std::vector<Acceptor> acceptors;
  for (const auto& [apic_id, pcpu] : pcpus) {
    if (!accepts(apic_id)) continue;
    Acceptor a{apic_id, pcpu, nullptr, 0};
    for (const auto& w : vms_)
      if (w && w->lapic_pt && vcpus_running(*w))
        for (unsigned j = 0; j < w->vcpu_pcpus.size() && !a.owner; ++j)
          if (w->vcpu_pcpus[j] == pcpu && j < w->vlapics.size() && is_lapic_pt(*w, j)) a = {apic_id, pcpu, w.get(), j};
    acceptors.push_back(a);
  }
  if (lowprio && acceptors.size() > 1) {
    // Lowest priority: the matching processor of the lowest processor
    // priority takes it (a guest's own PPR where it owns the LAPIC; ACRN
    // leaves its TPR at 0); ties to the lowest APIC ID here, the hardware's
    // tie-break being model-specific.
    auto ppr = [](const Acceptor& a) { return a.owner ? a.owner->vlapics.at(a.owner_vcpu)->ppr() : 0u; };
    const auto lowest = std::min_element(acceptors.begin(), acceptors.end(),
                                         [&](const Acceptor& x, const Acceptor& y) { return ppr(x) < ppr(y); });
    acceptors = {*lowest};
  }
  bool reached = false;
  for (const Acceptor& a : acceptors) {
    reached = reached || a.pcpu == vm.vcpu_pcpus.at(to);
    if (std::find(vm.vcpu_pcpus.begin(), vm.vcpu_pcpus.end(), a.pcpu) == vm.vcpu_pcpus.end())
      record_isolation(vm.id, fmt::format("pCPU {} (APIC ID {:#x})", a.pcpu, a.apic_id), "lapic_pt_logical_ipi");
    if (a.owner) {
      deliver(*a.owner, a.owner_vcpu, Irq{irq.vector, irq.nmi, path_to(a.pcpu)}, now, blame);
      continue;
    }
    host_interrupt_on(a.pcpu, irq.nmi);
  }
  if (!reached) ++vm.ipis_misrouted;
}

void Hypervisor::to_vcpu_pcpu(Vm& vm, unsigned to, const Irq& irq, IrqPath path, TimePs now, const Breakdown& blame) {
  if (is_lapic_pt(vm, to)) {
    deliver(vm, to, Irq{irq.vector, irq.nmi, path}, now, blame);
    return;
  }
  // Its vCPU's LAPIC is ACRN's: one an INIT reset left in x2APIC mode runs
  // with external-interrupt exiting again (init_vmcs), and the guest never
  // sees the vector.
  host_interrupt_on(vm.vcpu_pcpus.at(to), irq.nmi);
}

void Hypervisor::host_interrupt_on(unsigned pcpu, bool nmi) {
  for (const auto& w : vms_)
    if (w && vcpus_running(*w) && lifecycle_.host_interrupt)
      for (unsigned j = 0; j < w->vcpu_pcpus.size(); ++j)
        if (w->vcpu_pcpus[j] == pcpu) lifecycle_.host_interrupt(*w, j, nmi);
}

void Hypervisor::send_ipi(Vm& vm, unsigned vcpu, u64 icr) {
  Breakdown blame;
  const TimePs now = exit_now(blame);
  const auto [dest, vector, mode, phys, shorthand] = Icr(icr);
  const bool broadcast = dest == 0xFFFF'FFFFu;

  // vlapic_write_icrlo: a send error (vlapic_set_error), which the
  // sender's unmasked LVT Error reports to the sender.
  if (mode == kDelFixed && vector < VLapic::kFirstVector) {
    ++vm.ipis_dropped;
    const int error_vector = vm.vlapics.at(vcpu)->set_error(VLapic::kEsrSendIllegalVector);
    if (error_vector >= 0) deliver(vm, vcpu, Irq{static_cast<u8>(error_vector), false, IrqPath::local}, now, blame);
    return;
  }
  if ((shorthand == kShortSelf || shorthand == kShortAllIncSelf) &&
      (mode == kDelNmi || mode == kDelInit || mode == kDelStartup)) {
    ++vm.ipis_dropped;  // "Invalid ICR value"
    return;
  }
  const u64 mask = calc_dest(vm, vcpu, shorthand, broadcast, dest, phys, false);
  for (unsigned i = 0; i < vm.vlapics.size(); ++i) {
    if (!(mask & bit(i))) continue;
    if (mode == kDelFixed || mode == kDelNmi) {
      deliver(vm, i, Irq{vector, mode == kDelNmi, i == vcpu ? IrqPath::local : posted_path(vm, i)}, now, blame);
      continue;
    }
    if (mode == kDelInit || mode == kDelStartup) {
      process_init_sipi(vm, i, mode, static_cast<u32>(icr));
      continue;
    }
    // SMI ("do not support"), lowest priority (unhandled).
    ++vm.ipis_dropped;
    // Logged once per destination; the mode as ACRN masks it (APIC_DELMODE_MASK).
    if (mode == kDelSmi)
      hv_log(LogSeverity::info, "vlapic: SMI IPI do not support\n");
    else if (mode != kDelInit && mode != kDelStartup)
      hv_log(LogSeverity::error, fmt::format("Unhandled icrlo write with mode {}\n", mode << 8));
  }
}

void Hypervisor::process_init_sipi(Vm& vm, unsigned target, unsigned mode, u32 icr_low) {
  constexpr u32 kLevelAssert = 1u << 14;  // APIC_LEVEL_MASK
  u8& waiting = vm.wait_for_sipi_of(target);
  if (mode == kDelInit) {
    // A level de-assert (the second INIT of a start-up) does nothing.
    if (!(icr_low & kLevelAssert)) {
      ++vm.ipis_dropped;
      return;
    }
    // Into VCPU_INIT, waiting for a SIPI: zombie_vcpu and reset_vcpu,
    // unless it is there already.
    if (!waiting) {
      waiting = 1;
      if (lifecycle_.init_reset) lifecycle_.init_reset(vm, target);
    }
    return;
  }
  // A SIPI is ignored in any state but wait-for-SIPI.
  if (!waiting) {
    ++vm.ipis_dropped;
    return;
  }
  waiting = 0;
  hv_log(LogSeverity::error, fmt::format("Start Secondary VCPU{} for VM[{}]...", target, vm.id));
  // ACRN_REQUEST_INIT_VMCS, which its first VM entry carries out: the MSR
  // bitmap intercepts every x2APIC MSR again, though an INIT leaves the
  // vLAPIC in x2APIC mode (only a change of mode opens them).
  init_vmcs(vm, target);
  if (lifecycle_.sipi_start) lifecycle_.sipi_start(vm, target);
}

u64 Hypervisor::apic_access(Vm& vm, unsigned vcpu, u32 offset, bool write, u64 value) {
  VLapic& lapic = *vm.vlapics.at(vcpu);
  // Reads (Vcpu::apic_page_read serves the rest from the page): only the
  // CMCI LVT and the current count (apicv_advanced_apic_read_access_may_valid);
  // the PPR and reserved offsets read 0. Writes: only the CMCI LVT's
  // (apicv_advanced_apic_write_access_may_valid); the rest are dropped.
  if (write) {
    if (offset == kApicLvtCmci) lapic.write_lvt(offset, static_cast<u32>(value));  // vlapic_write_lvt
    return 0;
  }
  if (offset == kApicLvtCmci) return lapic.lvt(offset);
  if (offset != 0x390) return 0;
  Breakdown blame;
  return lapic.ccr_timer(exit_now(blame));  // vlapic_get_ccr
}

void Hypervisor::apic_write(Vm& vm, unsigned vcpu, u32 offset, u32 v) {
  VLapic& lapic = *vm.vlapics.at(vcpu);
  if (offset == 0x380) charge_hv(timing_.timer_emulation_ps);  // arming the timer, as for TSC deadline
  Breakdown blame;
  const TimePs now = exit_now(blame);
  if (is_apic_lvt(offset)) {
    lapic.write_lvt(offset, v);  // vlapic_write_lvt
    return;
  }
  switch (offset) {
    case 0xD0:
      lapic.write_ldr(v);  // vlapic_write_ldr
      break;
    case 0xE0:
      lapic.write_dfr(v);  // vlapic_write_dfr
      break;
    case 0xF0:
      lapic.write_svr(v, now);  // vlapic_write_svr
      break;
    case 0x380:
      lapic.write_icr_timer(v, now);  // vlapic_write_icrtmr
      break;
    case 0x3E0:
      lapic.write_dcr_timer(v);  // vlapic_write_dcr
      break;
    case 0x280:
      lapic.write_esr();  // vlapic_write_esr
      break;
    case kApicIcrLow: {
      // vlapic_write_icrlo in xAPIC mode: the destination is ICR_HI[31:24],
      // 0xFF the broadcast.
      lapic.write_icr(v);
      const u32 dest = lapic.icr_high() >> 24;
      send_ipi(vm, vcpu, (u64{dest == 0xFF ? 0xFFFF'FFFFu : dest} << 32) | v);
      break;
    }
    default:
      break;  // TPR, EOI and ICR_HI: virtualized, they never exit
  }
}

namespace {
// The highest basic leaf (vcpuid_level): set_vcpuid_entries raises the
// host's to 0x16 when it is lower. The board file does not give the host's;
// the twin answers 0x16.
constexpr u32 kVcpuidLevel = 0x16;
// The highest extended leaf (vcpuid_xlevel, the host's CPUID.80000000H:EAX):
// 80000008H, the last extended leaf the SDM defines (Vol. 2A, CPUID).
constexpr u32 kVcpuidXlevel = 0x8000'0008;
// guest_cpuid's is_percpu_related: leaves answered per vCPU, never from the table.
bool percpu_related(u32 leaf) {
  switch (leaf) {
    case 0x1:
    case 0x4:
    case 0x6:
    case 0xB:
    case 0xD:
    case 0x19:
    case 0x1F:
    case 0x8000'0001:
      return true;
    default:
      return false;
  }
}
// find_vcpuid_entry: whether a leaf from the VM's table is answered as
// itself. Up to the highest basic or extended leaf the entry is the leaf's
// own (or none: zeros). Of the hypervisor's range,
// set_vcpuid_extended_function enters 0x40000000, 0x40000001, 0x40000010,
// and 0x40000002-6 with HYPERV_ENABLED; the Intel SDM's rule, which ACRN
// follows, sends any other leaf to the highest basic one.
bool answered_as_itself(u32 leaf, bool hyperv) {
  if (leaf <= kVcpuidLevel) return true;
  if (leaf >= 0x8000'0000) return leaf <= kVcpuidXlevel;
  if (leaf == 0x4000'0000 || leaf == 0x4000'0001 || leaf == 0x4000'0010) return true;
  return hyperv && leaf >= 0x4000'0002 && leaf <= 0x4000'0006;
}
}  // namespace

void Hypervisor::cpuid(const Vm& vm, unsigned vcpu, u32 leaf, u32 subleaf, u32 regs[4]) const {
  const VLapic& lapic = *vm.vlapics.at(vcpu);
  regs[0] = regs[1] = regs[2] = regs[3] = 0;
  if (!percpu_related(leaf) && !answered_as_itself(leaf, hyperv_)) leaf = kVcpuidLevel;
  switch (leaf) {
    case 0x0: {
      // The highest basic leaf, and the host's vendor: ACRN runs on Intel
      // only, "GenuineIntel" in EBX, EDX, ECX.
      constexpr u32 kGenu = 'G' | 'e' << 8 | 'n' << 16 | 'u' << 24;
      constexpr u32 kIneI = 'i' | 'n' << 8 | 'e' << 16 | 'I' << 24;
      constexpr u32 kNtel = 'n' | 't' << 8 | 'e' << 16 | 'l' << 24;
      regs[0] = kVcpuidLevel;
      regs[1] = kGenu;
      regs[2] = kNtel;
      regs[3] = kIneI;
      break;
    }
    case 0x1: {
      // guest_cpuid_01h: the host's leaf, patched. EAX the signature
      // (stepping 0: the board file does not give it): model bits 3:0 at
      // 7:4, family at 11:8, model bits 7:4 at 19:16 (family 6 and 15 have
      // an extended model). EBX[31:24] the initial APIC ID. ECX: the
      // host's x2APIC (bit 21) and TSC-deadline (24) bits, which every
      // board the twin knows has and its vLAPIC emulates, and the
      // hypervisor-present bit (31), which ACRN sets.
      const u32 ext_model = cpu_family_ == 6 || cpu_family_ == 15 ? (cpu_model_ >> 4) & 0xFu : 0;
      regs[0] = ((cpu_model_ & 0xFu) << 4) | ((cpu_family_ & 0xFu) << 8) | (ext_model << 16);
      regs[1] = (lapic.apic_id() & 0xFFu) << 24;
      regs[2] = (1u << 21) | (1u << 24) | (1u << 31);
      break;
    }
    case 0xB:
      // Extended topology: EDX the x2APIC ID, whatever the subleaf; EBX/ECX
      // the level (SMT at subleaf 0, core at 1), no deeper levels.
      regs[3] = lapic.apic_id();
      if (subleaf <= 1) {
        regs[1] = 1;
        regs[2] = (subleaf + 1) << 8 | subleaf;
      } else {
        regs[2] = subleaf;
      }
      break;
    case 0x16:
      // Processor frequencies: the host's leaf when it has one, which the
      // board file does not give; the twin answers as init_vcpuid_entry does
      // on a host without it: base and maximum MHz from the TSC
      // (get_tsc_khz / 1000), a 100 MHz bus.
      regs[0] = regs[1] = static_cast<u32>(tsc_khz() / 1000);
      regs[2] = kBusMhz;
      break;
    // The hypervisor's leaves (set_vcpuid_extended_function).
    case 0x40000000: {
      // The highest hypervisor leaf and the signature "ACRNACRNACRN".
      constexpr u32 kAcrn = 'A' | 'C' << 8 | 'R' << 16 | 'N' << 24;
      regs[0] = 0x40000010;
      regs[1] = regs[2] = regs[3] = kAcrn;
      break;
    }
    case 0x40000001:
      // EAX: GUEST_CAPS_PRIVILEGE_VM for the Service VM; a User VM with
      // HYPERV_ENABLED gets the Hyper-V interface signature "Hv#1"
      // (hyperv_init_vcpuid_entry), without it 0.
      if (vm.load_order == VmLoadOrder::service_vm)
        regs[0] = 1;
      else if (hyperv_)
        regs[0] = 0x31237648;
      break;
    // With HYPERV_ENABLED every VM, the Service VM too, gets 0x40000002-6
    // (hyperv_init_vcpuid_entry); only 0x40000001 is the User VMs'.
    case 0x40000003:
      // Hyper-V's supported features: the hypercall, VP index, reference
      // time count, reference TSC and frequency MSRs (EAX bits 5, 6, 1, 9,
      // 11), frequency MSRs available (EDX bit 8).
      if (hyperv_) {
        regs[0] = (1u << 5) | (1u << 6) | (1u << 1) | (1u << 9) | (1u << 11);
        regs[3] = 1u << 8;
      }
      break;
    case 0x40000005:
      // Hyper-V's most virtual processors: MAX_VCPUS_PER_VM, which is
      // MAX_PCPU_NUM (the board's pCPU count).
      if (hyperv_) regs[0] = max_pcpus_;
      break;
    case 0x40000010:
      // Timing information: EAX the TSC frequency in kHz (get_tsc_khz).
      regs[0] = static_cast<u32>(tsc_khz());
      break;
    case 0x8000'0000:
      regs[0] = kVcpuidXlevel;  // the highest extended leaf, the host's
      break;
    default:
      break;
  }
}

}  // namespace ivsim
