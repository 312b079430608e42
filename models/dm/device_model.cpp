#include "models/dm/device_model.h"

#include <fmt/format.h>

#include "models/hv/hypervisor.h"

namespace ivsim {

DeviceModel::DeviceModel(Hypervisor& hv, Vm& service_vm, Vm& vm, ShmNamespace& shm)
    : hv_(hv), service_vm_(service_vm), vm_(vm), shm_(shm) {}

bool DeviceModel::add_ivshmem(const IvshmemArgument& arg, std::string& error) {
  if (arg.name.rfind("hv:/", 0) == 0) {
    // create_ivshmem_from_hv: the hypervisor emulates it from now on.
    // create_ivshmem_from_hv: BAR2 always 64-bit prefetchable.
    VdevRequest req{arg.name, arg.size, arg.bdf, arg.bar0, arg.bar1, arg.bar2 | 0xC};
    std::string why;
    if (hv_.hcall_add_vdev(service_vm_, vm_, req, &why) != 0) {
      error = "HC_ADD_VDEV " + arg.name + " failed (-EINVAL): " + why;
      return false;
    }
    return true;
  }
  if (arg.name.rfind("dm:/", 0) != 0) {
    error = "ivshmem name must start with hv:/ or dm:/: " + arg.name;
    return false;
  }
  // create_ivshmem_from_dm: shm_open in the Service VM, then map the pages
  // at BAR2 as guest RAM (vm_map_memseg_vma -> HC_VM_SET_MEMORY_REGIONS, WB).
  const std::string name = arg.name.substr(4);
  ShmObject* obj = shm_.open(name, arg.size, error);
  if (!obj) return false;
  devices_.push_back(std::make_unique<DmIvshmemDevice>(arg.bdf, *obj, arg.region_id, arg.bar0, arg.bar1, arg.bar2));
  hv_.ept_add_mr(vm_, obj->hpa, devices_.back()->memseg_gpa(), obj->size, ept::kRead | ept::kWrite | ept::kWB);
  return true;
}

DmIvshmemDevice* DeviceModel::device_at(pci::Bdf bdf) {
  for (auto& d : devices_)
    if (d->bdf() == bdf) return d.get();
  return nullptr;
}

void DeviceModel::handle(IoRequest& req) {
  ++requests_;
  const u64 all_ones = ~u64{0} >> (64 - 8 * req.size);
  switch (req.type) {
    case IoRequest::Type::pci_config:
      if (DmIvshmemDevice* d = device_at(req.bdf)) {
        if (req.write)
          d->cfg_write(req.reg, req.size, static_cast<u32>(req.value));
        else
          req.value = d->cfg_read(req.reg, req.size);
      } else if (!req.write) {
        req.value = all_ones;  // no device at this BDF
      }
      return;
    case IoRequest::Type::mmio:
      for (auto& d : devices_) {
        unsigned bar = 0;
        u64 offset = 0;
        if (!d->claims(req.addr, req.size, bar, offset)) continue;
        if (req.write)
          d->mmio_write(bar, offset, req.size, req.value);
        else
          req.value = d->mmio_read(bar, offset, req.size);
        return;
      }
      break;
    case IoRequest::Type::port_io:
      break;
  }
  // No emulated device claims the access.
  ++unclaimed_;
  if (!req.write) req.value = all_ones;
  hv_.record_isolation(vm_.id, fmt::format("{} {:#x}", req.type == IoRequest::Type::mmio ? "GPA" : "port", req.addr),
                       "no_device_in_device_model");
}

}  // namespace ivsim
