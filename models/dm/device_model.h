// acrn-dm for one post-launched VM, the part ivsim models: its IVSHMEM
// devices (-s N,ivshmem,<hv:/|dm:/>NAME,SIZE_MB,REGION_ID) and the
// emulation of the I/O requests the hypervisor forwards. Plain C++: the
// SystemC shell (device_model_module.h) gives it a thread and timing.
#pragma once

#include <algorithm>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/dm/dm_ivshmem_device.h"
#include "models/dm/io_request.h"
#include "models/dm/shm_namespace.h"
#include "models/hv/hypercall_abi.h"

namespace ivsim {

class Hypervisor;
struct Vm;

struct IvshmemArgument {
  std::string name;  // with its hv:/ or dm:/ prefix
  u64 size = 0;      // bytes
  u16 region_id = 0;
  pci::Bdf bdf;
  u32 bar0 = 0, bar1 = 0;
  u64 bar2 = 0;
};

// How acrn-dm reaches memory and the hypervisor: it writes hypercall
// arguments into Service VM memory and executes VMCALL there (through the
// HSM driver's ioctls). Before simulated time starts (the VMs launched at
// boot) that is the hypervisor directly; at run time (a reboot) it is the
// Service VM's vCPU, timed.
struct ServiceVmPort {
  std::function<void(Gpa, const void*, u64)> write;
  std::function<i64(u64 id, u64 param1, u64 param2)> vmcall;
};

class DeviceModel {
 public:
  DeviceModel(Hypervisor& hv, Vm& service_vm, Vm& vm, ShmNamespace& shm);

  // Where this acrn-dm's kernel buffers sit in Service VM memory: the I/O
  // request page and the hypercall argument structures (the HSM driver's
  // allocations). Per VM, from the Service VM's RAM base + kBufferOffset.
  static constexpr u64 kBufferOffset = 8 * kMiB, kBufferBytes = 64 * 1024;
  static constexpr u64 kIoreqPageOffset = 0, kIobufPtrOffset = 0x1000, kVdevOffset = 0x1100, kSetRegionsOffset = 0x1200,
                       kRegionsOffset = 0x1300;
  // Where a batch of regions too large for that buffer goes (a 512 MiB
  // region of 4 KiB pages: 4 MiB), from the Service VM's RAM base.
  static constexpr u64 kBatchOffset = 12 * kMiB;
  static_assert(kBufferOffset + 64 * kBufferBytes <= kBatchOffset, "past the buffers of 64 VMs (max_vm_num)");
  Gpa buffer_gpa() const;

  // The IVSHMEM devices of the VM's command line (-s N,ivshmem,...).
  // Kept in BDF order, the order acrn-dm's init_pci and deinit_pci take them.
  void add_argument(const IvshmemArgument& arg) {
    args_.insert(std::upper_bound(args_.begin(), args_.end(), arg,
                                  [](const IvshmemArgument& a, const IvshmemArgument& b) { return a.bdf < b.bdf; }),
                 arg);
  }
  // acrn-dm's launch (main -> vm_create, vm_setup_memory, init_pci,
  // vm_run): HC_SET_IOREQ_BUFFER, the VM's RAM with HC_VM_SET_MEMORY_REGIONS
  // from Service VM memory, each device (hv:/ through HC_ADD_VDEV, dm:/
  // here), HC_START_VM. Failures are recorded in `errors` (acrn-dm would
  // not start the VM); returns whether the VM started.
  bool launch(const ServiceVmPort& port, std::vector<std::string>& errors);
  // vm_system_reset (pm.c reset_handler -> vm_reset_vdevs, vm_reset,
  // vm_run): the VM is paused; its devices are removed (HC_REMOVE_VDEV, dm:/
  // memory unmapped) and added again, HC_RESET_VM, HC_START_VM.
  bool system_reset(const ServiceVmPort& port, std::vector<std::string>& errors);
  // The port acrn-dm uses before simulated time starts.
  ServiceVmPort boot_port();

  // Emulates one forwarded access; reads complete req.value. Returns false
  // when acrn-dm does not complete it (a write that reset the VM).
  bool handle(IoRequest& req, const ServiceVmPort& port);
  // The reset register (pm.c reset_handler, 0xCF9) and the keyboard
  // controller's reset command (atkbdc.c KBDC_RESET, 0x64): a system reset
  // (vm_system_reset) or a full one (acrn-dm tears the VM down and launches
  // it again).
  bool handle_reset_port(IoRequest& req, const ServiceVmPort& port);
  bool full_reset(const ServiceVmPort& port, std::vector<std::string>& errors);
  const std::vector<std::string>& reset_errors() const { return reset_errors_; }
  u64 resets() const { return resets_; }

  Vm& vm() { return vm_; }
  const std::vector<std::unique_ptr<DmIvshmemDevice>>& devices() const { return devices_; }
  // acrn-dm's side of a hv-land device (pci_ivshmem_init for hv:/): like
  // any emulated device's, its three BARs were allocated and registered with
  // memory decoding on (pci_emul_alloc_bar) before create_ivshmem_from_hv
  // handed the device to the hypervisor. The guest's config accesses go to
  // the hypervisor's vdev from then on, so these registrations never move:
  // an access there the hypervisor does not claim (before the guest
  // programs the BAR, or after it moved it) reaches pci_ivshmem_read/write.
  // Unregistered when the device goes (pci_emul_free_bars).
  struct HvLandBars {
    pci::Bdf bdf;
    std::array<u64, 3> base{};  // BAR0, BAR1, BAR2
    std::array<u64, 3> size{};
    DmIvshmemRegisters regs;
  };
  const std::vector<HvLandBars>& hv_land_bars() const { return hv_land_; }
  u64 requests() const { return requests_; }
  u64 unclaimed() const { return unclaimed_; }

 private:
  DmIvshmemDevice* device_at(pci::Bdf bdf);
  // pci_emul_is_mfdev: more than one function of acrn-dm's in bdf's slot
  // (its IVSHMEM devices, hv-land ones included: pci_ivshmem_init takes a
  // slot for each).
  bool multi_function(pci::Bdf bdf) const;
  bool init_pci(const ServiceVmPort& port, std::vector<std::string>& errors);
  void deinit_pci(const ServiceVmPort& port);
  // init_pci's fallback ranges over acrn-dm's two PCI holes.
  static std::array<DmMmioRanges::Range, 2> pci_holes();
  // pci_emul_init succeeded for it (fi_devi set): acrn-dm holds its BARs (hv:/) or its device (dm:/).
  bool initialised(const IvshmemArgument& arg) const;
  // Creates one device: false with `error` as acrn-dm reports it.
  bool add_ivshmem(const ServiceVmPort& port, const IvshmemArgument& arg, std::string& error);
  void remove_ivshmem(const ServiceVmPort& port, const IvshmemArgument& arg);
  // One HC_VM_SET_MEMORY_REGIONS: an add maps [gpa, gpa + size) as one
  // region per page_bytes of its backing; a delete is one region.
  i64 set_memory_region(const ServiceVmPort& port, u32 type, u32 prot, Gpa gpa, Gpa service_vm_gpa, u64 size,
                        u64 page_bytes);
  hc::AcrnVdev vdev_of(const IvshmemArgument& arg) const;
  u16 rel_vmid() const;

  std::vector<IvshmemArgument> args_;
  u8 reset_control_ = 0;  // pm.c's reset_control
  std::vector<std::string> reset_errors_;
  u64 resets_ = 0;

  Hypervisor& hv_;
  Vm& service_vm_;
  Vm& vm_;
  ShmNamespace& shm_;
  DmMmioRanges mmio_ranges_;  // before the devices, whose destructors unregister in it
  std::vector<std::unique_ptr<DmIvshmemDevice>> devices_;
  std::vector<HvLandBars> hv_land_;
  u64 requests_ = 0;
  u64 unclaimed_ = 0;
};

}  // namespace ivsim
