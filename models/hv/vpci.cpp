#include "models/hv/vpci.h"

namespace ivsim {

namespace {
// Bits the CONFIG_ADDRESS latch keeps (ACRN masks out the reserved
// bits 30:24 and the low two bits: cfg_addr = val & ~0x7f000003).
constexpr u32 kCf8Keep = ~0x7F00'0003u;

// What a refused or unanswered read leaves: vpci_pio_cfgaddr_read,
// vpci_pio_cfgdata_read and vpci_read_cfg start from `uint32_t val = ~0U`
// whatever the size, and store all of it in the request's value; the guest
// sees the bytes of its access's size.
constexpr u32 kNoDevice = 0xFFFF'FFFFu;
}  // namespace

u32 VPci::cfg_read(pci::Bdf bdf, u32 offset, unsigned size) const {
  if (PciVdev* d = find(bdf)) return d->cfg_read(offset, size);
  return kNoDevice;
}

void VPci::cfg_write(pci::Bdf bdf, u32 offset, unsigned size, u32 value) {
  if (PciVdev* d = find(bdf)) d->cfg_write(offset, size, value);
}

bool VPci::take_data_port_target(u16 port, unsigned size, pci::Bdf& bdf, u32& reg) {
  const u32 cf8 = cf8_;
  cf8_ = 0;  // atomic_readandclear32(&vpci->addr.value)
  if (!(cf8 & kConfigEnable)) return false;
  reg = (cf8 & 0xFC) + (port - kConfigData);
  if (reg % size != 0) return false;  // pci_is_valid_access
  bdf = pci::Bdf::from_value(static_cast<u16>((cf8 >> 8) & 0xFFFF));
  return true;
}

u32 VPci::pio_read(u16 port, unsigned size) {
  // Only a 4-byte access to 0xCF8 itself reads the latch.
  if (port < kConfigData) return (port == kConfigAddress && size == 4) ? cf8_ : kNoDevice;
  pci::Bdf bdf;
  u32 reg = 0;
  if (!take_data_port_target(port, size, bdf, reg)) return kNoDevice;
  return cfg_read(bdf, reg, size);
}

void VPci::pio_write(u16 port, unsigned size, u32 value) {
  if (port < kConfigData) {
    if (port == kConfigAddress && size == 4) cf8_ = value & kCf8Keep;
    return;
  }
  pci::Bdf bdf;
  u32 reg = 0;
  if (take_data_port_target(port, size, bdf, reg)) cfg_write(bdf, reg, size, value);
}

}  // namespace ivsim
