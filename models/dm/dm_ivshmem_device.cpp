#include "models/dm/dm_ivshmem_device.h"

namespace ivsim {

namespace {
constexpr u16 kVendorId = 0x1AF4, kDeviceId = 0x1110, kSubsystemVendor = 0x8086;
constexpr u8 kRevision = 0x01, kClass = 0x05;
constexpr u16 kCommandMemorySpace = 0x0002;
}  // namespace

DmIvshmemDevice::DmIvshmemDevice(pci::Bdf bdf, const ShmObject& shm, u16 region_id, u32 bar0, u32 bar1, u64 bar2)
    : bdf_(bdf), shm_(shm), memseg_gpa_(bar2 & ~u64{0xF}) {
  // pci_ivshmem_init: ids, class, subsystem; no capability list, no INTx pin.
  cfg_.init_u16(pci::kVendorId, kVendorId);
  cfg_.init_u16(pci::kDeviceId, kDeviceId);
  cfg_.init_u16(pci::kRevisionId, kRevision);  // a 16-bit store: prog-IF stays 0
  cfg_.init_u8(pci::kBaseClass, kClass);
  cfg_.init_u16(pci::kSubsystemVendorId, kSubsystemVendor);
  cfg_.init_u16(pci::kSubsystemId, region_id);
  cfg_.declare_bar(kBarRegisters, pci::BarKind::mem32, DmIvshmemRegisters::kBarSize, false, bar0);
  cfg_.declare_bar(kBarEmpty, pci::BarKind::mem32, kPageSize4K, false, bar1);
  cfg_.declare_bar(kBarShm, pci::BarKind::mem64, shm.size, (bar2 & pci::kBarPrefetch) != 0, bar2 & ~u64{0xF});
  // acrn-dm's BARs decode from the start (its allocator programs them and
  // enables memory space before the guest boots).
  cfg_.init_u16(pci::kCommand, kCommandMemorySpace);
}

void DmIvshmemDevice::cfg_write(u32 offset, unsigned size, u32 value) {
  // Guest BAR writes move acrn-dm's trapped windows; the memseg mapping of
  // BAR2 stays where creation put it (ivshmem.c: relocation is a TODO).
  cfg_.write(offset, size, value);
}

bool DmIvshmemDevice::claims(Gpa gpa, unsigned size, unsigned& bar, u64& offset) const {
  if (!(cfg_.raw_u16(pci::kCommand) & kCommandMemorySpace)) return false;
  for (unsigned b : {kBarRegisters, kBarEmpty, kBarShm}) {
    const u64 base = cfg_.bar_base_from_reset(b);
    const u64 len = cfg_.bar_info(b).size;
    if (base != 0 && gpa >= base && gpa + size <= base + len) {
      bar = b;
      offset = gpa - base;
      return true;
    }
  }
  return false;
}

u64 DmIvshmemDevice::mmio_read(unsigned bar, u64 offset, unsigned size) {
  // pci_ivshmem_read: BAR0 registers; a trapped BAR1/BAR2 access reads all-ones.
  if (bar == kBarRegisters) return regs_.read(static_cast<u32>(offset), size);
  return DmIvshmemRegisters::trapped_bar_read(size);
}

void DmIvshmemDevice::mmio_write(unsigned bar, u64 offset, unsigned size, u64 value) {
  if (bar == kBarRegisters) regs_.write(static_cast<u32>(offset), size, value);
}

}  // namespace ivsim
