// Guest-side PCI configuration access through configuration mechanism #1
// (CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC), as an OS does it.
#pragma once

#include "models/pci/bdf.h"
#include "workloads/guest_api.h"

namespace ivsim {

inline u32 pci_config_address(pci::Bdf bdf, u32 offset) {
  return 0x8000'0000u | (u32{bdf.bus} << 16) | (u32{bdf.dev} << 11) | (u32{bdf.fn} << 8) | (offset & 0xFC);
}

inline u32 pci_cfg_read32(Guest& g, pci::Bdf bdf, u32 offset) {
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inl(0xCFC);
}
inline u16 pci_cfg_read16(Guest& g, pci::Bdf bdf, u32 offset) {
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inw(static_cast<u16>(0xCFC + (offset & 2)));
}
inline u8 pci_cfg_read8(Guest& g, pci::Bdf bdf, u32 offset) {
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inb(static_cast<u16>(0xCFC + (offset & 3)));
}
inline void pci_cfg_write32(Guest& g, pci::Bdf bdf, u32 offset, u32 v) {
  g.outl(0xCF8, pci_config_address(bdf, offset));
  g.outl(0xCFC, v);
}
inline void pci_cfg_write16(Guest& g, pci::Bdf bdf, u32 offset, u16 v) {
  g.outl(0xCF8, pci_config_address(bdf, offset));
  g.outw(static_cast<u16>(0xCFC + (offset & 2)), v);
}

}  // namespace ivsim
