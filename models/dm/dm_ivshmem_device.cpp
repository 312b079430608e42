#include "models/dm/dm_ivshmem_device.h"

#include <fmt/format.h>

namespace ivsim {

namespace {
constexpr u16 kVendorId = 0x1AF4, kDeviceId = 0x1110, kSubsystemVendor = 0x8086;
constexpr u8 kRevision = 0x01, kClass = 0x05;
constexpr u16 kCommandIoSpace = 0x0001, kCommandMemorySpace = 0x0002, kCommandBusMaster = 0x0004;
}  // namespace

DmIvshmemDevice::DmIvshmemDevice(pci::Bdf bdf, const ShmObject& shm, u16 region_id, u32 bar0, u32 bar1, u64 bar2,
                                 DmMmioRanges& ranges)
    : bdf_(bdf),
      shm_(shm),
      memseg_gpa_(bar2 & ~u64{0xF}),
      ranges_(ranges),
      name_(acrn_dm_name(bdf)),
      addr_{bar0, bar1, bar2 & ~u64{0xF}},
      size_{DmIvshmemRegisters::kBarSize, kPageSize4K, shm.size} {
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
  // pci_emul_alloc_pbar ends with register_bar. (acrn-dm fails the device
  // when that is refused; the addresses the twin's acrn-dm allocates never
  // overlap a registration, since it drops those of freed devices.)
  for (unsigned b : {kBarRegisters, kBarEmpty, kBarShm}) register_bar(b);
}

DmIvshmemDevice::~DmIvshmemDevice() {
  // pci_emul_free_bar: "if it is disabled then it should have been
  // unregistered in pci_emul_cmdsts_write".
  if (memory_decoding())
    for (unsigned b : {kBarRegisters, kBarEmpty, kBarShm}) unregister_bar(b);
}

std::string DmIvshmemDevice::acrn_dm_name(pci::Bdf bdf) { return fmt::format("ivshmem-pci-{}", bdf.dev); }

bool DmIvshmemDevice::memory_decoding() const { return (cfg_.raw_u16(pci::kCommand) & kCommandMemorySpace) != 0; }

void DmIvshmemDevice::register_bar(unsigned bar) {
  ranges_.register_mem(DmMmioRanges::Range{name_, addr_[bar], size_[bar], bdf_, bar});
}

void DmIvshmemDevice::unregister_bar(unsigned bar) { ranges_.unregister_mem(name_, addr_[bar], size_[bar]); }

void DmIvshmemDevice::update_bar_address(unsigned bar, u64 addr, bool ignore_reg_unreg) {
  const bool decode = !ignore_reg_unreg && memory_decoding();
  if (decode) unregister_bar(bar);
  addr_[bar] = addr;
  if (decode) register_bar(bar);
}

void DmIvshmemDevice::write_bar_register(unsigned reg, u32 value) {
  if (reg > 3) return;  // BAR4 and BAR5: PCIBAR_NONE
  // "Some driver does not disable the decode of BAR register via the
  // command register before sizing a BAR": with decoding on, the write of
  // all-ones that starts sizing and the write that ends it change the
  // address without moving the registration.
  bool ignore_reg_unreg = false;
  if (memory_decoding()) {
    if (!sizing_[reg] && value == ~u32{0}) {
      sizing_[reg] = true;
      ignore_reg_unreg = true;
    } else if (sizing_[reg] && value != ~u32{0}) {
      sizing_[reg] = false;
      ignore_reg_unreg = true;
    }
  }
  constexpr u64 kLow = 0xFFFF'FFFFu;
  if (reg == kBarRegisters || reg == kBarEmpty) {  // PCIBAR_MEM32
    const u64 addr = value & ~(size_[reg] - 1);
    if (addr != addr_[reg]) update_bar_address(reg, addr, ignore_reg_unreg);
  } else if (reg == kBarShm) {  // PCIBAR_MEM64: the lower half
    const u64 addr = value & ~(size_[kBarShm] - 1);
    if (addr != (addr_[kBarShm] & kLow)) update_bar_address(kBarShm, (addr_[kBarShm] & ~kLow) | addr, ignore_reg_unreg);
  } else {  // PCIBAR_MEMHI64, under the lower half's size mask
    const u64 addr = (u64{value} << 32) & ~(size_[kBarShm] - 1);
    if ((addr >> 32) != (addr_[kBarShm] >> 32))
      update_bar_address(kBarShm, (addr_[kBarShm] & kLow) | addr, ignore_reg_unreg);
  }
}

void DmIvshmemDevice::cfg_write(u32 offset, unsigned size, u32 value) {
  // pci_cfgrw's write path (devicemodel/hw/pci/core.c).
  if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset + size > pci::kConfigBytes) return;
  if (offset >= pci::kBar0 && offset < pci::bar_offset(pci::kNumBars)) {
    // "Ignore writes to BAR registers that are not 4-byte aligned": 1- and
    // 2-byte BAR writes change nothing. Guest BAR writes move acrn-dm's
    // trapped windows; the memseg mapping of BAR2 stays where creation put
    // it (ivshmem.c: relocation is a TODO).
    if (size == 4) {
      cfg_.write(offset, size, value);
      write_bar_register((offset - pci::kBar0) / 4, value);
    }
    return;
  }
  if (offset == pci::kRomBar) return;  // "ignore ROM BAR length request"
  if (offset >= pci::kCommand && offset < pci::kRevisionId) {
    // pci_emul_cmdsts_write: Command bits 0-6 and 8-10 writable, Status
    // read-only (its write-1-to-clear bits are never set).
    const u32 readonly = (0xFFFF'F880u >> ((offset & 3) * 8)) & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
    const u32 old = cfg_.read(offset, size);
    const bool decoding = memory_decoding();
    cfg_.store_raw(offset, size, (value & ~readonly) | (old & readonly));
    // "If the MMIO or I/O address space decoding has changed then
    // register/unregister all BARs that decode that address space."
    if (memory_decoding() != decoding)
      for (unsigned b : {kBarRegisters, kBarEmpty, kBarShm}) decoding ? unregister_bar(b) : register_bar(b);
    return;
  }
  cfg_.store_raw(offset, size, value);  // CFGWRITE: stored as written
}

bool DmIvshmemDevice::in_bar(unsigned bar, Gpa gpa, unsigned size, u64& offset) const {
  // "Out of emulated memory range" past the BAR's end; the offset is from
  // its current address, even when the registration that found it is older.
  if (gpa + size > addr_[bar] + size_[bar]) return false;
  offset = gpa - addr_[bar];
  return true;
}

u64 DmIvshmemDevice::bar_read(const DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size) {
  // pci_emul_mem_handler: an 8-byte access is two 4-byte accesses.
  if (size == 8) return (bar_read(regs, bar, offset, 4) & 0xFFFF'FFFFu) | (bar_read(regs, bar, offset + 4, 4) << 32);
  // pci_ivshmem_read: BAR0 registers; a trapped BAR1/BAR2 access reads
  // all-ones. Its 64-bit offset wraps for an access below the BAR's current
  // base (through an older registration): no register there.
  if (bar == kBarRegisters) return regs.read(register_offset(offset), size);
  return DmIvshmemRegisters::trapped_bar_read(size);
}

void DmIvshmemDevice::bar_write(DmIvshmemRegisters& regs, unsigned bar, u64 offset, unsigned size, u64 value) {
  if (size == 8) {
    bar_write(regs, bar, offset, 4, value & 0xFFFF'FFFFu);
    bar_write(regs, bar, offset + 4, 4, value >> 32);
    return;
  }
  if (bar == kBarRegisters) regs.write(register_offset(offset), size, value);
}

}  // namespace ivsim
