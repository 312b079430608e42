// A dm-land IVSHMEM device: emulated by acrn-dm in the Service VM for one
// post-launched VM (devicemodel/hw/pci/ivshmem.c). No MSI-X, no INTx, no
// doorbell; BAR2 is the shm object mapped into the VM's EPT once, at
// creation, and never moved.
#pragma once

#include <array>
#include <string>

#include "models/dm/dm_ivshmem_regs.h"
#include "models/dm/dm_mmio_ranges.h"
#include "models/dm/shm_namespace.h"
#include "models/pci/bdf.h"
#include "models/pci/config_space.h"

namespace ivsim {

class DmIvshmemDevice {
 public:
  static constexpr unsigned kBarRegisters = 0, kBarEmpty = 1, kBarShm = 2;

  // pci_emul_alloc_bar registers the three BARs in `ranges` (decoding is on).
  DmIvshmemDevice(pci::Bdf bdf, const ShmObject& shm, u16 region_id, u32 bar0, u32 bar1, u64 bar2,
                  DmMmioRanges& ranges);
  // pci_emul_free_bars: unregisters the BARs where decoding is on.
  ~DmIvshmemDevice();
  DmIvshmemDevice(const DmIvshmemDevice&) = delete;
  DmIvshmemDevice& operator=(const DmIvshmemDevice&) = delete;
  // The name acrn-dm gives a device in `bdf`'s slot, which its MMIO
  // registrations carry (pci_emul_init: "%s-pci-%d", class name and slot).
  static std::string acrn_dm_name(pci::Bdf bdf);

  pci::Bdf bdf() const { return bdf_; }
  const ShmObject& shm() const { return shm_; }
  const pci::ConfigSpace& config() const { return cfg_; }
  const DmIvshmemRegisters& registers() const { return regs_; }
  // Where acrn-dm mapped the shm object (vm_map_memseg_vma at creation).
  Gpa memseg_gpa() const { return memseg_gpa_; }

  u32 cfg_read(u32 offset, unsigned size) const { return cfg_.read(offset, size); }
  void cfg_write(u32 offset, unsigned size, u32 value);

  // pci_emul_mem_handler's check of an access its registration found: the
  // BAR's current window (acrn-dm's bar[idx].addr, which a registration
  // left behind no longer matches) must hold it; `offset` is from that base.
  bool in_bar(unsigned bar, Gpa gpa, unsigned size, u64& offset) const;
  u64 mmio_read(unsigned bar, u64 offset, unsigned size) { return bar_read(regs_, bar, offset, size); }
  void mmio_write(unsigned bar, u64 offset, unsigned size, u64 value) { bar_write(regs_, bar, offset, size, value); }

  // pci_emul_mem_handler into pci_ivshmem_read / pci_ivshmem_write for one
  // of acrn-dm's IVSHMEM BARs, hv-land devices' included (DeviceModel).
  static u64 bar_read(const DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size);
  static void bar_write(DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size, u64 value);

 private:
  bool memory_decoding() const;  // memen: the Command register's Memory Space Enable
  // pci_cfgrw's BAR write: the sizing workaround, then update_bar_address.
  void write_bar_register(unsigned reg, u32 value);
  // update_bar_address: with decoding on (and no sizing step), the BAR is
  // unregistered at its old address and registered at the new one.
  void update_bar_address(unsigned bar, u64 addr, bool ignore_reg_unreg);
  void register_bar(unsigned bar);    // modify_bar_registration(dev, idx, 1)
  void unregister_bar(unsigned bar);  // modify_bar_registration(dev, idx, 0)

  pci::Bdf bdf_;
  const ShmObject& shm_;
  pci::ConfigSpace cfg_;
  DmIvshmemRegisters regs_;
  Gpa memseg_gpa_;
  DmMmioRanges& ranges_;
  std::string name_;
  std::array<u64, 3> addr_{};  // acrn-dm's bar[idx].addr: BAR0, BAR1, BAR2 (both halves)
  std::array<u64, 3> size_{};
  std::array<bool, 4> sizing_{};  // bar[idx].sizing, per register (BAR3: BAR2's upper half)
};

}  // namespace ivsim
