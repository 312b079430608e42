#include <catch2/catch.hpp>

#include "models/hv/vpci.h"

using namespace ivsim;

namespace {

class FakeDevice : public PciVdev {
 public:
  using PciVdev::PciVdev;
  u32 cfg_read(u32 offset, unsigned size) override {
    last_read = offset;
    return size == 4 ? 0x1110'1AF4u : 0xAB;
  }
  void cfg_write(u32 offset, unsigned, u32 value) override {
    last_write = offset;
    written = value;
  }
  u32 last_read = ~0u, last_write = ~0u, written = 0;
};

u32 address(u8 bus, u8 dev, u8 fn, u32 reg) {
  return 0x8000'0000u | (u32{bus} << 16) | (u32{dev} << 11) | (u32{fn} << 8) | reg;
}

}  // namespace

TEST_CASE("0xCF8/0xCFC reach the device at the latched BDF and register") {
  VPci bus;
  FakeDevice dev(*pci::Bdf::parse("00:08.0"));
  bus.attach(dev);
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0x10));
  CHECK(bus.pio_read(0xCF8, 4) == address(0, 8, 0, 0x10));
  CHECK(bus.pio_read(0xCFC, 4) == 0x1110'1AF4u);
  CHECK(dev.last_read == 0x10);
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0x10));
  bus.pio_write(0xCFE, 2, 0x1234);  // byte lanes select offset 0x12
  CHECK(dev.last_write == 0x12);
  CHECK(dev.written == 0x1234);
}

TEST_CASE("a data-port access consumes the latched address, as vpci_pio_cfgdata_read and _write clear it") {
  VPci bus;
  FakeDevice dev(*pci::Bdf::parse("00:08.0"));
  bus.attach(dev);
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0));
  CHECK(bus.pio_read(0xCFC, 4) == 0x1110'1AF4u);
  // atomic_readandclear32: the latch reads 0, the next data access finds
  // the enable bit clear.
  CHECK(bus.pio_read(0xCF8, 4) == 0);
  CHECK(bus.pio_read(0xCFC, 4) == 0xFFFF'FFFFu);
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0x10));
  bus.pio_write(0xCFC, 4, 0xA000'0000u);
  CHECK(dev.written == 0xA000'0000u);
  bus.pio_write(0xCFC, 4, 0xB000'0000u);  // no new address: dropped
  CHECK(dev.written == 0xA000'0000u);
  // A misaligned access reaches nothing, and still clears the latch.
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0));
  CHECK(bus.pio_read(0xCFD, 2) == 0xFFFF'FFFFu);  // ~0U whatever the size: the guest sees two bytes of it
  CHECK(bus.pio_read(0xCF8, 4) == 0);
}

TEST_CASE("config reads of an absent device return all-ones and the enable bit gates access") {
  VPci bus;
  bus.pio_write(0xCF8, 4, address(0, 9, 0, 0));
  CHECK(bus.pio_read(0xCFC, 4) == 0xFFFF'FFFFu);
  CHECK(bus.pio_read(0xCFC, 2) == 0xFFFF'FFFFu);
  FakeDevice dev(*pci::Bdf::parse("00:09.0"));
  bus.attach(dev);
  bus.pio_write(0xCF8, 4, address(0, 9, 0, 0) & ~0x8000'0000u);
  CHECK(bus.pio_read(0xCFC, 4) == 0xFFFF'FFFFu);
  CHECK(dev.last_read == ~0u);
}

TEST_CASE("only a 4-byte access to 0xCF8 touches the address latch") {
  VPci bus;
  bus.pio_write(0xCF8, 4, address(0, 8, 0, 0x04));
  bus.pio_write(0xCF8, 2, 0);
  bus.pio_write(0xCF9, 1, 0);
  CHECK(bus.pio_read(0xCF8, 4) == address(0, 8, 0, 0x04));
  CHECK(bus.pio_read(0xCF8, 2) == 0xFFFF'FFFFu);
  // init_vpci's handlers: 0xCF8 (length 1) and 0xCFC-0xCFF, matched by the
  // first port (hv_emulate_pio); 0xCF9 is the reset register.
  CHECK(VPci::claims_port(0xCF8, 4));
  CHECK(VPci::claims_port(0xCFF, 1));
  CHECK_FALSE(VPci::claims_port(0xCF9, 1));
  CHECK_FALSE(VPci::claims_port(0xCFB, 1));
  CHECK_FALSE(VPci::claims_port(0xD00, 1));
}
