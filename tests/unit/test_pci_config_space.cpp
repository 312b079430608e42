// ConfigSpace and Bdf against ACRN vPCI behaviour (hypervisor/dm/vpci/vdev.c,
// vpci.c, ivshmem.c) as summarised in the fact sheet §1.3, §1.4 and §1.7.
#include <catch2/catch.hpp>

#include "models/pci/bdf.h"
#include "models/pci/config_space.h"

using namespace ivsim;
using namespace ivsim::pci;

namespace {

// The hv-land IVSHMEM BAR set: BAR0 256 B, BAR1 4 KiB, BAR2/3 a 2 MiB 64-bit
// prefetchable window above 4 GiB.
constexpr u64 kBar0Base = 0xC0000000;
constexpr u64 kBar1Base = 0xC0001000;
constexpr u64 kBar2Base = 0x40'0020'0000;  // 256 GiB + 2 MiB
constexpr u64 kShmSize = 2 * kMiB;

ConfigSpace ivshmem_like() {
  ConfigSpace cfg;
  cfg.init_u16(kVendorId, 0x1AF4);
  cfg.init_u16(kDeviceId, 0x1110);
  cfg.init_u8(kRevisionId, 0x01);
  cfg.init_u8(kBaseClass, 0x05);
  cfg.declare_bar(0, BarKind::mem32, 256, false, kBar0Base);
  cfg.declare_bar(1, BarKind::mem32, 4096, false, kBar1Base);
  cfg.declare_bar(2, BarKind::mem64, kShmSize, true, kBar2Base);
  return cfg;
}

void check_update(const std::optional<BarUpdate>& u, unsigned bar, u64 old_base, u64 new_base) {
  REQUIRE(u.has_value());
  CHECK(u->bar == bar);
  CHECK(u->old_base == old_base);
  CHECK(u->new_base == new_base);
}

}  // namespace

// --- Bdf --------------------------------------------------------------------

TEST_CASE("a VBDF in ACRN's scenario notation parses to bus, device and function") {
  auto b = Bdf::parse("00:08.0");
  REQUIRE(b);
  CHECK(b->bus == 0);
  CHECK(b->dev == 8);
  CHECK(b->fn == 0);

  b = Bdf::parse("A:1F.7");  // one-digit bus, upper-case hex
  REQUIRE(b);
  CHECK(b->bus == 0x0A);
  CHECK(b->dev == 0x1F);
  CHECK(b->fn == 7);

  b = Bdf::parse("fe:1a.3");
  REQUIRE(b);
  CHECK(b->value() == ((0xFE << 8) | (0x1A << 3) | 3));
}

TEST_CASE("strings outside ACRN's VBDF pattern are rejected") {
  for (const char* bad : {"", "00:08", "00:8.0", "000:08.0", "00:20.0", "00:2f.0", "00:08.8", "00-08.0", "00:08:0",
                          "0x0:08.0", " 00:08.0", "00:08.0 ", "g0:08.0", "00:0g.0", ":08.0", "00:08.", "00:08.01"}) {
    INFO(bad);
    CHECK_FALSE(Bdf::parse(bad));
  }
}

TEST_CASE("a BDF prints as two-digit lowercase bus and device and round-trips") {
  CHECK(Bdf{0, 8, 0}.to_string() == "00:08.0");
  CHECK(Bdf{0xAB, 0x1F, 7}.to_string() == "ab:1f.7");
  for (const char* text : {"00:08.0", "01:1f.7", "fe:0a.2"}) CHECK(Bdf::parse(text)->to_string() == text);
  CHECK(Bdf::from_value(Bdf{3, 0x11, 5}.value()) == Bdf{3, 0x11, 5});
}

// --- Plain config accesses ----------------------------------------------------

TEST_CASE("aligned config reads of 1, 2 and 4 bytes return the stored bytes little-endian") {
  ConfigSpace cfg = ivshmem_like();
  CHECK(cfg.read(kVendorId, 4) == 0x11101AF4);
  CHECK(cfg.read(kVendorId, 2) == 0x1AF4);
  CHECK(cfg.read(kDeviceId, 2) == 0x1110);
  CHECK(cfg.read(0x01, 1) == 0x1A);
  CHECK(cfg.read(kRevisionId, 4) == 0x05000001);  // rev 1, prog-IF 0, subclass 0, class 5
}

TEST_CASE("misaligned or odd-sized config accesses read all-ones and write nothing") {
  ConfigSpace cfg = ivshmem_like();
  CHECK(cfg.read(0x01, 2) == 0xFFFF);
  CHECK(cfg.read(0x02, 4) == 0xFFFFFFFF);
  CHECK(cfg.read(0x00, 3) == 0xFFFFFF);
  CHECK(cfg.read(0x00, 8) == 0xFFFFFFFF);
  CHECK(cfg.read(0xFE, 4) == 0xFFFFFFFF);  // aligned to 2 only
  CHECK(cfg.read(0x100, 1) == 0xFF);       // beyond the 256-byte space

  CHECK_FALSE(cfg.write(kCommand + 1, 2, 0xFFFF));  // misaligned Command write
  CHECK(cfg.read(kCommand, 2) == 0);
  CHECK_FALSE(cfg.write(kBar0 + 2, 4, 0xFFFFFFFF));  // misaligned BAR write: no sizing
  CHECK(cfg.read(kBar0, 4) == kBar0Base);
  CHECK(cfg.bar_base(0) == 0);
}

TEST_CASE("only the Command register is writable by default") {
  ConfigSpace cfg = ivshmem_like();
  CHECK_FALSE(cfg.write(kCommand, 2, 0x0406));
  CHECK(cfg.read(kCommand, 2) == 0x0406);
  cfg.write(kCommand, 1, 0x02);
  CHECK(cfg.read(kCommand, 2) == 0x0402);

  cfg.write(kVendorId, 4, 0xDEADBEEF);
  cfg.write(kStatus, 2, 0xFFFF);
  cfg.write(kInterruptLine, 1, 0x0B);
  cfg.write(kCapPointer, 1, 0x80);
  CHECK(cfg.read(kVendorId, 4) == 0x11101AF4);
  CHECK(cfg.read(kStatus, 2) == 0);
  CHECK(cfg.read(kInterruptLine, 1) == 0);
  CHECK(cfg.read(kCapPointer, 1) == 0);
}

TEST_CASE("set_write_mask makes exactly the masked bits writable") {
  ConfigSpace cfg;
  cfg.init_u8(kInterruptLine, 0xA5);
  cfg.set_write_mask(kInterruptLine, 1, 0x0F);
  cfg.write(kInterruptLine, 1, 0x3C);
  CHECK(cfg.read(kInterruptLine, 1) == 0xAC);  // high nibble kept, low nibble written
  cfg.write(kInterruptLine, 4, 0xFFFFFFFF);    // 4-byte write over 0x3C..0x3F
  CHECK(cfg.read(kInterruptLine, 1) == 0xAF);
  CHECK(cfg.read(kInterruptPin, 1) == 0);
}

// --- BARs -----------------------------------------------------------------------

TEST_CASE("BAR sizing: writing all-ones to a 2 MiB 64-bit BAR reads back the size mask") {
  ConfigSpace cfg = ivshmem_like();
  CHECK(cfg.read(bar_offset(2), 4) == 0x0020000C);  // base low + 64-bit prefetchable flags
  CHECK(cfg.read(bar_offset(3), 4) == 0x40);

  cfg.write(bar_offset(2), 4, 0xFFFFFFFF);
  CHECK(cfg.read(bar_offset(2), 4) == 0xFFE0000C);  // ~(2 MiB - 1), flags kept
  cfg.write(bar_offset(3), 4, 0xFFFFFFFF);
  CHECK(cfg.read(bar_offset(3), 4) == 0xFFFFFFFF);
  // What Linux computes from the two reads: size = ~(mask & ~0xF) + 1.
  const u64 mask = (u64{cfg.read(bar_offset(3), 4)} << 32) | (cfg.read(bar_offset(2), 4) & ~kBarFlagBits);
  CHECK(~mask + 1 == kShmSize);
}

TEST_CASE("BAR sizing: 32-bit BARs read back their size masks") {
  ConfigSpace cfg = ivshmem_like();
  cfg.write(bar_offset(0), 4, 0xFFFFFFFF);
  CHECK(cfg.read(bar_offset(0), 4) == 0xFFFFFF00);  // 256 B register file
  cfg.write(bar_offset(1), 4, 0xFFFFFFFF);
  CHECK(cfg.read(bar_offset(1), 4) == 0xFFFFF000);  // 4 KiB MSI-X table/PBA
}

TEST_CASE("BAR sizing: a 64-bit BAR larger than 4 GiB sizes through the upper half") {
  ConfigSpace cfg;
  cfg.declare_bar(2, BarKind::mem64, 8 * kGiB, true, 0x80'0000'0000);
  cfg.write(bar_offset(2), 4, 0xFFFFFFFF);
  cfg.write(bar_offset(3), 4, 0xFFFFFFFF);
  CHECK(cfg.read(bar_offset(2), 4) == 0x0000000C);
  CHECK(cfg.read(bar_offset(3), 4) == 0xFFFFFFFE);
}

TEST_CASE("a BAR is not decoded before the guest's first write") {
  ConfigSpace cfg = ivshmem_like();
  // The registers hold the configured bases (init_ivshmem_bar) ...
  CHECK(cfg.bar_register_base(0) == kBar0Base);
  CHECK(cfg.bar_register_base(1) == kBar1Base);
  CHECK(cfg.bar_register_base(2) == kBar2Base);
  CHECK(cfg.bar_register_base(3) == kBar2Base);
  // ... but nothing is mapped until the guest writes the BAR.
  CHECK(cfg.bar_base(0) == 0);
  CHECK(cfg.bar_base(1) == 0);
  CHECK(cfg.bar_base(2) == 0);
  CHECK(cfg.bar_base(3) == 0);

  // Writing the same value back is enough to map it; the old base reported
  // is 0 because nothing was mapped.
  check_update(cfg.write(bar_offset(0), 4, static_cast<u32>(kBar0Base)), 0, 0, kBar0Base);
  CHECK(cfg.bar_base(0) == kBar0Base);
  CHECK(cfg.bar_base(1) == 0);  // the other BARs are independent
  CHECK(cfg.bar_base(2) == 0);
}

TEST_CASE("a 64-bit BAR is not decoded while either half is sizing") {
  ConfigSpace cfg = ivshmem_like();
  cfg.write(bar_offset(2), 4, 0x0020000C);
  check_update(cfg.write(bar_offset(3), 4, 0x40), 2, kBar2Base, kBar2Base);
  REQUIRE(cfg.bar_base(2) == kBar2Base);

  SECTION("low half sizing") {
    check_update(cfg.write(bar_offset(2), 4, 0xFFFFFFFF), 2, kBar2Base, 0);
    CHECK(cfg.bar_base(2) == 0);
    CHECK(cfg.bar_register_base(2) == 0x40'FFE0'0000);  // the register holds the mask, not a base
  }
  SECTION("high half sizing") {
    check_update(cfg.write(bar_offset(3), 4, 0xFFFFFFFF), 2, kBar2Base, 0);
    CHECK(cfg.bar_base(2) == 0);
    CHECK(cfg.bar_base(3) == 0);
  }
  SECTION("both halves sizing, then only one restored") {
    cfg.write(bar_offset(2), 4, 0xFFFFFFFF);
    cfg.write(bar_offset(3), 4, 0xFFFFFFFF);
    check_update(cfg.write(bar_offset(3), 4, 0x40), 2, 0, 0);  // low still sizing
    CHECK(cfg.bar_base(2) == 0);
  }
}

TEST_CASE("restoring the BAR after sizing decodes the original base") {
  ConfigSpace cfg = ivshmem_like();
  check_update(cfg.write(bar_offset(1), 4, 0xFFFFFFFF), 1, 0, 0);
  CHECK(cfg.bar_base(1) == 0);
  check_update(cfg.write(bar_offset(1), 4, static_cast<u32>(kBar1Base)), 1, 0, kBar1Base);
  CHECK(cfg.bar_base(1) == kBar1Base);
  CHECK(cfg.read(bar_offset(1), 4) == kBar1Base);
}

TEST_CASE("sizing a 64-bit BAR as all-ones low, all-ones high, restore low, restore high maps it only at the end") {
  ConfigSpace cfg = ivshmem_like();
  const u32 lo = cfg.read(bar_offset(2), 4);
  const u32 hi = cfg.read(bar_offset(3), 4);
  REQUIRE(lo == 0x0020000C);
  REQUIRE(hi == 0x40);

  check_update(cfg.write(bar_offset(2), 4, ~u32{0}), 2, 0, 0);
  CHECK(cfg.read(bar_offset(2), 4) == 0xFFE0000C);
  check_update(cfg.write(bar_offset(3), 4, ~u32{0}), 2, 0, 0);
  CHECK(cfg.read(bar_offset(3), 4) == 0xFFFFFFFF);
  check_update(cfg.write(bar_offset(2), 4, lo), 2, 0, 0);  // high half still sizing
  CHECK(cfg.bar_base(2) == 0);
  check_update(cfg.write(bar_offset(3), 4, hi), 2, 0, kBar2Base);
  CHECK(cfg.bar_base(2) == kBar2Base);
  CHECK(cfg.bar_base(3) == kBar2Base);

  // The same sequence on a mapped BAR unmaps it at the first step.
  check_update(cfg.write(bar_offset(2), 4, ~u32{0}), 2, kBar2Base, 0);
  check_update(cfg.write(bar_offset(3), 4, ~u32{0}), 2, 0, 0);
  check_update(cfg.write(bar_offset(2), 4, lo), 2, 0, 0);
  check_update(cfg.write(bar_offset(3), 4, hi), 2, 0, kBar2Base);
}

TEST_CASE("Linux probe order (size and restore low, then high) maps the 64-bit BAR at the low restore") {
  // drivers/pci/probe.c __pci_read_base restores the low dword before sizing
  // the high one; the high half still holds its configured value then, so
  // ACRN maps the window as soon as the low half is restored.
  ConfigSpace cfg = ivshmem_like();
  check_update(cfg.write(bar_offset(2), 4, ~u32{0}), 2, 0, 0);
  check_update(cfg.write(bar_offset(2), 4, 0x0020000C), 2, 0, kBar2Base);
  check_update(cfg.write(bar_offset(3), 4, ~u32{0}), 2, kBar2Base, 0);
  CHECK(cfg.read(bar_offset(3), 4) == 0xFFFFFFFF);
  check_update(cfg.write(bar_offset(3), 4, 0x40), 2, 0, kBar2Base);
}

TEST_CASE("relocating a BAR reports old and new base") {
  ConfigSpace cfg = ivshmem_like();
  cfg.write(bar_offset(2), 4, 0x0020000C);
  cfg.write(bar_offset(3), 4, 0x40);
  REQUIRE(cfg.bar_base(2) == kBar2Base);

  // Move BAR2 within the high half: one write, old and new both decoded.
  check_update(cfg.write(bar_offset(2), 4, 0x00600000), 2, kBar2Base, 0x40'0060'0000);
  // Move it below 4 GiB: the low write lands first (still above 4 GiB), then the high.
  check_update(cfg.write(bar_offset(2), 4, 0xE0000000), 2, 0x40'0060'0000, 0x40'E000'0000);
  check_update(cfg.write(bar_offset(3), 4, 0), 2, 0x40'E000'0000, 0xE000'0000);
  CHECK(cfg.bar_base(2) == 0xE000'0000);

  // A 32-bit BAR moves in one write.
  cfg.write(bar_offset(0), 4, static_cast<u32>(kBar0Base));
  check_update(cfg.write(bar_offset(0), 4, 0xD0000000), 0, kBar0Base, 0xD0000000);
}

TEST_CASE("BAR base bits below the size and the type flags cannot be changed by the guest") {
  ConfigSpace cfg = ivshmem_like();
  // Unaligned base: bits below 2 MiB are dropped by the size mask; the
  // read-only flags 0xC survive a write of 0.
  check_update(cfg.write(bar_offset(2), 4, 0x00312340), 2, 0, 0x40'0020'0000);
  CHECK(cfg.read(bar_offset(2), 4) == 0x0020000C);
  cfg.write(bar_offset(0), 4, 0xC00001F3);
  CHECK(cfg.read(bar_offset(0), 4) == 0xC0000100);  // 256 B mask; mem32 non-prefetchable has no flags
}

TEST_CASE("writing base 0 leaves the BAR unmapped") {
  ConfigSpace cfg = ivshmem_like();
  cfg.write(bar_offset(0), 4, static_cast<u32>(kBar0Base));
  check_update(cfg.write(bar_offset(0), 4, 0), 0, kBar0Base, 0);
  CHECK(cfg.bar_base(0) == 0);
}

TEST_CASE("a BAR with BarKind::none reads 0 and ignores writes") {
  ConfigSpace cfg = ivshmem_like();
  for (unsigned idx : {4u, 5u}) {
    CHECK(cfg.bar_info(idx).kind == BarKind::none);
    CHECK_FALSE(cfg.write(bar_offset(idx), 4, 0xFFFFFFFF));
    CHECK(cfg.read(bar_offset(idx), 4) == 0);
    CHECK_FALSE(cfg.write(bar_offset(idx), 4, 0xD0000000));
    CHECK(cfg.read(bar_offset(idx), 4) == 0);
    CHECK(cfg.bar_base(idx) == 0);
  }
  // The upper half of a mem64 BAR is not "none": it is a live register.
  CHECK(cfg.is_mem64_upper(3));
  CHECK_FALSE(cfg.is_mem64_upper(2));
  CHECK(cfg.write(bar_offset(3), 4, 0x41).has_value());
}

TEST_CASE("a partial BAR write replaces the whole register with the zero-extended value, as ACRN's ivshmem vdev") {
  ConfigSpace cfg = ivshmem_like();
  // 2-byte write of the upper word of BAR0: pci_bar_index picks BAR0 and the
  // value 0xD000 becomes the whole register (masked to 256 B).
  check_update(cfg.write(bar_offset(0) + 2, 2, 0xD000), 0, 0, 0xD000);
  CHECK(cfg.read(bar_offset(0), 4) == 0x0000D000);
  // A byte of all-ones is not a sizing write.
  check_update(cfg.write(bar_offset(0) + 3, 1, 0xFF), 0, 0xD000, 0);
  CHECK(cfg.read(bar_offset(0), 4) == 0x00000000);
  // The type flags survive.
  cfg.write(bar_offset(2), 1, 0x00);
  CHECK(cfg.read(bar_offset(2), 4) == 0x0000000C);
}

TEST_CASE("declare_bar rejects BARs that cannot exist") {
  ConfigSpace cfg;
  CHECK_THROWS(cfg.declare_bar(6, BarKind::mem32, 4096, false, 0));
  CHECK_THROWS(cfg.declare_bar(5, BarKind::mem64, 4096, false, 0));
  CHECK_THROWS(cfg.declare_bar(0, BarKind::mem32, 3000, false, 0));
  CHECK_THROWS(cfg.declare_bar(0, BarKind::mem32, 8, false, 0));
  CHECK_THROWS(cfg.declare_bar(0, BarKind::mem32, 4096, false, 0x1'0000'0000));
  cfg.declare_bar(2, BarKind::mem64, kShmSize, true, kBar2Base);
  CHECK_THROWS(cfg.declare_bar(3, BarKind::mem32, 4096, false, 0));      // upper half of BAR2
  CHECK_THROWS(cfg.declare_bar(1, BarKind::mem64, kShmSize, false, 0));  // BAR2 is taken
}

// --- Capabilities --------------------------------------------------------------

TEST_CASE("capabilities chain from 0x40 at 4-byte-aligned offsets and set Status.CapList") {
  ConfigSpace cfg;
  CHECK((cfg.read(kStatus, 2) & kStatusCapList) == 0);
  const u32 first = cfg.add_capability(0x11, 12);
  CHECK(first == 0x40);
  CHECK(cfg.read(kCapPointer, 1) == 0x40);
  CHECK((cfg.read(kStatus, 2) & kStatusCapList) != 0);
  CHECK(cfg.read(first, 1) == 0x11);
  CHECK(cfg.read(first + 1, 1) == 0);

  const u32 second = cfg.add_capability(0x05, 10);  // 10 bytes → next at +12
  CHECK(second == 0x4C);
  CHECK(cfg.read(first + 1, 1) == second);
  const u32 third = cfg.add_capability(0x09, 3);
  CHECK(third == 0x58);
  CHECK(cfg.read(second + 1, 1) == third);
  CHECK(cfg.read(third + 1, 1) == 0);
  CHECK(cfg.read(kCapPointer, 1) == 0x40);  // still the first

  // The chain is read-only to the guest.
  cfg.write(first + 1, 1, 0x80);
  CHECK(cfg.read(first + 1, 1) == second);

  CHECK_THROWS(cfg.add_capability(0x10, 256));
}
