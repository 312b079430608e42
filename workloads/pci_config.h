// Guest-side PCI configuration access through configuration mechanism #1
// (CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC), as an OS does it: the
// address latch is one per VM (ACRN's vPCI keeps it per VM), so the kernel
// holds pci_config_lock across the pair (Linux's pci_conf1_read/write) and
// two vCPUs never interleave their addresses and data.
#pragma once

#include <vector>

#include "models/pci/bdf.h"
#include "workloads/guest_api.h"
#include "workloads/guest_spinlock.h"

namespace ivsim {

inline u32 pci_config_address(pci::Bdf bdf, u32 offset) {
  return 0x8000'0000u | (u32{bdf.bus} << 16) | (u32{bdf.dev} << 11) | (u32{bdf.fn} << 8) | (offset & 0xFC);
}

inline u32 pci_cfg_read32(Guest& g, pci::Bdf bdf, u32 offset) {
  GuestSpinlock lock(g, pci_config_lock_word(g));
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inl(0xCFC);
}
inline u16 pci_cfg_read16(Guest& g, pci::Bdf bdf, u32 offset) {
  GuestSpinlock lock(g, pci_config_lock_word(g));
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inw(static_cast<u16>(0xCFC + (offset & 2)));
}
inline u8 pci_cfg_read8(Guest& g, pci::Bdf bdf, u32 offset) {
  GuestSpinlock lock(g, pci_config_lock_word(g));
  g.outl(0xCF8, pci_config_address(bdf, offset));
  return g.inb(static_cast<u16>(0xCFC + (offset & 3)));
}
inline void pci_cfg_write32(Guest& g, pci::Bdf bdf, u32 offset, u32 v) {
  GuestSpinlock lock(g, pci_config_lock_word(g));
  g.outl(0xCF8, pci_config_address(bdf, offset));
  g.outl(0xCFC, v);
}
inline void pci_cfg_write16(Guest& g, pci::Bdf bdf, u32 offset, u16 v) {
  GuestSpinlock lock(g, pci_config_lock_word(g));
  g.outl(0xCF8, pci_config_address(bdf, offset));
  g.outw(static_cast<u16>(0xCFC + (offset & 2)), v);
}

// The enhanced configuration mechanism: config space as memory, one 4 KiB
// page per function in the VM's ECAM window (ACRN's VIRT_PCI_MMCFG_BASE).
constexpr Gpa kEcamBase = 0xE000'0000ULL;
inline Gpa pci_ecam_address(pci::Bdf bdf, u32 offset) {
  return kEcamBase + (u64{bdf.bus} << 20) + (u64{bdf.dev} << 15) + (u64{bdf.fn} << 12) + offset;
}
inline u32 pci_ecam_read32(Guest& g, pci::Bdf bdf, u32 offset) { return g.load<u32>(pci_ecam_address(bdf, offset)); }
inline void pci_ecam_write32(Guest& g, pci::Bdf bdf, u32 offset, u32 v) {
  g.store<u32>(pci_ecam_address(bdf, offset), v);
}

// What an OS's bus scan finds: every function that answers, honouring the
// multi-function bit of function 0.
struct PciFunction {
  pci::Bdf bdf;
  u16 vendor, device;
  u32 class_code;  // base class << 16 | subclass << 8 | prog-IF
};
inline std::vector<PciFunction> pci_scan_bus(Guest& g, u8 bus) {
  std::vector<PciFunction> found;
  for (u8 dev = 0; dev < 32; ++dev) {
    for (u8 fn = 0; fn < 8; ++fn) {
      const pci::Bdf bdf{bus, dev, fn};
      const u32 id = pci_cfg_read32(g, bdf, 0x00);
      if ((id & 0xFFFF) == 0xFFFF) {
        if (fn == 0) break;  // no device: no other functions either
        continue;
      }
      found.push_back({bdf, static_cast<u16>(id), static_cast<u16>(id >> 16), pci_cfg_read32(g, bdf, 0x08) >> 8});
      if (fn == 0 && !(pci_cfg_read8(g, bdf, 0x0E) & 0x80)) break;  // single-function device
    }
  }
  return found;
}

}  // namespace ivsim
