#include "models/dm/dm_ivshmem_device.h"

namespace ivsim {

namespace {
constexpr u16 kVendorId = 0x1AF4, kDeviceId = 0x1110, kSubsystemVendor = 0x8086;
constexpr u8 kRevision = 0x01, kClass = 0x05;
constexpr u16 kCommandIoSpace = 0x0001, kCommandMemorySpace = 0x0002, kCommandBusMaster = 0x0004;
}  // namespace

DmIvshmemDevice::DmIvshmemDevice(pci::Bdf bdf, const ShmObject& shm, u16 region_id, u32 bar0, u32 bar1, u64 bar2)
    : bdf_(bdf), shm_(shm), memseg_gpa_(bar2 & ~u64{0xF}) {
  // pci_emul_init: legacy interrupts off (Interrupt Line 255, Pin 0), I/O
  // and memory decoding and bus mastering on (an 8-bit Command write).
  cfg_.init_u8(pci::kInterruptLine, 0xFF);
  cfg_.init_u8(pci::kInterruptPin, 0);
  cfg_.init_u8(pci::kCommand, kCommandIoSpace | kCommandMemorySpace | kCommandBusMaster);
  // pci_ivshmem_init: ids, class, subsystem; no capability list.
  cfg_.init_u16(pci::kVendorId, kVendorId);
  cfg_.init_u16(pci::kDeviceId, kDeviceId);
  cfg_.init_u16(pci::kRevisionId, kRevision);  // a 16-bit store: prog-IF stays 0
  cfg_.init_u8(pci::kBaseClass, kClass);
  cfg_.init_u16(pci::kSubsystemVendorId, kSubsystemVendor);
  cfg_.init_u16(pci::kSubsystemId, region_id);
  // pci_emul_alloc_bar: BAR2 is prefetchable only when acrn-dm put it in the
  // 64-bit window (above 32 MiB); below 4 GiB its flags are 64-bit only.
  cfg_.declare_bar(kBarRegisters, pci::BarKind::mem32, DmIvshmemRegisters::kBarSize, false, bar0);
  cfg_.declare_bar(kBarEmpty, pci::BarKind::mem32, kPageSize4K, false, bar1);
  cfg_.declare_bar(kBarShm, pci::BarKind::mem64, shm.size, (bar2 & pci::kBarPrefetch) != 0, bar2 & ~u64{0xF});
}

void DmIvshmemDevice::cfg_write(u32 offset, unsigned size, u32 value) {
  // pci_cfgrw's write path (devicemodel/hw/pci/core.c).
  if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset + size > pci::kConfigBytes) return;
  if (offset >= pci::kBar0 && offset < pci::bar_offset(pci::kNumBars)) {
    // "Ignore writes to BAR registers that are not 4-byte aligned": 1- and
    // 2-byte BAR writes change nothing. Guest BAR writes move acrn-dm's
    // trapped windows; the memseg mapping of BAR2 stays where creation put
    // it (ivshmem.c: relocation is a TODO).
    if (size == 4) cfg_.write(offset, size, value);
    return;
  }
  if (offset == pci::kRomBar) return;  // "ignore ROM BAR length request"
  if (offset >= pci::kCommand && offset < pci::kRevisionId) {
    // pci_emul_cmdsts_write: Command bits 0-6 and 8-10 writable, Status
    // read-only (its write-1-to-clear bits are never set).
    const u32 readonly = (0xFFFF'F880u >> ((offset & 3) * 8)) & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
    const u32 old = cfg_.read(offset, size);
    cfg_.store_raw(offset, size, (value & ~readonly) | (old & readonly));
    return;
  }
  cfg_.store_raw(offset, size, value);  // CFGWRITE: stored as written
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

u64 DmIvshmemDevice::bar_read(const DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size) {
  // pci_emul_mem_handler: an 8-byte access is two 4-byte accesses.
  if (size == 8) return (bar_read(regs, bar, offset, 4) & 0xFFFF'FFFFu) | (bar_read(regs, bar, offset + 4, 4) << 32);
  // pci_ivshmem_read: BAR0 registers; a trapped BAR1/BAR2 access reads all-ones.
  if (bar == kBarRegisters) return regs.read(static_cast<u32>(offset), size);
  return DmIvshmemRegisters::trapped_bar_read(size);
}

void DmIvshmemDevice::bar_write(DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size, u64 value) {
  if (size == 8) {
    bar_write(regs, bar, offset, 4, value & 0xFFFF'FFFFu);
    bar_write(regs, bar, offset + 4, 4, value >> 32);
    return;
  }
  if (bar == kBarRegisters) regs.write(static_cast<u32>(offset), size, value);
}

}  // namespace ivsim
