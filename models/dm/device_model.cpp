#include "models/dm/device_model.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "models/hv/hypervisor.h"

namespace ivsim {

DeviceModel::DeviceModel(Hypervisor& hv, Vm& service_vm, Vm& vm, ShmNamespace& shm)
    : hv_(hv), service_vm_(service_vm), vm_(vm), shm_(shm) {}

Gpa DeviceModel::buffer_gpa() const { return service_vm_.ram_gpa + kBufferOffset + vm_.id * kBufferBytes; }

u16 DeviceModel::rel_vmid() const { return static_cast<u16>(vm_.id - service_vm_.id); }  // vmid_2_rel_vmid

ServiceVmPort DeviceModel::boot_port() {
  Hypervisor* hv = &hv_;
  Vm* sos = &service_vm_;
  return ServiceVmPort{[hv, sos](Gpa gpa, const void* src, u64 len) {
                         if (!hv->copy_to_gpa(*sos, gpa, src, len))
                           throw std::logic_error("acrn-dm's buffer is not Service VM memory");
                       },
                       [hv, sos](u64 id, u64 p1, u64 p2) { return hv->vmcall(*sos, 0, id, p1, p2, nullptr); }};
}

hc::AcrnVdev DeviceModel::vdev_of(const IvshmemArgument& arg) const {
  // create_ivshmem_from_hv: the BDF, the BARs as acrn-dm placed them
  // (BAR2 always 64-bit prefetchable, its high half in io_addr[3]), the
  // region's size and its name with the hv:/ prefix.
  hc::AcrnVdev dev;
  dev.id = 0x1AF4u | (0x1110u << 16);
  dev.slot = arg.bdf.value();
  dev.io_addr[0] = arg.bar0;
  dev.io_addr[1] = arg.bar1;
  const u64 bar2 = arg.bar2 | 0xC;
  dev.io_addr[2] = bar2 & 0xFFFF'FFFFu;
  dev.io_addr[3] = bar2 >> 32;
  dev.io_size[2] = arg.size;
  std::memcpy(dev.args, arg.name.data(), std::min(arg.name.size(), sizeof dev.args));
  return dev;
}

i64 DeviceModel::set_memory_region(const ServiceVmPort& port, u32 type, u32 prot, Gpa gpa, Gpa service_vm_gpa, u64 size,
                                   u64 page_bytes) {
  // The HSM's acrn_vm_ram_map (drivers/virt/acrn/mm.c) pins the pages behind
  // the range and passes the hypervisor one region per (compound) page, all
  // in one batch, WB with the access rights asked for; acrn_mm_region_del
  // passes one region. ept_add_mr maps each region on its own, so a region
  // of 4 KiB pages gets 4 KiB EPT leaves wherever the pages lie.
  const u64 count = type == hc::kMrAdd ? size / page_bytes : 1;
  std::vector<hc::VmMemoryRegion> batch(count);
  for (u64 i = 0; i < count; ++i) {
    hc::VmMemoryRegion& mr = batch[i];
    mr.type = type;
    mr.prot = prot;
    mr.gpa = gpa + i * page_bytes;
    mr.service_vm_gpa = type == hc::kMrAdd ? service_vm_gpa + i * page_bytes : 0;
    mr.size = type == hc::kMrAdd ? page_bytes : size;
  }
  hc::SetRegions regions;
  regions.vmid = rel_vmid();
  regions.mr_num = static_cast<u32>(count);
  // The batch is the HSM's kzalloc: in this acrn-dm's buffer when it fits,
  // else in a larger area all acrn-dm instances share (their calls run one
  // at a time, on the Service VM vCPU that serves the HSM).
  const u64 bytes = count * sizeof(hc::VmMemoryRegion);
  regions.regions_gpa =
      bytes <= kBufferBytes - kRegionsOffset ? buffer_gpa() + kRegionsOffset : service_vm_.ram_gpa + kBatchOffset;
  port.write(regions.regions_gpa, batch.data(), bytes);
  port.write(buffer_gpa() + kSetRegionsOffset, &regions, sizeof regions);
  return port.vmcall(hc::kVmSetMemoryRegions, buffer_gpa() + kSetRegionsOffset, 0);
}

bool DeviceModel::launch(const ServiceVmPort& port, std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  // acrn_ioreq_init: the I/O request page, then its address by reference.
  const u64 page = buffer_gpa() + kIoreqPageOffset;
  port.write(buffer_gpa() + kIobufPtrOffset, &page, sizeof page);
  if (port.vmcall(hc::kSetIoreqBuffer, rel_vmid(), buffer_gpa() + kIobufPtrOffset) != 0)
    errors.push_back("HC_SET_IOREQ_BUFFER failed");
  // vm_setup_memory: guest RAM is Service VM memory the HSM pins and maps
  // (below 4 GiB from GPA 0, the rest from 4 GiB).
  const u32 rwx = hc::kMemAccessRead | hc::kMemAccessWrite | hc::kMemAccessExec | hc::kMemTypeWb;
  // acrn-dm backs it with hugetlbfs pages, 1 GiB ones first (hugetlb.c):
  // one region for each range gives the EPT leaves those pages would.
  if (set_memory_region(port, hc::kMrAdd, rwx, vm_.ram_gpa, vm_.ram_hpa, vm_.ram_low_size, vm_.ram_low_size) != 0)
    errors.push_back("mapping guest RAM with HC_VM_SET_MEMORY_REGIONS failed");
  if (vm_.ram_high_size && set_memory_region(port, hc::kMrAdd, rwx, kHighRamGpa, vm_.ram_high_hpa, vm_.ram_high_size,
                                             vm_.ram_high_size) != 0)
    errors.push_back("mapping guest RAM above 4 GiB with HC_VM_SET_MEMORY_REGIONS failed");
  if (errors.size() != before || !init_pci(port, errors)) return false;
  // vm_run
  if (port.vmcall(hc::kStartVm, rel_vmid(), 0) != 0) {
    errors.push_back("HC_START_VM failed");
    return false;
  }
  return true;
}

bool DeviceModel::system_reset(const ServiceVmPort& port, std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  port.vmcall(hc::kPauseVm, rel_vmid(), 0);  // vm_pause
  // vm_reset_vdevs: deinit_pci, then init_pci, while the VM is PAUSED: the
  // hypervisor creates vdevs only in a CREATED VM (hcall_add_vdev), so a
  // hv-land device's HC_ADD_VDEV fails here, and init_pci stops there and
  // takes the devices before it down again: the VM comes back with none of
  // them. vm_reset_vdevs ignores init_pci's result.
  deinit_pci(port);
  init_pci(port, errors);
  // vm_reset, vm_run.
  if (port.vmcall(hc::kResetVm, rel_vmid(), 0) != 0) errors.push_back("HC_RESET_VM failed");
  if (port.vmcall(hc::kStartVm, rel_vmid(), 0) != 0) {
    errors.push_back("HC_START_VM failed");
    return false;
  }
  return errors.size() == before;
}

// init_pci (devicemodel/hw/pci/core.c): the devices in bus, slot and
// function order, ivsim's all in its second pass (not passthrough). The
// first whose pci_emul_init fails ends it: pci_emul_init_fail deinitialises
// the ones before it, and the ones after it were never initialised.
bool DeviceModel::init_pci(const ServiceVmPort& port, std::vector<std::string>& errors) {
  for (const auto& arg : args_) {
    std::string error;
    if (!add_ivshmem(port, arg, error)) {
      errors.push_back(error);
      deinit_pci(port);
      return false;
    }
  }
  // Then the PCI holes' fallback ranges (register_mem_fallback): an access
  // there that no registration holds reads all-ones. Only once every device
  // initialised: a failed init_pci (vm_reset_vdevs goes on after one) leaves
  // the VM without them.
  for (const DmMmioRanges::Range& hole : pci_holes()) mmio_ranges_.register_fallback(hole);
  return true;
}

// deinit_pci, and pci_emul_init_fail: the PCI holes' fallback ranges go
// (unregister_mem_fallback; none were there after a failed init), then
// pci_emul_deinit of each device in bus, slot and function order; one that
// never initialised (no fi_devi) has nothing to deinitialise.
void DeviceModel::deinit_pci(const ServiceVmPort& port) {
  for (const DmMmioRanges::Range& hole : pci_holes()) mmio_ranges_.unregister_fallback(hole.name, hole.base, hole.size);
  for (const auto& arg : args_)
    if (initialised(arg)) remove_ivshmem(port, arg);
}

std::array<DmMmioRanges::Range, 2> DeviceModel::pci_holes() {
  DmMmioRanges::Range low, high;
  low.name = "PCI hole (32-bit)";
  low.base = kPciEmulMemBase32;
  low.size = kPciEmulMemLimit32 - kPciEmulMemBase32;
  high.name = "PCI hole (64-bit)";
  high.base = kPciEmulMemBase64;
  high.size = kPciEmulMemLimit64 - kPciEmulMemBase64;
  return {low, high};
}

bool DeviceModel::initialised(const IvshmemArgument& arg) const {
  if (arg.name.rfind("hv:/", 0) == 0)
    return std::any_of(hv_land_.begin(), hv_land_.end(), [&](const HvLandBars& b) { return b.bdf == arg.bdf; });
  return std::any_of(devices_.begin(), devices_.end(), [&](const auto& d) { return d->bdf() == arg.bdf; });
}

void DeviceModel::remove_ivshmem(const ServiceVmPort& port, const IvshmemArgument& arg) {
  if (arg.name.rfind("hv:/", 0) == 0) {
    // destroy_ivshmem_from_hv: HC_REMOVE_VDEV by BDF; then
    // pci_emul_free_bars unregisters acrn-dm's BARs.
    const hc::AcrnVdev dev = vdev_of(arg);
    port.write(buffer_gpa() + kVdevOffset, &dev, sizeof dev);
    port.vmcall(hc::kRemoveVdev, rel_vmid(), buffer_gpa() + kVdevOffset);
    hv_land_.erase(
        std::remove_if(hv_land_.begin(), hv_land_.end(), [&](const HvLandBars& b) { return b.bdf == arg.bdf; }),
        hv_land_.end());
    mmio_ranges_.drop(arg.bdf);  // acrn-dm's config space still decodes: all three go
    return;
  }
  // destroy_ivshmem_from_dm: munmap and close in acrn-dm only; the pages
  // stay mapped in the VM's EPT (the HSM keeps them pinned). The device's
  // destructor is pci_emul_free_bars; a registration a sizing step left
  // behind points at the freed device in acrn-dm, and goes with it here.
  for (auto it = devices_.begin(); it != devices_.end(); ++it)
    if ((*it)->bdf() == arg.bdf) {
      devices_.erase(it);
      mmio_ranges_.drop(arg.bdf);
      return;
    }
}

bool DeviceModel::add_ivshmem(const ServiceVmPort& port, const IvshmemArgument& arg, std::string& error) {
  if (arg.name.rfind("hv:/", 0) == 0) {
    // create_ivshmem_from_hv: the hypervisor emulates it from now on.
    const hc::AcrnVdev dev = vdev_of(arg);
    port.write(buffer_gpa() + kVdevOffset, &dev, sizeof dev);
    const i64 r = port.vmcall(hc::kAddVdev, rel_vmid(), buffer_gpa() + kVdevOffset);
    if (r != 0) {
      error = fmt::format("HC_ADD_VDEV {} failed ({})", arg.name, r);
      for (auto it = hv_.isolation_events().rbegin(); it != hv_.isolation_events().rend(); ++it)
        if (it->vm == vm_.id && it->target == arg.name) {
          error += ": " + it->reason.substr(it->reason.find(": ") + 2);
          break;
        }
      return false;
    }
    // pci_emul_alloc_bar registered the BARs before the hypercall. (When
    // HC_ADD_VDEV fails, acrn-dm frees the device and leaves them registered
    // with a freed argument; the twin drops them.)
    HvLandBars bars;
    bars.bdf = arg.bdf;
    bars.base = {arg.bar0, arg.bar1, arg.bar2 & ~u64{0xF}};
    bars.size = {DmIvshmemRegisters::kBarSize, kPageSize4K, arg.size};
    for (unsigned bar = 0; bar < bars.base.size(); ++bar)
      mmio_ranges_.register_mem(
          DmMmioRanges::Range{DmIvshmemDevice::acrn_dm_name(arg.bdf), bars.base[bar], bars.size[bar], arg.bdf, bar});
    hv_land_.push_back(bars);
    return true;
  }
  if (arg.name.rfind("dm:/", 0) != 0) {
    error = "ivshmem name must start with hv:/ or dm:/: " + arg.name;
    return false;
  }
  // create_ivshmem_from_dm: shm_open in the Service VM, then map the pages
  // at BAR2 as guest RAM (vm_map_memseg_vma -> HC_VM_SET_MEMORY_REGIONS, RW, WB).
  const std::string name = arg.name.substr(4);
  ShmObject* obj = shm_.open(name, arg.size, error);
  if (!obj) return false;
  devices_.push_back(
      std::make_unique<DmIvshmemDevice>(arg.bdf, *obj, arg.region_id, arg.bar0, arg.bar1, arg.bar2, mmio_ranges_));
  // The shm object's pages are Service VM memory, which the Service VM sees
  // 1:1; tmpfs gives them one by one (order 0), so the HSM maps them so.
  const i64 r = set_memory_region(port, hc::kMrAdd, hc::kMemAccessRead | hc::kMemAccessWrite | hc::kMemTypeWb,
                                  devices_.back()->memseg_gpa(), obj->hpa, obj->size, kPageSize4K);
  if (r != 0) {
    error = fmt::format("mapping {} with HC_VM_SET_MEMORY_REGIONS failed ({})", arg.name, r);
    devices_.pop_back();
    mmio_ranges_.drop(arg.bdf);
    return false;
  }
  return true;
}

DmIvshmemDevice* DeviceModel::device_at(pci::Bdf bdf) {
  for (auto& d : devices_)
    if (d->bdf() == bdf) return d.get();
  return nullptr;
}

bool DeviceModel::multi_function(pci::Bdf bdf) const {
  unsigned functions = 0;
  for (const auto& a : args_)
    if (a.bdf.bus == bdf.bus && a.bdf.dev == bdf.dev) ++functions;
  return functions > 1;
}

bool DeviceModel::handle_reset_port(IoRequest& req, const ServiceVmPort& port) {
  if (req.addr == 0x64) {
    if (!req.write) {
      req.value = 0;  // status: output buffer empty, input buffer empty
      return true;
    }
    if (req.size != 1 || (req.value & 0xFF) != 0xFE) return true;
    ++resets_;
    full_reset(port, reset_errors_);
    return false;
  }
  // reset_handler: 1-byte accesses only; bit 3 a full reset, bit 2 a system reset.
  if (req.size != 1) {
    if (!req.write) req.value = ~u64{0} >> (64 - 8 * req.size);
    return true;
  }
  if (!req.write) {
    req.value = reset_control_;
    return true;
  }
  reset_control_ = static_cast<u8>(req.value);
  if (req.value & 0x8) {
    reset_control_ = 0;
    ++resets_;
    full_reset(port, reset_errors_);
    return false;
  }
  if (req.value & 0x4) {
    ++resets_;
    system_reset(port, reset_errors_);
    return false;
  }
  return true;
}

bool DeviceModel::full_reset(const ServiceVmPort& port, std::vector<std::string>& errors) {
  // acrn-dm leaves its VM loop: vm_pause, vm_deinit_vdevs, vm_unsetup_memory,
  // and the VM is destroyed and created again (HC_DESTROY_VM/HC_CREATE_VM,
  // which the twin does not model: HC_RESET_VM puts the VM back in CREATED
  // with its configuration), then launched as at first.
  const std::size_t before = errors.size();
  port.vmcall(hc::kPauseVm, rel_vmid(), 0);
  deinit_pci(port);
  set_memory_region(port, hc::kMrDel, 0, vm_.ram_gpa, 0, vm_.ram_low_size, vm_.ram_low_size);
  if (vm_.ram_high_size) set_memory_region(port, hc::kMrDel, 0, kHighRamGpa, 0, vm_.ram_high_size, vm_.ram_high_size);
  if (port.vmcall(hc::kResetVm, rel_vmid(), 0) != 0) errors.push_back("HC_RESET_VM failed");
  if (errors.size() != before) return false;
  return launch(port, errors);
}

bool DeviceModel::handle(IoRequest& req, const ServiceVmPort& port) {
  constexpr u32 kPciRegMax = pci::kConfigBytes - 1;  // PCI_REGMAX
  ++requests_;
  if (req.type == IoRequest::Type::port_io && (req.addr == 0xCF9 || req.addr == 0x64))
    return handle_reset_port(req, port);
  const u64 all_ones = ~u64{0} >> (64 - 8 * req.size);
  switch (req.type) {
    case IoRequest::Type::pci_config: {
      // pci_cfgrw: no device, or a size or alignment it refuses: all-ones.
      DmIvshmemDevice* d = device_at(req.bdf);
      if (!d || (req.size != 1 && req.size != 2 && req.size != 4) || req.reg % req.size != 0) {
        if (!req.write) req.value = all_ones;
        return true;
      }
      if (req.reg >= pci::kConfigBytes) {
        // An emulated device has no extended space: writes are ignored,
        // reads all-ones but for the extended capability header at 0x100,
        // all zeros ("absence of extended capabilities", coff <= PCI_REGMAX + 4).
        if (!req.write) req.value = req.reg <= kPciRegMax + 4 ? 0 : all_ones;
        return true;
      }
      if (req.write) {
        d->cfg_write(req.reg, req.size, static_cast<u32>(req.value));
      } else {
        req.value = d->cfg_read(req.reg, req.size);
        // pci_emul_hdrtype_fixup: the header type's multi-function bit says
        // whether another function shares the slot.
        if (req.reg <= pci::kHeaderType && req.reg + req.size > pci::kHeaderType) {
          const u32 bit = u32{pci::kHeaderTypeMultiFunction} << (8 * (pci::kHeaderType - req.reg));
          req.value &= ~u64{bit};
          if (multi_function(req.bdf)) req.value |= bit;
        }
      }
      return true;
    }
    case IoRequest::Type::mmio: {
      // emulate_mem: the registration that holds the address, then its
      // handler, pci_emul_mem_handler, which refuses an access past the
      // BAR's end (-ESRCH, as for an address nothing registered).
      const DmMmioRanges::Range* r = mmio_ranges_.lookup(req.addr);
      if (!r) {
        // Else a fallback range: pci_emul_fallback_handler ignores a write
        // and reads all-ones, with no error. Outside both, -ESRCH
        // (vmexit_mmio_emul's "Unhandled memory access").
        if (!mmio_ranges_.lookup_fallback(req.addr)) break;
        if (!req.write) req.value = all_ones;
        hv_.record_isolation(vm_.id, fmt::format("GPA {:#x}", req.addr), "pci_hole_in_device_model");
        return true;
      }
      u64 offset = 0;
      if (DmIvshmemDevice* d = device_at(r->bdf)) {
        if (!d->in_bar(r->bar, req.addr, req.size, offset)) break;
        if (req.write)
          d->mmio_write(r->bar, offset, req.size, req.value);
        else
          req.value = d->mmio_read(r->bar, offset, req.size);
        return true;
      }
      for (HvLandBars& b : hv_land_) {
        if (!(b.bdf == r->bdf)) continue;
        if (req.addr + req.size > b.base[r->bar] + b.size[r->bar]) break;
        offset = req.addr - b.base[r->bar];
        if (req.write)
          DmIvshmemDevice::bar_write(b.regs, r->bar, offset, req.size, req.value);
        else
          req.value = DmIvshmemDevice::bar_read(b.regs, r->bar, offset, req.size);
        return true;
      }
      break;
    }
    case IoRequest::Type::port_io:
      // emulate_inout: init_inout gave every port default_inout, which
      // ignores a write and reads all-ones of the access's size, with no
      // error; the twin's acrn-dm emulates no port device besides reset
      // (handle_reset_port). IN and OUT are 1, 2 or 4 bytes, which
      // emulate_inout accepts.
      if (!req.write) req.value = all_ones;
      hv_.record_isolation(vm_.id, fmt::format("port {:#x}", req.addr), "default_port_in_device_model");
      return true;
  }
  // No emulated device claims the access: emulate_mem's -ESRCH, or
  // pci_emul_mem_handler's for an access past a BAR's end.
  ++unclaimed_;
  if (!req.write) req.value = all_ones;
  hv_.record_isolation(vm_.id, fmt::format("GPA {:#x}", req.addr), "no_device_in_device_model");
  return true;
}

}  // namespace ivsim
