// The hypervisor in root mode: VM exit dispatch (EPT violation -> MMIO
// handler registry, I/O instruction -> port handlers such as vPCI), EPT
// editing with INVEPT, MSI injection and the hv-land IVSHMEM region pool.
// Plain C++: the SystemC shell (hypervisor_module.h) feeds it exits.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/core/timing.h"
#include "models/cpu/vm_exit.h"
#include "models/dm/io_request.h"
#include "models/ept/ept_table.h"
#include "models/host/host_memory.h"
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

// HC_ADD_VDEV arguments for an IVSHMEM device (struct acrn_vdev).
struct VdevRequest {
  std::string name;  // with its hv:/ prefix
  u64 size = 0;
  pci::Bdf bdf;
  u32 bar0 = 0, bar1 = 0;
  u64 bar2 = 0;
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
  Vm& create_vm(VmId id, const std::string& name, VmLoadOrder order, Hpa ept_pool_hpa, u64 ept_pool_bytes,
                ept::LargePages large);
  Vm* vm(VmId id) { return id < vms_.size() ? vms_[id].get() : nullptr; }
  std::vector<Vm*> vms() const;

  void init_ivshmem_pool(Hpa base, const std::vector<IvshmemRegionPool::RegionSpec>& specs);
  IvshmemRegionPool* ivshmem_pool() { return pool_.get(); }
  const IvshmemRegionPool* ivshmem_pool() const { return pool_.get(); }
  // Creates the hv-land IVSHMEM device of `vm` for region `prefixed_name`
  // (e.g. "hv:/shm_region_0") at `bdf`, with BAR values as configured.
  IvshmemDevice& create_ivshmem_device(Vm& vm, const std::string& prefixed_name, pci::Bdf bdf, u32 bar0, u32 bar1,
                                       u64 bar2);
  const std::vector<std::unique_ptr<IvshmemDevice>>& ivshmem_devices() const { return ivshmem_devices_; }

  // The virtual ECAM window every VM's vPCI traps (VIRT_PCI_MMCFG_BASE).
  static constexpr Gpa kEcamBase = 0xE000'0000ULL;
  static constexpr u64 kEcamSize = 256 * kMiB;

  // A VM reset (reboot): its hv-land devices are torn down (BARs unmapped,
  // unbound from their regions' peer tables) and created again from the
  // configuration, unmapped until the guest programs them. The regions'
  // memory is left as it is: ACRN never clears it.
  void reset_vm(Vm& vm);

  // One VM exit, handled synchronously; `cost` receives its exit/hv
  // components. Returns false when the access must go to the Service VM's
  // device model: `forward` then holds the I/O request, and the caller
  // completes `data` from its value.
  bool handle_exit(VmExitExtension& exit, u64 addr, unsigned size, bool write, u8* data, IoRequest& forward);

  // hcall_add_vdev for an IVSHMEM device: only from the Service VM, only for
  // a post-launched VM in CREATED state, only for a name and size in that
  // VM's static configuration. Returns 0 or -EINVAL, with the reason.
  int hcall_add_vdev(Vm& caller, Vm& target, const VdevRequest& req, std::string* why = nullptr);

  void record_isolation(VmId vm, std::string target, std::string reason);
  const std::vector<IsolationEvent>& isolation_events() const { return isolation_; }
  const std::map<std::string, u64>& isolation_counts() const { return isolation_counts_; }

  // ept_add_mr / ept_del_mr: edit and flush the VM's cached translations,
  // charging the edit to the exit being handled (if any). Any base and size
  // a guest's BAR gives are taken as ACRN's page-table code takes them: base
  // rounded up to a page, size down, an address beyond the EPT's 48 bits on
  // its alias, a range that wraps past 2^64 not edited.
  ept::EditResult ept_add_mr(Vm& vm, Hpa hpa, Gpa gpa, u64 size, u64 prot);
  ept::EditResult ept_del_mr(Vm& vm, Gpa gpa, u64 size);

  // vlapic_inject_msi: decode an MSI (address 0xFEExxxxx: destination
  // APIC id and mode; data: vector) and raise it in the destination vCPUs'
  // virtual LAPICs through the interrupt hook. Returns the vCPUs reached.
  unsigned inject_msi(Vm& target, u64 addr, u32 data);

  // Hooks the SystemC shell installs.
  void set_invept_hook(std::function<void(const Vm&)> hook) { invept_hook_ = std::move(hook); }
  // (VM, vCPU index, vector, time sent, the sender's critical path, local:
  // raised by the vCPU's own LAPIC, injected at VM entry without delivery)
  using InterruptHook = std::function<void(Vm&, unsigned, u8, TimePs, const Breakdown&, bool)>;

  void set_interrupt_hook(InterruptHook hook) { interrupt_hook_ = std::move(hook); }

 private:
  void invept(Vm& vm);
  bool handle_ecam(Vm& vm, u64 addr, unsigned size, bool write, u64& value, IoRequest& forward);
  // The simulated time the exit being handled has reached, and the critical
  // path to it (the exiting vCPU's work since it woke, plus the exit so far).
  TimePs exit_now(Breakdown& blame) const;
  void handle_msr_write(Vm& vm, unsigned vcpu, u32 msr, u64 value);
  bool handle_pio(Vm& vm, u16 port, unsigned size, bool write, u64& value, IoRequest& forward);
  void charge_hv(TimePs ps) {
    if (cost_) cost_->add(Component::hv, ps);
  }

  HostMemory& mem_;
  TimingParams timing_;
  unsigned max_vm_num_;
  std::vector<std::unique_ptr<Vm>> vms_;
  std::unique_ptr<IvshmemRegionPool> pool_;
  std::vector<std::unique_ptr<IvshmemDevice>> ivshmem_devices_;
  std::function<void(const Vm&)> invept_hook_;
  InterruptHook interrupt_hook_;
  Breakdown* cost_ = nullptr;  // the exit being handled
  const VmExitExtension* exit_ = nullptr;
  std::vector<IsolationEvent> isolation_;  // the first kMaxIsolationEvents
  std::map<std::string, u64> isolation_counts_;
  static constexpr std::size_t kMaxIsolationEvents = 256;
};

}  // namespace ivsim
