// acrn-dm for one post-launched VM, the part ivsim models: its IVSHMEM
// devices (-s N,ivshmem,<hv:/|dm:/>NAME,SIZE_MB,REGION_ID) and the
// emulation of the I/O requests the hypervisor forwards. Plain C++: the
// SystemC shell (device_model_module.h) gives it a thread and timing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/dm/dm_ivshmem_device.h"
#include "models/dm/io_request.h"
#include "models/dm/shm_namespace.h"

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

class DeviceModel {
 public:
  DeviceModel(Hypervisor& hv, Vm& service_vm, Vm& vm, ShmNamespace& shm);

  // Creates the device: hv:/ names through HC_ADD_VDEV (the hypervisor
  // owns the device then), dm:/ names here, backed by a Service VM shm
  // object mapped into the VM's EPT. Returns false with `error` set when
  // acrn-dm would fail to start the VM.
  bool add_ivshmem(const IvshmemArgument& arg, std::string& error);

  // Emulates one forwarded access; reads complete req.value.
  void handle(IoRequest& req);

  Vm& vm() { return vm_; }
  const std::vector<std::unique_ptr<DmIvshmemDevice>>& devices() const { return devices_; }
  u64 requests() const { return requests_; }
  u64 unclaimed() const { return unclaimed_; }

 private:
  DmIvshmemDevice* device_at(pci::Bdf bdf);

  Hypervisor& hv_;
  Vm& service_vm_;
  Vm& vm_;
  ShmNamespace& shm_;
  std::vector<std::unique_ptr<DmIvshmemDevice>> devices_;
  u64 requests_ = 0;
  u64 unclaimed_ = 0;
};

}  // namespace ivsim
