// A VM's virtual PCI bus in the hypervisor (hypervisor/dm/vpci/vpci.c): the
// devices by BDF, and the 0xCF8/0xCFC configuration mechanism that reaches
// them through port I/O exits.
#pragma once

#include <map>

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

class PciVdev {
 public:
  explicit PciVdev(pci::Bdf bdf) : bdf_(bdf) {}
  virtual ~PciVdev() = default;
  pci::Bdf bdf() const { return bdf_; }
  virtual u32 cfg_read(u32 offset, unsigned size) = 0;
  virtual void cfg_write(u32 offset, unsigned size, u32 value) = 0;

 private:
  pci::Bdf bdf_;
};

class VPci {
 public:
  static constexpr u16 kConfigAddress = 0xCF8;  // PCI_CONFIG_ADDR
  static constexpr u16 kConfigData = 0xCFC;     // PCI_CONFIG_DATA (0xCFC-0xCFF)
  static constexpr u32 kConfigEnable = 0x8000'0000u;  // CONFIG_ADDRESS's enable bit (CONF1_ENABLE)

  void attach(PciVdev& dev) { devices_[dev.bdf().value()] = &dev; }
  void detach(PciVdev& dev) { devices_.erase(dev.bdf().value()); }
  PciVdev* find(pci::Bdf bdf) const {
    auto it = devices_.find(bdf.value());
    return it == devices_.end() ? nullptr : it->second;
  }
  const std::map<u16, PciVdev*>& devices() const { return devices_; }

  // ACRN registers 0xCF8-0xCFB and 0xCFC-0xCFF as two port-I/O ranges.
  // init_vpci registers 0xCF8 (length 1) and 0xCFC (length 4); a port
  // handler claims an access by its first port (hv_emulate_pio), so 0xCF9
  // (the reset register) is not the vPCI's.
  static bool claims_port(u16 port, unsigned) {
    return port == kConfigAddress || (port >= kConfigData && port < kConfigData + 4);
  }
  // Config access to a BDF with no device reads all-ones and drops writes,
  // as on a real bus (no device answers).
  u32 cfg_read(pci::Bdf bdf, u32 offset, unsigned size) const;
  void cfg_write(pci::Bdf bdf, u32 offset, unsigned size, u32 value);

  // A data-port access (0xCFC-0xCFF) consumes the latched address: ACRN's
  // vpci_pio_cfgdata_read and _write take it with atomic_readandclear32
  // before anything else, so the next data access without a new 0xCF8
  // write finds the enable bit clear (all-ones, writes dropped).
  // take_data_port_target: which device and register this access reaches
  // (false when none: disabled, misaligned), the latch cleared either way.
  bool take_data_port_target(u16 port, unsigned size, pci::Bdf& bdf, u32& reg);

  u32 pio_read(u16 port, unsigned size);
  void pio_write(u16 port, unsigned size, u32 value);

 private:
  std::map<u16, PciVdev*> devices_;
  u32 cf8_ = 0;  // the latched CONFIG_ADDRESS
};

}  // namespace ivsim
