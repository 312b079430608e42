// A hypervisor-emulated IVSHMEM device (hv-land) of one VM for one region:
// config space with BARs and MSI-X, the BAR0 register file, the MSI-X table
// in BAR1 and the shared memory in BAR2 mapped straight into the VM's EPT
// (hypervisor/dm/vpci/ivshmem.c).
#pragma once

#include <array>

#include "models/hv/ivshmem_regs.h"
#include "models/hv/mmio_registry.h"
#include "models/hv/vpci.h"
#include "models/pci/config_space.h"
#include "models/pci/msix.h"

namespace ivsim {

class Hypervisor;
struct Vm;
struct IvshmemRegion;

class IvshmemDevice final : public PciVdev, public MmioHandler {
 public:
  static constexpr u16 kVendorId = 0x1AF4;         // IVSHMEM_VENDOR_ID
  static constexpr u16 kDeviceId = 0x1110;         // IVSHMEM_DEVICE_ID
  static constexpr u8 kRevision = 0x01;            // IVSHMEM_REV
  static constexpr u8 kClass = 0x05;               // IVSHMEM_CLASS: memory controller
  static constexpr u16 kSubsystemVendor = 0x8086;  // IVSHMEM_INTEL_SUBVENDOR_ID
  static constexpr unsigned kMsixVectors = 8;      // MAX_IVSHMEM_MSIX_TBL_ENTRY_NUM
  static constexpr unsigned kBarRegisters = 0, kBarMsix = 1, kBarShm = 2;

  IvshmemDevice(Hypervisor& hv, Vm& vm, IvshmemRegion& region, pci::Bdf bdf, u32 bar0, u32 bar1, u64 bar2);
  ~IvshmemDevice() override;

  u32 cfg_read(u32 offset, unsigned size) override;
  void cfg_write(u32 offset, unsigned size, u32 value) override;
  void mmio_read(unsigned tag, Gpa gpa, unsigned size, u64& value) override;
  void mmio_write(unsigned tag, Gpa gpa, unsigned size, u64 value) override;

  Vm& vm() { return vm_; }
  IvshmemRegion& region() { return region_; }
  const pci::ConfigSpace& config() const { return cfg_; }
  const pci::MsixCapability& msix() const { return msix_; }
  const IvshmemRegisters& registers() const { return regs_; }
  // The GPA where BAR2 is mapped now (0 = not mapped).
  Gpa shm_gpa() const { return shm_gpa_; }
  // The BAR values the configuration gave it (what a re-created device starts with).
  u32 configured_bar0() const { return bar0_; }
  u32 configured_bar1() const { return bar1_; }
  u64 configured_bar2() const { return bar2_; }
  // destroy_ivshmem_vdev: every BAR unmapped and cleared, in ACRN's order.
  void unmap_all();
  // Out of its region's doorbell peers (ivshmem_server_unbind_peer): a
  // doorbell to its IVPosition finds no peer. The destructor does it, and
  // deinit_ivshmem_vdev when its VM shuts down.
  void unbind_peer();

 private:
  // pci_vdev_update_vbar_base's check of a BAR's new base (logs only).
  void check_vbar_base(unsigned bar, u64 base);
  void map_bar(unsigned bar, u64 base);
  void unmap_bar(unsigned bar, u64 base);
  void notify_peer(DoorbellRequest req);
  // rw_vmsix_table's pr_err for a 1- or 2-byte access inside the table.
  void log_sub_dword_table_access();

  Hypervisor& hv_;
  Vm& vm_;
  IvshmemRegion& region_;
  pci::ConfigSpace cfg_;
  // Offsets 0x100-0xFFF of the vdev's 4 KiB cfgdata (PCIE_CONFIG_SPACE_SIZE):
  // plain storage, as pci_vdev_read_vcfg / pci_vdev_write_vcfg keep it.
  std::array<u8, pci::kExtendedConfigBytes - pci::kConfigBytes> extended_{};
  pci::MsixCapability msix_;
  IvshmemRegisters regs_;
  Gpa shm_gpa_ = 0;  // where BAR2's window is mapped now (0 = not mapped)
  // ACRN's vbar->base_gpa of BAR0, BAR1, BAR2: where the next BAR write
  // unmaps (vpci_update_one_vbar). init_ivshmem_bar sets it to the
  // configured base without mapping anything there, so a guest's first
  // write to a BAR unmaps whatever lies at its configured base.
  u64 base_gpa_[3] = {0, 0, 0};
  // vdev->msix.mmio_gpa: BAR1's base when it was last mapped (unmapping
  // leaves it), which the MSI-X table handler's offsets are from.
  Gpa msix_mmio_gpa_ = 0;
  // A handler's offset from its BAR's base: ivshmem_mmio_handler's from
  // BAR0's current base, rw_vmsix_table's from msix.mmio_gpa, cut to 32
  // bits as msixtable_access takes it. A node left behind by another
  // device's unregistration (MmioRegistry::remove frees the first node
  // with the range) can lie below that base: BAR0's offset then wraps past
  // every register.
  u32 handler_offset(unsigned tag, Gpa gpa) const;
  u32 bar0_, bar1_;
  u64 bar2_;
};

}  // namespace ivsim
