// A dm-land IVSHMEM device: emulated by acrn-dm in the Service VM for one
// post-launched VM (devicemodel/hw/pci/ivshmem.c). No MSI-X, no INTx, no
// doorbell; BAR2 is the shm object mapped into the VM's EPT once, at
// creation, and never moved.
#pragma once

#include <string>

#include "models/dm/dm_ivshmem_regs.h"
#include "models/dm/shm_namespace.h"
#include "models/pci/bdf.h"
#include "models/pci/config_space.h"

namespace ivsim {

class DmIvshmemDevice {
 public:
  static constexpr unsigned kBarRegisters = 0, kBarEmpty = 1, kBarShm = 2;

  DmIvshmemDevice(pci::Bdf bdf, const ShmObject& shm, u16 region_id, u32 bar0, u32 bar1, u64 bar2);

  pci::Bdf bdf() const { return bdf_; }
  const ShmObject& shm() const { return shm_; }
  const pci::ConfigSpace& config() const { return cfg_; }
  const DmIvshmemRegisters& registers() const { return regs_; }
  // Where acrn-dm mapped the shm object (vm_map_memseg_vma at creation).
  Gpa memseg_gpa() const { return memseg_gpa_; }

  u32 cfg_read(u32 offset, unsigned size) const { return cfg_.read(offset, size); }
  void cfg_write(u32 offset, unsigned size, u32 value);

  // acrn-dm traps the BARs' current windows while memory decoding is on.
  bool claims(Gpa gpa, unsigned size, unsigned& bar, u64& offset) const;
  u64 mmio_read(unsigned bar, u64 offset, unsigned size) { return bar_read(regs_, bar, offset, size); }
  void mmio_write(unsigned bar, u64 offset, unsigned size, u64 value) { bar_write(regs_, bar, offset, size, value); }

  // pci_emul_mem_handler into pci_ivshmem_read / pci_ivshmem_write for one
  // of acrn-dm's IVSHMEM BARs, hv-land devices' included (DeviceModel).
  static u64 bar_read(const DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size);
  static void bar_write(DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size, u64 value);

 private:
  pci::Bdf bdf_;
  const ShmObject& shm_;
  pci::ConfigSpace cfg_;
  DmIvshmemRegisters regs_;
  Gpa memseg_gpa_;
};

}  // namespace ivsim
