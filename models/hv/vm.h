// The hypervisor's record of one VM (ACRN's struct acrn_vm): its EPT, its
// emulated MMIO ranges, its virtual PCI bus and what happened to it.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/cpu/vlapic.h"
#include "models/cpu/vm_exit.h"
#include "models/cpu/vmcs.h"
#include "models/ept/ept_table.h"
#include "models/hv/mmio_registry.h"
#include "models/hv/vpci.h"

namespace ivsim {

// ACRN's load orders.
enum class VmLoadOrder : u8 { pre_launched, service_vm, post_launched };

// A VM's lifecycle (hypervisor/include/arch/x86/asm/guest/vm.h: enum
// vm_state): hypercalls and the reset paths check it.
enum class VmState : u8 { powered_off, created, running, paused, ready_to_poweroff };

// Severity (the configurator's SEVERITY_*): who may manage a running VM
// (is_severity_pass) and whose reboot resets the host (get_highest_severity_vm).
constexpr const char* vm_state_name(VmState s) {
  switch (s) {
    case VmState::powered_off:
      return "powered_off";
    case VmState::created:
      return "created";
    case VmState::running:
      return "running";
    case VmState::paused:
      return "paused";
    case VmState::ready_to_poweroff:
      return "ready_to_poweroff";
  }
  return "?";
}

constexpr u8 kSeveritySafetyVm = 0x40, kSeverityRtvm = 0x30, kSeverityServiceVm = 0x20, kSeverityStandardVm = 0x10;
// RTVM_SEVERITY_LEVEL with SERVICE_VM_SUPERVISOR_ENABLED (misc_cfg.h.xsl).
constexpr u8 kSeverityRtvmUnderSupervisor = 0x10;

// A hv-land IVSHMEM device in the VM's static configuration (pci_devs[] with
// shm_region_name), which HC_ADD_VDEV requests are checked against.
struct StaticIvshmem {
  std::string name;  // "hv:/<NAME>"
  u64 size = 0;
};

// Guest-physical RAM layout of User VMs.
constexpr u64 kLowRamLimit = u64{2} << 30;  // below the 2 GiB PCI window
constexpr Gpa kHighRamGpa = u64{4} << 30;

// A vCPU's MSRs as the hypervisor keeps them for its guest
// (vcpu->arch.guest_msrs: vcpu_get_guest_msr, vcpu_set_guest_msr). They
// outlive a reset (vcpu_reset_internal does not clear them).
struct GuestMsrs {
  u64 tsc_adjust = 0;
  u64 perf_ctl = 0;
  u64 misc_enable = 0;
  u64 feature_control = 0;
  // MSR_TEST_CTL as the guest wrote it; the physical MSR keeps ACRN's own
  // setting.
  u64 test_ctl = 0;
  // The virtual MTRRs (vcpu->arch.vmtrr, init_vmtrr): IA32_MTRR_DEF_TYPE and
  // the eleven fixed-range MTRRs, by get_index_of_fixed_mtrr's order; which
  // of those hold a known value (the Service VM's start as the host's).
  u64 mtrr_def_type = 0;
  std::array<u64, 11> mtrr_fixed{};
  u16 mtrr_fixed_known = 0;
};

// A VM's Hyper-V state (vm->arch_vm.hyperv): the guest OS ID, the
// hypercall and reference TSC page MSRs as written, and the reference
// time's scale and start (hyperv_init_time).
struct HypervState {
  u64 guest_os_id = 0;
  u64 hypercall = 0;
  u64 ref_tsc_page = 0;
  u64 tsc_scale = 0;
  u64 tsc_offset = 0;
};

struct Vm {
  VmId id = 0;
  std::string name;
  VmLoadOrder load_order = VmLoadOrder::post_launched;
  VmState state = VmState::created;
  u8 severity = kSeverityStandardVm;
  bool rt_vm = false;  // vm_type RTVM (is_rt_vm): powered off rather than reset (poweroff_if_rt_vm)
  // The I/O request page HC_SET_IOREQ_BUFFER registered (sw.io_shared_page):
  // one hc::IoRequestSlot per vCPU in Service VM memory; 0 when none.
  Hpa io_shared_page_hpa = 0;
  // acrn-dm asked for completion polling (GUEST_FLAG_IO_COMPLETION_POLLING,
  // sw.is_polling_ioreq): the requester polls its slot, no notification.
  bool is_polling_ioreq = false;
  std::vector<StaticIvshmem> static_ivshmem;
  Gpa ram_gpa = 0;  // guest RAM [ram_gpa, ram_gpa + ram_size) ...
  u64 ram_size = 0;
  // The RAM the guest uses below 4 GiB, from ram_gpa, and from kHighRamGpa.
  // A post-launched VM's two add up to ram_size; a pre-launched VM's E820
  // gives 2 MiB of its memory to ACPI tables besides (models/hv/ve820.h).
  u64 ram_low_size = 0;
  u64 ram_high_size = 0;

  Hpa ram_hpa = 0;       // ... backed by host RAM from here (the part below 4 GiB) ...
  Hpa ram_high_hpa = 0;  // ... and from here (the part at kHighRamGpa, if any)
  // The host address just past the VM's highest guest RAM.
  Hpa ram_top_hpa() const { return ram_high_size ? ram_high_hpa + ram_high_size : ram_hpa + ram_size; }

  std::unique_ptr<ept::PagePool> ept_pool;
  std::unique_ptr<ept::EptTable> ept;
  MmioRegistry mmio;
  VPci vpci;
  std::vector<unsigned> vcpu_ports;  // exit-socket port of each vCPU (for INVEPT)
  unsigned vcpu_count = 0;
  std::vector<VLapic*> vlapics;            // each vCPU's virtual LAPIC, by vCPU index
  std::vector<Vmcs*> vmcs;                 // each vCPU's VMCS, by vCPU index
  std::vector<GuestMsrs> guest_msrs;       // ... and its guest MSRs
  // Each vCPU's I/O request value (vcpu->req: the mmio_request's 64-bit
  // value, whose low half the pio_request's and pci_request's value share,
  // at the same offset of the union). create_vcpu zeroes it and nothing
  // else does, reset_vcpu neither: a request leaves it for the next, so a
  // read no handler serves returns what the previous request left
  // (ept_violation_vmexit_handler clears it only for a write).
  std::vector<u64> io_req_value;
  u64& io_req_value_of(unsigned vcpu) {
    if (vcpu >= io_req_value.size()) io_req_value.resize(vcpu + 1, 0);
    return io_req_value[vcpu];
  }
  // Each vCPU in wait-for-SIPI (vlapic_process_init_sipi): an INIT IPI put
  // it in VCPU_INIT with arch.nr_sipi 1, so the first SIPI starts it and the
  // second of INIT-SIPI-SIPI finds it running. nr_sipi is 1 exactly while it
  // waits (a reset_vm relaunches every vCPU), so one flag holds both.
  std::vector<u8> wait_for_sipi;
  u8& wait_for_sipi_of(unsigned vcpu) {
    if (vcpu >= wait_for_sipi.size()) wait_for_sipi.resize(vcpu + 1, 0);
    return wait_for_sipi[vcpu];
  }
  HypervState hyperv;
  std::vector<unsigned> vcpu_pcpus;        // the pCPU each vCPU runs on, by vCPU index
  // A Service VM vCPU a launch took offline (offline_vcpu: VCPU_OFFLINE),
  // by vCPU index: foreach_vcpu skips it, so no destination selects it.
  std::vector<bool> vcpu_offline;
  // The vCPUs foreach_vcpu visits (vm_active_cpus), as a mask by index.
  u64 active_vcpus() const {
    u64 m = 0;
    for (unsigned i = 0; i < vlapics.size() && i < 64; ++i)
      if (i >= vcpu_offline.size() || !vcpu_offline[i]) m |= u64{1} << i;
    return m;
  }
  bool lapic_pt = false;                   // LAPIC passthrough configured (GUEST_FLAG_LAPIC_PASSTHROUGH)
  bool hide_mtrr = false;                  // GUEST_FLAG_HIDE_MTRR (vm_hide_mtrr): no virtual MTRRs
  bool pmu_pt = false;                     // GUEST_FLAG_PMU_PASSTHROUGH (is_pmu_pt_configured)
  // The VM lock a split lock's emulation holds from its #AC exit to its MTF
  // exit (get_vm_lock in vcpu_kick_lock_instr_emulation, put_vm_lock in
  // vcpu_complete_lock_instr_emulation): the vCPU stepping; none when free.
  std::optional<unsigned> lock_instr_emulation_by;
  // The VM's wbinvd_lock, held while a vCPU flushes the VM's memory for its
  // WBINVD with the others waiting: that vCPU; none when free.
  std::optional<unsigned> wbinvd_by;

  // Counters for the report.
  std::array<u64, kExitReasonCount> exits{};
  u64 interrupts_received = 0;  // sent to its virtual LAPICs: MSIs, IPIs, timers expired in an exit
  u64 msi_undeliverable = 0;    // MSIs whose address or destination reached no vCPU
  u64 msi_mode_dropped = 0;     // MSIs in a delivery mode vlapic_receive_intr ignores (NMI, SMI, INIT, ...)
  u64 msi_init_signals = 0;     // LAPIC passthrough: INIT-mode MSIs sent on as physical INITs
  u64 ipis_dropped = 0;         // IPIs vlapic_write_icrlo ignores (lowest priority, SMI, a stray SIPI, bad vector)
  u64 ipis_misrouted = 0;       // LAPIC passthrough: physical IPIs their destination vCPU's pCPU did not accept
  u64 nmis_received = 0;
  u64 faults_injected = 0;    // #GP / #UD the hypervisor injected instead of completing an instruction
  u64 hypercalls = 0;         // VMCALLs dispatched (not those refused with #UD)
  u64 hypercalls_failed = 0;  // ... that returned a negative value
  u64 resets = 0;             // reboots (0xCF9, 0x64) the VM went through
  u64 invept_count = 0;       // EPT flush requests (ept_flush_guest), one per EPT edit
  // WBINVDs emulated (wbinvd_vmexit_handler), by how: a physical WBINVD on
  // the pCPU, or the VM's memory flushed line by line (walk_ept_table).
  u64 wbinvd_host = 0;
  u64 wbinvd_own_memory = 0;
  u64 wbinvd_flushed_bytes = 0;       // memory the EPT walks' CLFLUSHOPTs covered
  u64 wbinvd_lines_invalidated = 0;   // lines found cached and invalidated, either way
  u64 wbinvd_lines_written_back = 0;  // ... of them Modified
  TimePs wbinvd_ps = 0;               // the flushes' time in the hypervisor
  u64 unhandled_mmio = 0;     // EPT violations no handler claimed
  // MMIO handler registrations that found every emulated MMIO node in use
  // (hv/CAPACITIES/MAX_EMULATED_MMIO): ACRN registered nothing.
  u64 mmio_registrations_failed = 0;
  u64 unhandled_pio = 0;
};

}  // namespace ivsim
