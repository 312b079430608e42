// The hypervisor in root mode: VM exit dispatch (EPT violation -> MMIO
// handler registry, I/O instruction -> port handlers such as vPCI), EPT
// editing with INVEPT, MSI injection and the hv-land IVSHMEM region pool.
// Plain C++: the SystemC shell (hypervisor_module.h) feeds it exits.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/core/timing.h"
#include "models/cpu/vm_exit.h"
#include "models/dm/io_request.h"
#include "models/ept/ept_table.h"
#include "models/host/coherence_directory.h"
#include "models/host/host_memory.h"
#include "models/hv/hv_log.h"
#include "models/hv/hypercall_abi.h"
#include "models/hv/ivshmem_region_pool.h"
#include "models/hv/vm.h"

namespace ivsim {

class IvshmemDevice;

// Something ACRN's mechanism refused: an access no mapping or device
// serves, a doorbell dropped, a device request rejected.
struct IsolationEvent {
  VmId vm = 0;
  std::string target;  // e.g. "GPA 0x80000000", "peer 5 in hv:/shm0", "hv:/shm0"
  std::string reason;
};

constexpr int kEinval = 22;  // ACRN returns -EINVAL

class Hypervisor {
 public:
  Hypervisor(HostMemory& mem, const TimingParams& timing, unsigned max_vm_num);
  ~Hypervisor();

  unsigned max_vm_num() const { return max_vm_num_; }
  HostMemory& host_memory() { return mem_; }
  const TimingParams& timing() const { return timing_; }

  // VM creation: its EPT gets a page pool of `ept_pool_bytes` at `ept_pool_hpa`.
  // Its emulated MMIO nodes (CONFIG_MAX_EMULATED_MMIO_REGIONS of them) start
  // with those create_vm registers before any guest runs: the ECAM window
  // (init_vpci) and each vIOAPIC (vioapic_init: one at VIOAPIC_BASE in a
  // User VM, one per physical IOAPIC in the Service VM).
  Vm& create_vm(VmId id, const std::string& name, VmLoadOrder order, Hpa ept_pool_hpa, u64 ept_pool_bytes,
                ept::LargePages large);
  Vm* vm(VmId id) { return id < vms_.size() ? vms_[id].get() : nullptr; }
  const Vm* vm(VmId id) const { return id < vms_.size() ? vms_[id].get() : nullptr; }
  std::vector<Vm*> vms() const;

  void init_ivshmem_pool(Hpa base, const std::vector<IvshmemRegionPool::RegionSpec>& specs);
  IvshmemRegionPool* ivshmem_pool() { return pool_.get(); }
  const IvshmemRegionPool* ivshmem_pool() const { return pool_.get(); }
  // Creates the hv-land IVSHMEM device of `vm` for region `prefixed_name`
  // (e.g. "hv:/shm_region_0") at `bdf`, with BAR values as configured.
  IvshmemDevice& create_ivshmem_device(Vm& vm, const std::string& prefixed_name, pci::Bdf bdf, u32 bar0, u32 bar1,
                                       u64 bar2);
  const std::vector<std::unique_ptr<IvshmemDevice>>& ivshmem_devices() const { return ivshmem_devices_; }

  // hv/CAPACITIES/MAX_EMULATED_MMIO (CONFIG_MAX_EMULATED_MMIO_REGIONS): the
  // emulated MMIO nodes of each VM created from now on.
  void set_max_emulated_mmio(unsigned nodes) { max_emulated_mmio_ = nodes; }
  // The board's IOAPICs (get_platform_ioapic_info), whose addresses the
  // Service VM's vIOAPICs take; one at VIOAPIC_BASE unless set.
  void set_platform_ioapics(std::vector<Gpa> addresses) { platform_ioapics_ = std::move(addresses); }
  static constexpr Gpa kVioapicBase = 0xFEC0'0000ULL;  // VIOAPIC_BASE
  static constexpr u64 kVioapicSize = 4096;            // VIOAPIC_SIZE
  // register_mmio_emulation_handler: the lowest free node takes [base,
  // base + size); with none free nothing is registered, and only
  // find_match_mmio_node's pr_info says so (a vm[id] ... [0x0, 0x0] line).
  // The range's EPT entries are the caller's (it removes them either way).
  bool register_mmio_emulation_handler(Vm& vm, Gpa base, u64 size, MmioHandler* handler, unsigned tag);
  // unregister_mmio_emulation_handler: frees the node with exactly that
  // range; with none, the same pr_info names the range.
  void unregister_mmio_emulation_handler(Vm& vm, Gpa base, u64 size);

  // The virtual ECAM window every VM's vPCI traps (VIRT_PCI_MMCFG_BASE).
  static constexpr Gpa kEcamBase = 0xE000'0000ULL;
  static constexpr u64 kEcamSize = 256 * kMiB;

  static constexpr Hpa kInvalidHpa = ~Hpa{0};  // INVALID_HPA

  // For harnesses (the fuzz targets): the VM's hv-land devices torn down and
  // created again as at VM creation (vpci_init_vdevs), unmapped until the
  // guest programs them; a fresh start between inputs. A guest's own reboot
  // is vm_reset.cpp's.
  void recreate_ivshmem_devices(Vm& vm);
  // Whether a port write asks for a reset (vm_reset.c: handle_cf9_write's
  // bit 2 with bit 1 or 3, handle_kb_write's 0xFE), each a 1-byte write.
  static constexpr u16 kResetControlPort = 0xCF9, kKeyboardPort = 0x64;
  static bool is_reset_request(u16 port, unsigned size, u64 value);

  // One VM exit, handled synchronously; `cost` receives its exit/hv
  // components. Returns false when the access must go to the Service VM's
  // device model: `forward` then holds the I/O request, and the caller
  // completes `data` from its value.
  bool handle_exit(VmExitExtension& exit, u64 addr, unsigned size, bool write, u8* data, IoRequest& forward);
  // complete_ioreq: the device model's answer to `forward` goes back into
  // the vCPU's request value, by the type of the request the hypervisor
  // made (a port I/O exit's low half, an MMIO exit's whole value).
  void complete_ioreq(const VmExitExtension& exit, const IoRequest& req);

  // VMCALL (vmcall_vmexit_handler, dispatch_hypercall; models/hv/hypercall.cpp):
  // a VM without hypercall rights gets #UD through `exit`; the Service VM's
  // call is dispatched with ACRN's permission rules and returns RAX. `exit`
  // is null for acrn-dm's calls before simulated time starts (the VMs it
  // launches at boot): nothing is charged then.
  i64 vmcall(Vm& vm, unsigned vcpu, u64 id, u64 param1, u64 param2, VmExitExtension* exit);
  // copy_from_gpa / copy_to_gpa and gpa2hpa through the VM's EPT.
  bool copy_from_gpa(const Vm& vm, Gpa gpa, void* dst, u64 len) const;
  bool copy_to_gpa(Vm& vm, Gpa gpa, const void* src, u64 len);
  Hpa gpa2hpa(const Vm& vm, Gpa gpa) const;
  bool ept_is_valid_mr(const Vm& vm, Gpa base, u64 size) const;
  // The vector HC_SET_CALLBACK_VECTOR set (acrn_hsm_notification_vector).
  u8 hsm_notification_vector() const { return hsm_vector_; }
  // create_ivshmem_vdev: 0 or -EINVAL with the reason.
  i64 create_ivshmem_vdev(Vm& target, const hc::AcrnVdev& dev, std::string* why = nullptr);
  // pause_vm (also the reset paths' first step).
  void pause_vm(Vm& vm);
  // Why the run's host reset happened (reset_host), empty when it did not.
  const std::string& host_reset_by() const { return host_reset_by_; }

  // What the SystemC shell does when a VM's state changes: start_vm
  // launches its vCPUs, pause_vm makes them zombies, reset_vm puts them in
  // their power-on state, shutdown_vm ends them, reset_host ends the run;
  // ioreq_finished wakes a vCPU waiting on an I/O request (VCPU_EVENT_IOREQ).
  struct Lifecycle {
    std::function<void(Vm&)> start, pause, reset, shutdown;
    std::function<void(Vm&, bool warm)> reset_host;
    std::function<void(Vm&, unsigned, TimePs)> ioreq_finished;
    // The split-lock emulation of a VM of several vCPUs (lock_instr_emul.c):
    // vcpu_kick_lock_instr_emulation makes ACRN_REQUEST_SPLIT_LOCK of the
    // VM's other running vCPUs, vcpu_complete_lock_instr_emulation signals
    // their VCPU_EVENT_SPLIT_LOCK; both name the emulating vCPU by index.
    std::function<void(Vm&, unsigned)> kick_lock_instr_emulation, complete_lock_instr_emulation;
    // A physical interrupt ACRN takes on the pCPU of the VM's vCPU (by
    // index), which that vCPU exits for if it runs its guest there; an NMI
    // handle_nmi makes its request.
    std::function<void(Vm&, unsigned, bool nmi)> host_interrupt;
    // A physical INIT reaching the pCPU of the VM's vCPU (by index), which
    // runs a LAPIC-passthrough guest there: an INIT-mode MSI that
    // inject_msi_for_lapic_pt sends on.
    std::function<void(Vm&, unsigned)> init_signal;
    // WBINVD's emulation in a VM that is not the RT VM: the
    // ACRN_REQUEST_WAIT_WBINVD it makes of the VM's other vCPUs and the
    // VCPU_EVENT_SYNC_WBINVD it signals them, naming the flushing vCPU.
    std::function<void(Vm&, unsigned)> wait_wbinvd, sync_wbinvd;
    // vlapic_process_init_sipi for the VM's vCPU (by index): an INIT IPI
    // makes it a zombie reset in INIT mode, a SIPI launches it.
    std::function<void(Vm&, unsigned)> init_reset, sipi_start;
  };
  void set_lifecycle(Lifecycle l) { lifecycle_ = std::move(l); }
  // lock_instr_emul.c: take the VM lock and make the other vCPUs' request;
  // signal them and release it (Lifecycle's two hooks do the vCPUs' part).
  void vcpu_kick_lock_instr_emulation(Vm& vm, unsigned vcpu);
  void vcpu_complete_lock_instr_emulation(Vm& vm, unsigned vcpu);

  // The host's caches, which WBINVD's emulation flushes (none: it flushes
  // nothing and takes no time).
  void attach_caches(CoherenceDirectory* caches) { caches_ = caches; }
  // has_core_cap(CORE_CAP_SPLIT_LOCK): whether MSR_TEST_CTL exists for the
  // guests (rdmsr_vmexit_handler, wrmsr_vmexit_handler).
  void set_split_lock_core_cap(bool has) { split_lock_core_cap_ = has; }
  // has_rt_vm: a VM whose vm_type is RTVM (GUEST_FLAG_RT) exists.
  bool has_rt_vm() const;
  // flush_invalidate_all_cache on the vCPU's pCPU from now_ps: the time its
  // write-backs take, during which they load the memory controller.
  TimePs wbinvd_host(Vm& vm, unsigned vcpu, TimePs now_ps);
  // walk_ept_table(vm, ept_flush_leaf_page) by the vCPU from now_ps:
  // CLFLUSHOPT of every line each EPT leaf not mapped UC covers; the time
  // the flush takes, during which its write-backs load the memory controller.
  TimePs flush_vm_memory(Vm& vm, unsigned vcpu, TimePs now_ps);
  // The VM's wbinvd_lock and the other vCPUs' request and signal.
  void wbinvd_pause_others(Vm& vm, unsigned vcpu);
  void wbinvd_resume_others(Vm& vm, unsigned vcpu);

  void record_isolation(VmId vm, std::string target, std::string reason);
  const std::vector<IsolationEvent>& isolation_events() const { return isolation_; }
  const std::map<std::string, u64>& isolation_counts() const { return isolation_counts_; }

  // ept_add_mr / ept_del_mr / ept_modify_mr: edit and flush the VM's cached translations,
  // charging the edit to the exit being handled (if any). Any base and size
  // a guest's BAR gives are taken as ACRN's page-table code takes them: base
  // rounded up to a page, size down, an address beyond the EPT's 48 bits on
  // its alias, a range that wraps past 2^64 not edited.
  ept::EditResult ept_add_mr(Vm& vm, Hpa hpa, Gpa gpa, u64 size, u64 prot);
  ept::EditResult ept_del_mr(Vm& vm, Gpa gpa, u64 size);
  ept::EditResult ept_modify_mr(Vm& vm, Gpa gpa, u64 size, u64 prot_set, u64 prot_clr);

  // vlapic_inject_msi: decode an MSI (address 0xFEExxxxx: destination APIC
  // ID, physical or logical mode, redirection hint; data: delivery mode and
  // vector) and deliver it as ACRN does: through the destination vCPUs'
  // virtual LAPICs (vlapic_receive_intr: fixed and lowest priority, the
  // lowest priority arbitrated by PPR), or for a LAPIC-passthrough VM in
  // x2APIC mode as a physical IPI to the destination vCPUs' pCPUs
  // (inject_msi_for_lapic_pt); a LAPIC-passthrough VM whose vCPUs are part
  // in xAPIC, part in x2APIC mode gets none (vlapic_mode_transition), nor
  // does one with no vCPU running (vlapic_mode_disabled: paused, reset and
  // not started again, or every vCPU waiting for a SIPI); in
  // INIT mode that IPI is a physical INIT, which makes each destination vCPU
  // exit and nothing more (init_signal). See models/hv/vlapic_delivery.cpp.
  enum class MsiOutcome : u8 {
    delivered,
    bad_address,
    no_destination,
    mode_dropped,
    vlapic_mode_transition,
    vlapic_mode_disabled,
    init_signal
  };
  MsiOutcome inject_msi(Vm& target, u64 addr, u32 data);

  struct Irq {
    u8 vector = 0;
    bool nmi = false;
    IrqPath path = IrqPath::posted;
  };

  // Hooks the SystemC shell installs.
  void set_invept_hook(std::function<void(const Vm&)> hook) { invept_hook_ = std::move(hook); }
  // (VM, vCPU index, the interrupt, time sent, the sender's critical path)
  using InterruptHook = std::function<void(Vm&, unsigned, const Irq&, TimePs, const Breakdown&)>;
  void set_interrupt_hook(InterruptHook hook) { interrupt_hook_ = std::move(hook); }

  // A VM's vCPUs launched (launch_vcpu; models/hv/vmsr.cpp): each VMCS's
  // MSR bitmap, TSC offset and guest PAT as init_vmcs sets them, and the
  // Hyper-V reference time's start (hyperv_init_time) at `now`.
  void launch_vm(Vm& vm, TimePs now);
  void init_vmcs(Vm& vm, unsigned vcpu);
  // vlapic_create for a VM's BSP: the APIC-access page
  // (vlapic_apicv_get_apic_access_addr, one static page for every VM, at
  // `apic_access_page` in host memory) mapped at 0xFEE00000, readable,
  // writable and UC; the Service VM's LAPIC page unmapped first.
  void vlapic_create(Vm& vm);
  void set_apic_access_page(Hpa hpa) { apic_access_page_ = hpa; }
  // create_vcpu's init_vmtrr: a vCPU's virtual MTRRs, unless the VM hides them.
  void init_vmtrr(Vm& vm, unsigned vcpu);

  // CPUID as ACRN's guest_cpuid answers the leaves a guest asks for its
  // CPU and APIC ID: leaf 0 the highest basic leaf and the vendor, leaf 1
  // EAX the processor signature, EBX[31:24] the initial APIC ID, ECX the
  // features the twin models; leaf 0xB EDX the x2APIC ID (and EBX/ECX the
  // topology level); leaf 0x16 the frequencies ACRN derives from the TSC;
  // the hypervisor's own leaves from 0x40000000
  // (set_vcpuid_extended_function); a leaf ACRN keeps no entry for above
  // the highest basic or extended leaf, as the highest basic leaf
  // (find_vcpuid_entry); other leaves read zero.
  void cpuid(const Vm& vm, unsigned vcpu, u32 leaf, u32 subleaf, u32 regs[4]) const;
  // hv/FEATURES/HYPERV_ENABLED: VMs get the Hyper-V TLFS leaves.
  void set_hyperv(bool on) { hyperv_ = on; }
  // MAX_PCPU_NUM: the board file's thread count (board_info.h.xsl).
  void set_max_pcpus(unsigned n) { max_pcpus_ = n; }
  // The host CPU's family and model (the board's), which leaf 1 passes on.
  void set_cpu_signature(unsigned family, unsigned model) {
    cpu_family_ = family;
    cpu_model_ = model;
  }

  // A debug build's console on VUART_TIMER_CPU, for a LAPIC-passthrough
  // vCPU there, whose LAPIC the console timer cannot interrupt
  // (debug/console.c): console_vmexit_callback, at the end of each of its VM
  // exits (vmexit_handler), runs console_timer_callback when more than
  // `period_ps` passed since it last did, at which the first exit after
  // `first_after_ps` finds it due. Each run reads the serial port's line
  // status once (uart16550_getc), `read_ps` of the hypervisor's time (0
  // without a serial console: the UART is disabled).
  void set_console_vmexit_callback(unsigned pcpu, TimePs period_ps, TimePs first_after_ps, TimePs read_ps) {
    console_ = ConsoleKick{true, pcpu, period_ps, first_after_ps, read_ps};
  }
  // A debug build's log messages on the serial console (models/hv/hv_log.h).
  void configure_log(const HvLogConfig& c) { log_.configure(c); }
  const HvLog& console_log() const { return log_; }
  // do_logmsg from the handler of the exit being handled: on its vCPU's
  // pCPU, in its thread, the time charged to the exit (nothing outside one).
  void hv_log(LogSeverity severity, const std::string& text);
  // The exit ends at now_ps: the callback's turn. Returns its cost, which
  // it adds to the exit's.
  TimePs console_vmexit_callback(VmExitExtension& exit, TimePs now_ps);

 private:
  void invept(Vm& vm);
  // find_match_mmio_node's pr_info: no node has [start, end).
  void log_no_match_mmio_node(const Vm& vm, Gpa start, Gpa end);
  template <typename Edit>
  ept::EditResult modify_or_del(Vm& vm, Gpa gpa, u64 size, Edit edit);
  i64 dispatch_hypercall(Vm& service_vm, unsigned vcpu, u64 id, u64 param1, u64 param2);
  static VmState state_of(const Vm* vm);
  bool is_severity_pass(const Vm* target) const;
  // The handlers (hcall_*): the calling Service VM, its vCPU, the target
  // parse_target_vm found (null: an unused slot, a powered-off VM), RDI, RSI.
  i64 hcall_get_api_version(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_set_callback_vector(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_start_vm(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_pause_vm(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_reset_vm(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_set_ioreq_buffer(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_notify_ioreq_finish(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_set_vm_memory_regions(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_add_vdev(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 hcall_remove_vdev(Vm& sos, unsigned vcpu, Vm* target, u64 p1, u64 p2);
  i64 set_vm_memory_region(Vm& sos, Vm& target, const hc::VmMemoryRegion& mr);
  void destroy_ivshmem_vdev(IvshmemDevice& dev);
  void set_io_req_state(Vm& vm, unsigned slot, u32 state);
  bool handle_ecam(Vm& vm, u64 addr, unsigned size, bool write, u64& value, IoRequest& forward);
  // The hypercall indices ACRN's dispatch table has a handler for, and the
  // twin's handler of one (by the ID's low byte; nullptr: none, or one the
  // twin does not model).
  static bool acrn_has_hypercall(u64 id);
  using HypercallHandler = i64 (Hypervisor::*)(Vm&, unsigned, Vm*, u64, u64);
  static HypercallHandler hypercall_handler(u64 id);
  // The simulated time the exit being handled has reached, and the critical
  // path to it (the exiting vCPU's work since it woke, plus the exit so far).
  TimePs exit_now(Breakdown& blame) const;
  // The MSR exits: rdmsr_vmexit_handler, wrmsr_vmexit_handler (vmsr.cpp),
  // the x2APIC ones (vlapic_x2apic_read/write: vlapic_x2apic.cpp) and
  // Hyper-V's (hyperv.cpp).
  void handle_msr_write(Vm& vm, unsigned vcpu, u32 msr, u64 value, VmExitExtension& exit);
  u64 handle_msr_read(Vm& vm, unsigned vcpu, u32 msr, VmExitExtension& exit);
  void handle_x2apic_write(Vm& vm, unsigned vcpu, u32 msr, u64 value, VmExitExtension& exit);
  u64 handle_x2apic_read(Vm& vm, unsigned vcpu, u32 msr, VmExitExtension& exit);
  void hyperv_wrmsr(Vm& vm, unsigned vcpu, u32 msr, u64 value, VmExitExtension& exit);
  void hyperv_init_time(Vm& vm, TimePs now);
  // read_vmtrr, write_vmtrr and update_ept_mem_type (vmtrr.cpp).
  u64 read_vmtrr(Vm& vm, unsigned vcpu, u32 msr, VmExitExtension& exit);
  void write_vmtrr(Vm& vm, unsigned vcpu, u32 msr, u64 value, VmExitExtension& exit);
  u64 hyperv_rdmsr(Vm& vm, unsigned vcpu, u32 msr, VmExitExtension& exit);
  // set_tsc_msr_interception: IA32_TSC_DEADLINE (and TSC_ADJUST's reads)
  // intercepted only while the TSC offset is not 0.
  void set_tsc_msr_interception(Vm& vm, unsigned vcpu, bool interception, VmExitExtension& exit);
  // The x2APIC MSRs' bits once a vLAPIC is in x2APIC mode.
  static void update_msr_bitmap_x2apic_apicv(MsrBitmap& b);
  void update_msr_bitmap_x2apic_passthru(Vm& vm, unsigned vcpu, VmExitExtension& exit);
  // is_lapic_pt_enabled: LAPIC passthrough configured and the vCPU switched
  // to x2APIC mode since its last reset (VLapic::passed_through).
  static bool is_lapic_pt(const Vm& vm, unsigned vcpu);
  // get_tsc_khz, and the guest's TSC (the host's plus the VMCS offset) at `now`.
  u64 tsc_khz() const;
  u64 guest_tsc(const Vm& vm, unsigned vcpu, TimePs now) const;
  // CPUID.16H:ECX, the bus (reference) frequency: 100 MHz, ACRN's value for
  // a host without the leaf (init_vcpuid_entry) and the BCLK of the parts
  // the twin knows, whose leaf would give it.
  static constexpr u32 kBusMhz = 100;
  // apic_access_vmexit_handler: an xAPIC page access the CPU did not
  // virtualize (reads of the PPR, CMCI LVT, current count; writes other
  // than the registers it writes into the page).
  u64 apic_access(Vm& vm, unsigned vcpu, u32 offset, bool write, u64 value);
  // apic_write_vmexit_handler: vlapic_write of a register the CPU wrote
  // into the virtual-APIC page (LDR, DFR, SVR, ESR, ICR_LO, the LVTs, the
  // timer's count and divide configuration).
  void apic_write(Vm& vm, unsigned vcpu, u32 offset, u32 value);
  // ICR writes: vlapic_write_icrlo.
  void send_ipi(Vm& vm, unsigned vcpu, u64 icr);
  // An INIT or SIPI IPI to the VM's vCPU `target` (vlapic_process_init_sipi).
  void process_init_sipi(Vm& vm, unsigned target, unsigned mode, u32 icr_low);
  // vlapic_x2apic_pt_icr_access: an x2APIC ICR write under LAPIC
  // passthrough, sent on to the physical LAPIC once per destination vCPU.
  void pt_icr_access(Vm& vm, unsigned vcpu, u64 icr, VmExitExtension& exit);
  // The physical IPI the hypervisor sends for destination vCPU `to` of `vm`
  // with `dest` in the ICR's destination field: the pCPUs whose LAPICs
  // accept it, and what each does with it (irq.path is decided here).
  void physical_ipi(Vm& vm, unsigned to, u32 dest, bool phys, bool lowprio, const Irq& irq, TimePs now,
                    const Breakdown& blame);
  // A physical IPI reaching the pCPU of `vm`'s vCPU `to`: its guest takes
  // the vector if it owns that LAPIC (is_lapic_pt_enabled), else ACRN's
  // LAPIC does (host_interrupt_on).
  void to_vcpu_pcpu(Vm& vm, unsigned to, const Irq& irq, IrqPath path, TimePs now, const Breakdown& blame);
  // A vector ACRN's LAPIC takes on `pcpu`: the vCPU in its guest there
  // exits (external-interrupt exiting; a vector ACRN did not allocate is
  // spurious to dispatch_interrupt), an NMI made its request (handle_nmi).
  void host_interrupt_on(unsigned pcpu, bool nmi);
  // The vCPUs a destination selects (vlapic_calc_dest, vlapic_calc_dest_noshort), as a mask by vCPU index.
  u64 calc_dest(const Vm& vm, unsigned vcpu, unsigned shorthand, bool broadcast, u32 dest, bool phys, bool lowprio);
  // A physical destination no vCPU has is logged (vm_apicid2vcpu_id's pr_err).
  u64 calc_dest_noshort(const Vm& vm, bool broadcast, u32 dest, bool phys, bool lowprio);
  void deliver(Vm& vm, unsigned vcpu, const Irq& irq, TimePs at, const Breakdown& blame);
  // update_vm_vlapic_state: the VM's vLAPIC mode from its running vCPUs'.
  enum class VlapicMode : u8 { xapic, x2apic, transition, disabled };
  static VlapicMode vlapic_mode(const Vm& vm);
  // The pCPU whose exit is being handled (get_pcpu_id); none outside an exit.
  std::optional<unsigned> exiting_pcpu() const;
  // apicv_advanced_accept_intr: a posted interrupt needs the notification
  // IPI only when its target's pCPU is not the one the hypervisor runs on;
  // otherwise the target takes it at its next VM entry.
  IrqPath posted_path(const Vm& target, unsigned vcpu) const;
  bool handle_pio(Vm& vm, u16 port, unsigned size, bool write, u64& value, IoRequest& forward);
  // vm_reset.c (models/hv/vm_reset.cpp): the reset register and the
  // keyboard controller's reset; false when the access goes to acrn-dm.
  bool handle_reset_port(Vm& vm, u16 port, unsigned size, bool write, u64& value);
  bool handle_common_reset_reg_write(Vm& vm, bool reset, bool warm);
  void poweroff_if_rt_vm(Vm& vm);
  const Vm* get_highest_severity_vm() const;
  void shutdown_vm(Vm& vm);
  void charge_hv(TimePs ps) {
    if (cost_) cost_->add(Component::hv, ps);
  }

  HostMemory& mem_;
  CoherenceDirectory* caches_ = nullptr;
  bool split_lock_core_cap_ = false;
  Hpa apic_access_page_ = 0;
  bool hyperv_ = true;
  unsigned max_pcpus_ = 0;
  unsigned cpu_family_ = 6;
  unsigned cpu_model_ = 0;
  TimingParams timing_;
  unsigned max_vm_num_;
  unsigned max_emulated_mmio_ = MmioRegistry::kDefaultNodes;
  std::vector<Gpa> platform_ioapics_{kVioapicBase};
  std::vector<std::unique_ptr<Vm>> vms_;
  std::unique_ptr<IvshmemRegionPool> pool_;
  std::vector<std::unique_ptr<IvshmemDevice>> ivshmem_devices_;
  std::function<void(const Vm&)> invept_hook_;
  InterruptHook interrupt_hook_;
  Lifecycle lifecycle_;
  std::string host_reset_by_;
  u8 hsm_vector_ = 0xF3;       // HYPERVISOR_CALLBACK_HSM_VECTOR until the Service VM sets one
  Breakdown* cost_ = nullptr;  // the exit being handled
  const VmExitExtension* exit_ = nullptr;
  std::vector<IsolationEvent> isolation_;  // the first kMaxIsolationEvents
  std::map<std::string, u64> isolation_counts_;
  static constexpr std::size_t kMaxIsolationEvents = 256;
  struct ConsoleKick {
    bool armed = false;
    unsigned pcpu = 0;
    TimePs period_ps = 0;
    TimePs next_ps = 0;  // an exit ending after this runs the callback (prev_tsc + the period)
    TimePs read_ps = 0;  // its read of the UART's line status
  };
  ConsoleKick console_;
  HvLog log_;
};

}  // namespace ivsim
