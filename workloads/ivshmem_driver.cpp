#include "workloads/ivshmem_driver.h"

#include "models/pci/config_space.h"
#include "workloads/pci_bars.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

constexpr u32 kIVPositionReg = 0x08, kDoorbellReg = 0x0C;
constexpr u16 kCommandMemorySpace = 0x0002;
constexpr u8 kCapIdMsix = 0x11;
constexpr u16 kStatusCapList = 0x10, kMsixEnable = 0x8000, kMsixFunctionMask = 0x4000, kMsixTableSizeMask = 0x07FF;

// The MSI-X capability's offset, walking the capability list (0: none).
u8 find_msix(Guest& g, pci::Bdf bdf) {
  if (!(pci_cfg_read16(g, bdf, pci::kStatus) & kStatusCapList)) return 0;
  u8 cap = pci_cfg_read8(g, bdf, pci::kCapPointer);
  while (cap != 0 && pci_cfg_read8(g, bdf, cap) != kCapIdMsix) cap = pci_cfg_read8(g, bdf, cap + 1u);
  return cap;
}

// Linux __pci_read_base: save, write all-ones, read the mask back, restore.
u32 size_bar32(Guest& g, pci::Bdf bdf, u32 reg, u32& original) {
  original = pci_cfg_read32(g, bdf, reg);
  pci_cfg_write32(g, bdf, reg, 0xFFFF'FFFFu);
  const u32 mask = pci_cfg_read32(g, bdf, reg);
  pci_cfg_write32(g, bdf, reg, original);
  return mask;
}

// The BARs as the kernel's boot-time scan recorded them (pci_resource_start
// and _len); false when it did not record this function's register BAR.
bool read_resources(Guest& g, pci::Bdf bdf, IvshmemGuestDevice& dev) {
  bool regs = false;
  for (const PciMemoryBar& bar : pci_resources(g, bdf)) {
    if (bar.index == 0) {
      dev.regs = bar.base;
      dev.regs_size = bar.size;
      regs = true;
    } else if (bar.index == 1) {
      dev.msix_table = bar.base;
    } else if (bar.index == kIvshmemShmBar) {
      dev.shmem = bar.base;
      dev.shmem_size = bar.size;
    }
  }
  if (!regs) return false;
  // pci_enable_device: memory decoding on, if the firmware left it off.
  const u16 cmd = pci_cfg_read16(g, bdf, pci::kCommand);
  if (!(cmd & kCommandMemorySpace)) pci_cfg_write16(g, bdf, pci::kCommand, static_cast<u16>(cmd | kCommandMemorySpace));
  return true;
}

// Sizes and restores the BARs itself, as a driver without a kernel record
// does (Zephyr's pcie_get_mbar at the driver's init).
void size_bars(Guest& g, pci::Bdf bdf, IvshmemGuestDevice& dev) {
  // Decoding is switched off while BARs are sized, as Linux does.
  const u16 cmd = pci_cfg_read16(g, bdf, pci::kCommand);
  pci_cfg_write16(g, bdf, pci::kCommand, static_cast<u16>(cmd & ~kCommandMemorySpace));

  u32 bar0 = 0;
  const u32 mask0 = size_bar32(g, bdf, pci::kBar0, bar0) & ~0xFu;
  dev.regs = bar0 & ~0xFu;
  dev.regs_size = u64{~mask0} + 1;
  u32 bar1 = 0;
  size_bar32(g, bdf, pci::kBar0 + 4, bar1);
  dev.msix_table = bar1 & ~0xFu;

  // BAR2/BAR3: a 64-bit BAR, both halves sized before either is restored.
  const u32 lo_reg = pci::kBar0 + 2 * 4, hi_reg = pci::kBar0 + 3 * 4;
  const u32 lo = pci_cfg_read32(g, bdf, lo_reg);
  const u32 hi = pci_cfg_read32(g, bdf, hi_reg);
  pci_cfg_write32(g, bdf, lo_reg, 0xFFFF'FFFFu);
  const u32 mask_lo = pci_cfg_read32(g, bdf, lo_reg);
  pci_cfg_write32(g, bdf, hi_reg, 0xFFFF'FFFFu);
  const u32 mask_hi = pci_cfg_read32(g, bdf, hi_reg);
  pci_cfg_write32(g, bdf, lo_reg, lo);
  pci_cfg_write32(g, bdf, hi_reg, hi);
  const u64 mask = (u64{mask_hi} << 32) | (mask_lo & ~0xFu);
  dev.shmem_size = ~mask + 1;
  dev.shmem = (u64{hi} << 32) | (lo & ~0xFu);

  pci_cfg_write16(g, bdf, pci::kCommand, static_cast<u16>(cmd | kCommandMemorySpace));
}

}  // namespace

std::optional<IvshmemGuestDevice> ivshmem_probe(Guest& g, pci::Bdf bdf) {
  if (pci_cfg_read32(g, bdf, pci::kVendorId) != kIvshmemIds) return std::nullopt;
  IvshmemGuestDevice dev;
  dev.bdf = bdf;
  // A driver takes the BARs the kernel's enumeration found; sizing them
  // again would move BAR2 (and unmap it) under sibling vCPUs already using
  // the region (workloads/pci_bars.h).
  if (!read_resources(g, bdf, dev)) size_bars(g, bdf, dev);
  dev.ivposition = ivshmem_get_id(g, dev);
  dev.msix_cap = find_msix(g, bdf);
  // Message Control bits 10:0 hold the table size minus one.
  if (dev.msix_cap)
    dev.n_vectors = static_cast<u16>((pci_cfg_read16(g, bdf, dev.msix_cap + 2u) & kMsixTableSizeMask) + 1);
  return dev;
}

std::vector<pci::Bdf> ivshmem_enumerate(Guest& g, u8 bus) {
  std::vector<pci::Bdf> found;
  for (const PciFunction& f : pci_scan_bus(g, bus))
    if ((u32{f.device} << 16 | f.vendor) == kIvshmemIds) found.push_back(f.bdf);
  return found;
}

std::optional<IvshmemGuestDevice> ivshmem_find(Guest& g, unsigned index, u8 bus) {
  const auto all = ivshmem_enumerate(g, bus);
  if (index >= all.size()) return std::nullopt;
  return ivshmem_probe(g, all[index]);
}

bool ivshmem_setup_msix(Guest& g, const IvshmemGuestDevice& dev, u16 vector, u64 msi_addr, u32 msi_data) {
  const u8 cap = dev.msix_cap ? dev.msix_cap : find_msix(g, dev.bdf);
  if (cap == 0) return false;
  const Gpa entry = dev.msix_table + 16u * vector;
  g.store<u32>(entry + 0, static_cast<u32>(msi_addr));
  g.store<u32>(entry + 4, static_cast<u32>(msi_addr >> 32));
  g.store<u32>(entry + 8, msi_data);
  g.store<u32>(entry + 12, 0);  // Vector Control: unmasked
  const u16 ctrl = pci_cfg_read16(g, dev.bdf, cap + 2u);
  pci_cfg_write16(g, dev.bdf, cap + 2u, static_cast<u16>((ctrl | kMsixEnable) & ~kMsixFunctionMask));
  return true;
}

u32 ivshmem_get_id(Guest& g, const IvshmemGuestDevice& dev) { return g.load<u32>(dev.regs + kIVPositionReg); }

u64 ivshmem_get_mem(Guest&, const IvshmemGuestDevice& dev, Gpa* memmap) {
  if (memmap) *memmap = dev.shmem;
  return dev.shmem_size;
}

u16 ivshmem_get_vectors(Guest&, const IvshmemGuestDevice& dev) { return dev.n_vectors; }

void ivshmem_write_doorbell(Guest& g, const IvshmemGuestDevice& dev, u32 peer, u16 vector) {
  g.store<u32>(dev.regs + kDoorbellReg, (peer << 16) | vector);
}

int ivshmem_int_peer(Guest& g, const IvshmemGuestDevice& dev, u32 peer, u16 vector) {
  if (dev.n_vectors == 0) return -kENOSYS;
  if (vector >= dev.n_vectors) return -kEINVAL;
  ivshmem_write_doorbell(g, dev, peer, vector);
  return 0;
}

int ivshmem_register_handler(Guest& g, const IvshmemGuestDevice& dev, KPollSignal* signal, u16 vector,
                             std::function<void(Guest&)> isr_extra) {
  if (dev.n_vectors == 0) return -kENOSYS;
  if (vector >= dev.n_vectors) return -kEINVAL;
  const u8 idt_vector = static_cast<u8>(kIvshmemFirstIdtVector + vector);
  if (!signal) {
    g.on_interrupt(idt_vector, [](Guest&) {});
    return 0;
  }
  g.on_interrupt(idt_vector, [signal, vector, extra = std::move(isr_extra)](Guest& isr) {
    signal->signaled = true;
    signal->result = vector;
    ++signal->raised;
    if (extra) extra(isr);
  });
  ivshmem_setup_msix(g, dev, vector, msi_address(g.apic_id()), idt_vector);
  return 0;
}

}  // namespace ivsim
