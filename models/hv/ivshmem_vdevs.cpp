// hv-land IVSHMEM vdevs coming and going: created at VM creation
// (vpci_init_vdevs → create_ivshmem_vdev) or by the Service VM's
// HC_CREATE_VDEV, destroyed by HC_DESTROY_VDEV (destroy_ivshmem_vdev), and
// for harnesses torn down and created again between inputs.
#include <stdexcept>
#include <string>
#include <vector>

#include "models/hv/hypervisor.h"
#include "models/hv/ivshmem_device.h"

namespace ivsim {

IvshmemDevice& Hypervisor::create_ivshmem_device(Vm& vm, const std::string& prefixed_name, pci::Bdf bdf, u32 bar0,
                                                 u32 bar1, u64 bar2) {
  IvshmemRegion* region = pool_ ? pool_->find(prefixed_name) : nullptr;
  if (!region) throw std::invalid_argument("no hv-land IVSHMEM region named " + prefixed_name);
  ivshmem_devices_.push_back(std::make_unique<IvshmemDevice>(*this, vm, *region, bdf, bar0, bar1, bar2));
  vm.vpci.attach(*ivshmem_devices_.back());
  return *ivshmem_devices_.back();
}

void Hypervisor::destroy_ivshmem_vdev(IvshmemDevice& dev) {
  // Every BAR unmapped, the vdev out of the VM's vPCI and out of its
  // region's doorbell peers (the destructor unbinds it).
  dev.unmap_all();
  dev.vm().vpci.detach(dev);
  for (auto it = ivshmem_devices_.begin(); it != ivshmem_devices_.end(); ++it)
    if (it->get() == &dev) {
      ivshmem_devices_.erase(it);
      return;
    }
}

void Hypervisor::recreate_ivshmem_devices(Vm& vm) {
  struct Again {
    std::string name;
    pci::Bdf bdf;
    u32 bar0, bar1;
    u64 bar2;
  };
  std::vector<Again> again;
  std::vector<IvshmemDevice*> mine;
  for (auto& d : ivshmem_devices_)
    if (&d->vm() == &vm) {
      again.push_back({d->region().name, d->bdf(), d->configured_bar0(), d->configured_bar1(), d->configured_bar2()});
      mine.push_back(d.get());
    }
  for (IvshmemDevice* d : mine) destroy_ivshmem_vdev(*d);
  for (const auto& a : again) create_ivshmem_device(vm, a.name, a.bdf, a.bar0, a.bar1, a.bar2);
}

}  // namespace ivsim
