#include "workloads/pci_bars.h"

#include <algorithm>

#include "models/pci/config_space.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

constexpr u16 kCommandMemorySpace = 0x0002;
constexpr u32 kBarIo = 0x1;
constexpr u8 kHeaderLayoutMask = 0x7F;  // header type without the multi-function bit

// The record's header word: a tag in the high half, so that RAM the kernel
// never wrote it to reads as no record; the count in the low half.
constexpr u64 kResourcesTag = 0x5043'4952ULL << 32;  // "PCIR"
constexpr u64 kPrefetchBit = u64{1} << 32;

Gva resources_header(const Guest& g) { return g.kernel_page() + 2 * kCacheLineBytes; }
Gva resource_entry(const Guest& g, unsigned i) { return resources_header(g) + 8 + u64{i} * kPciResourceEntryBytes; }
// An entry's first word: BAR index << 16 | the BDF, the prefetchable flag above.
u64 resource_key(pci::Bdf bdf, unsigned index) { return (u64{index} << 16) | bdf.value(); }

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

void pci_record_resources(Guest& g, const std::vector<PciMemoryBar>& bars) {
  const unsigned n = static_cast<unsigned>(std::min<std::size_t>(bars.size(), kPciResourceSlots));
  for (unsigned i = 0; i < n; ++i) {
    const PciMemoryBar& b = bars[i];
    g.store<u64>(resource_entry(g, i), resource_key(b.bdf, b.index) | (b.prefetchable ? kPrefetchBit : 0));
    g.store<u64>(resource_entry(g, i) + 8, b.base);
    g.store<u64>(resource_entry(g, i) + 16, b.size);
  }
  g.store<u64>(resources_header(g), kResourcesTag | n);
}

std::vector<PciMemoryBar> pci_resources(Guest& g, pci::Bdf bdf) {
  std::vector<PciMemoryBar> bars;
  const u64 header = g.load<u64>(resources_header(g));
  if ((header & ~u64{0xFFFF'FFFFu}) != kResourcesTag) return bars;
  const unsigned n = static_cast<unsigned>(std::min<u64>(header & 0xFFFF'FFFFu, kPciResourceSlots));
  for (unsigned i = 0; i < n; ++i) {
    const u64 word = g.load<u64>(resource_entry(g, i));
    if ((word & 0xFFFFu) != bdf.value()) continue;
    const unsigned index = static_cast<unsigned>((word >> 16) & 0xFFFFu);
    bars.push_back(PciMemoryBar{bdf, index, g.load<u64>(resource_entry(g, i) + 8),
                                g.load<u64>(resource_entry(g, i) + 16), (word & kPrefetchBit) != 0});
  }
  return bars;
}

}  // namespace ivsim
