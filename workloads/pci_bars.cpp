#include "workloads/pci_bars.h"

#include "models/pci/config_space.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

constexpr u16 kCommandMemorySpace = 0x0002;
constexpr u32 kBarIo = 0x1;
constexpr u8 kHeaderLayoutMask = 0x7F;  // header type without the multi-function bit

}  // namespace

std::vector<PciMemoryBar> pci_memory_bars(Guest& g, pci::Bdf bdf) {
  std::vector<PciMemoryBar> bars;
  if ((pci_cfg_read8(g, bdf, pci::kHeaderType) & kHeaderLayoutMask) != 0) return bars;  // bridges are not sized here

  // Decoding is switched off while BARs are sized, so a half-written BAR never decodes.
  const u16 cmd = pci_cfg_read16(g, bdf, pci::kCommand);
  if (cmd & kCommandMemorySpace) pci_cfg_write16(g, bdf, pci::kCommand, static_cast<u16>(cmd & ~kCommandMemorySpace));

  for (unsigned i = 0; i < pci::kNumBars; ++i) {
    const u32 reg = pci::bar_offset(i);
    const u32 lo = pci_cfg_read32(g, bdf, reg);
    if (lo & kBarIo) continue;
    const bool is64 = (lo & pci::kBarMemType64) != 0 && i + 1 < pci::kNumBars;
    // Both halves of a 64-bit BAR are sized before either is restored, as
    // the guest IVSHMEM driver does (workloads/ivshmem_driver.cpp).
    pci_cfg_write32(g, bdf, reg, 0xFFFF'FFFFu);
    const u32 mask_lo = pci_cfg_read32(g, bdf, reg);
    u32 hi = 0, mask_hi = 0xFFFF'FFFFu;
    if (is64) {
      hi = pci_cfg_read32(g, bdf, reg + 4);
      pci_cfg_write32(g, bdf, reg + 4, 0xFFFF'FFFFu);
      mask_hi = pci_cfg_read32(g, bdf, reg + 4);
    }
    pci_cfg_write32(g, bdf, reg, lo);
    if (is64) pci_cfg_write32(g, bdf, reg + 4, hi);

    const u64 mask = (u64{mask_hi} << 32) | (mask_lo & ~pci::kBarFlagBits);
    const Gpa base = (u64{hi} << 32) | (lo & ~pci::kBarFlagBits);
    const bool implemented = (mask_lo & ~pci::kBarFlagBits) != 0 || (is64 && mask_hi != 0);
    if (implemented && base != 0) bars.push_back(PciMemoryBar{bdf, i, base, ~mask + 1, (lo & pci::kBarPrefetch) != 0});
    if (is64) ++i;
  }

  if (cmd & kCommandMemorySpace) pci_cfg_write16(g, bdf, pci::kCommand, cmd);
  return bars;
}

}  // namespace ivsim
