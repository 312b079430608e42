// MsixCapability against ACRN's vmsix.c (add_vmsix_capability,
// write_vmsix_cap_reg, rw_vmsix_table) as in the fact sheet §1.3 and §9.
#include <catch2/catch.hpp>
#include <optional>

#include "models/pci/config_space.h"
#include "models/pci/msix.h"

using namespace ivsim;
using namespace ivsim::pci;

namespace {

// rw_vmsix_table's read of a request whose value held `prior`: the value
// after it, or nullopt when the read was ignored (the value then unchanged).
std::optional<u64> read(const MsixCapability& m, u32 offset, unsigned size, u64 prior = 0) {
  u64 v = prior;
  if (m.table_read(offset, size, v)) return v;
  CHECK(v == prior);
  return std::nullopt;
}

}  // namespace

TEST_CASE("add_vmsix_capability lays out an 8-entry capability with table and PBA in BAR1") {
  ConfigSpace cfg;
  MsixCapability msix = add_vmsix_capability(cfg);
  const u32 cap = msix.capability_offset();
  CHECK(cap == 0x40);  // first capability, as on the hv-land IVSHMEM device
  CHECK(cfg.read(kCapPointer, 1) == 0x40);
  CHECK((cfg.read(kStatus, 2) & kStatusCapList) != 0);
  CHECK(cfg.read(cap, 1) == 0x11);
  CHECK(cfg.read(cap + 1, 1) == 0);                      // last in the chain
  CHECK(cfg.read(cap + kMsixMessageControl, 2) == 7);    // Table Size = 8 - 1, disabled, unmasked
  CHECK(cfg.read(cap + kMsixTableOffsetBir, 4) == 1);    // BIR 1, offset 0
  CHECK(cfg.read(cap + kMsixPbaOffsetBir, 4) == 0x801);  // BIR 1, offset 0x800
  CHECK(msix.table_count() == 8);
  CHECK(msix.table_bar() == 1);
  CHECK_FALSE(msix.enabled());
  CHECK_FALSE(msix.function_masked());
  // The next capability goes after the 12 bytes.
  CHECK(cfg.add_capability(0x09, 4) == 0x4C);
  CHECK(cfg.read(cap + 1, 1) == 0x4C);
}

TEST_CASE("Table Size, BIR and PBA follow the requested entries and BAR") {
  ConfigSpace cfg;
  MsixCapability msix(cfg, 4, 3);
  const u32 cap = msix.capability_offset();
  CHECK(cfg.read(cap + kMsixMessageControl, 2) == 3);
  CHECK(cfg.read(cap + kMsixTableOffsetBir, 4) == 3);
  CHECK(cfg.read(cap + kMsixPbaOffsetBir, 4) == 0x803);
  CHECK(msix.table_count() == 4);
  CHECK_THROWS(msix.entry(4));
  // Past a 4-entry table the BAR reads like the PBA.
  CHECK(read(msix, 4 * kMsixTableEntryBytes, 4) == u64{0});

  ConfigSpace other;
  CHECK_THROWS(MsixCapability(other, 0, 1));
  CHECK_THROWS(MsixCapability(other, 129, 1));
  CHECK_THROWS(MsixCapability(other, 8, 6));
}

TEST_CASE("only Function Mask and Enable are writable in MSI-X Message Control") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  const u32 ctrl = msix.capability_offset() + kMsixMessageControl;

  cfg.write(ctrl, 2, 0xFFFF);
  CHECK(cfg.read(ctrl, 2) == 0xC007);  // Table Size kept, reserved bits 13:11 stay 0
  CHECK(msix.enabled());
  CHECK(msix.function_masked());
  CHECK_FALSE(msix.vmsix_enabled());

  cfg.write(ctrl, 2, 0x8000);
  CHECK(cfg.read(ctrl, 2) == 0x8007);
  CHECK(msix.enabled());
  CHECK_FALSE(msix.function_masked());
  CHECK(msix.vmsix_enabled());

  cfg.write(ctrl, 2, 0x4000);
  CHECK_FALSE(msix.enabled());
  CHECK(msix.function_masked());

  cfg.write(ctrl, 2, 0x0000);
  CHECK(cfg.read(ctrl, 2) == 0x0007);

  // A dword write at the capability start reaches Message Control through
  // its upper half; id and next pointer stay.
  cfg.write(msix.capability_offset(), 4, 0xFFFFFFFF);
  CHECK(cfg.read(msix.capability_offset(), 4) == 0xC0070011);
  // Byte write of the upper Message Control byte.
  cfg.write(ctrl + 1, 1, 0x00);
  CHECK(cfg.read(ctrl, 2) == 0x0007);

  // Table and PBA offset/BIR registers are read-only.
  cfg.write(msix.capability_offset() + kMsixTableOffsetBir, 4, 0x12345678);
  cfg.write(msix.capability_offset() + kMsixPbaOffsetBir, 4, 0);
  CHECK(cfg.read(msix.capability_offset() + kMsixTableOffsetBir, 4) == 1);
  CHECK(cfg.read(msix.capability_offset() + kMsixPbaOffsetBir, 4) == 0x801);
}

TEST_CASE("MSI-X entries are masked at reset") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  for (unsigned i = 0; i < msix.table_count(); ++i) {
    INFO("entry " << i);
    const MsiMessage m = msix.entry(i);
    CHECK(m.masked);
    CHECK(m.addr == 0);
    CHECK(m.data == 0);
    CHECK(read(msix, i * kMsixTableEntryBytes + 12, 4) == u64{1});  // Vector Control
  }
  CHECK_THROWS_AS(msix.entry(8), std::out_of_range);
}

TEST_CASE("an entry programmed with dword writes reads back and unmasks") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  const u32 e3 = 3 * kMsixTableEntryBytes;
  CHECK(msix.table_write(e3 + 0, 4, 0xFEE01000));
  CHECK(msix.table_write(e3 + 4, 4, 0x00000001));
  CHECK(msix.table_write(e3 + 8, 4, 0x00004031));
  CHECK(msix.entry(3).masked);  // still masked until Vector Control is written
  CHECK(msix.table_write(e3 + 12, 4, 0));

  const MsiMessage m = msix.entry(3);
  CHECK(m.addr == 0x1'FEE0'1000);
  CHECK(m.data == 0x4031);
  CHECK_FALSE(m.masked);
  CHECK(read(msix, e3, 4) == u64{0xFEE01000});
  CHECK(read(msix, e3 + 8, 4) == u64{0x4031});
  CHECK(read(msix, e3, 8) == u64{0x1'FEE0'1000});
  // Neighbours untouched.
  CHECK(msix.entry(2).masked);
  CHECK(msix.entry(4).masked);
  CHECK(msix.entry(2).addr == 0);
}

TEST_CASE("a qword write fills a pair of dwords of an entry") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  const u32 e7 = 7 * kMsixTableEntryBytes;
  CHECK(msix.table_write(e7, 8, 0x0000'0000'FEE0'0000));
  CHECK(msix.table_write(e7 + 8, 8, 0x0000'0000'0000'0041));  // data 0x41, Vector Control 0
  const MsiMessage m = msix.entry(7);
  CHECK(m.addr == 0xFEE00000);
  CHECK(m.data == 0x41);
  CHECK_FALSE(m.masked);
  CHECK(read(msix, e7 + 8, 8) == u64{0x41});
}

TEST_CASE("byte, word and misaligned table accesses are ignored") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  CHECK_FALSE(read(msix, 0, 1));
  CHECK_FALSE(read(msix, 12, 2));
  CHECK_FALSE(read(msix, 2, 4));  // misaligned dword
  CHECK_FALSE(read(msix, 4, 8));  // misaligned qword
  CHECK_FALSE(read(msix, 0, 3));
  CHECK_FALSE(read(msix, 0, 16));

  CHECK_FALSE(msix.table_write(12, 1, 0));  // would unmask entry 0 if it acted
  CHECK_FALSE(msix.table_write(12, 2, 0));
  CHECK_FALSE(msix.table_write(10, 4, 0));
  CHECK_FALSE(msix.table_write(4, 8, 0));
  CHECK(msix.entry(0).masked);
  CHECK(read(msix, 12, 4) == u64{1});
}

TEST_CASE("PBA reads zero") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  CHECK(read(msix, kMsixPbaOffset, 4) == u64{0});
  CHECK(read(msix, kMsixPbaOffset, 8) == u64{0});
  CHECK(read(msix, kMsixPbaOffset + 0x10, 4) == u64{0});
  CHECK(read(msix, kMsixBarSize - 8, 8) == u64{0});
  // rw_vmsix_table: outside the table any aligned access up to 8 bytes reads 0
  // for an emulated device, bytes and words included.
  CHECK(read(msix, kMsixPbaOffset, 1) == u64{0});
  CHECK(read(msix, kMsixPbaOffset + 2, 2) == u64{0});
  // Between the table and the PBA too.
  CHECK(read(msix, 8 * kMsixTableEntryBytes, 4) == u64{0});

  // Writes are dropped: the PBA still reads 0 and no entry changed.
  CHECK_FALSE(msix.table_write(kMsixPbaOffset, 8, ~u64{0}));
  CHECK_FALSE(msix.table_write(kMsixPbaOffset, 4, 0xFFFFFFFF));
  CHECK(read(msix, kMsixPbaOffset, 8) == u64{0});
  for (unsigned i = 0; i < msix.table_count(); ++i) CHECK(msix.entry(i).masked);

  // Misaligned PBA accesses are ignored; an offset beyond the 4 KiB BAR
  // (a node left at another address) is outside the table, and reads 0.
  CHECK_FALSE(read(msix, kMsixPbaOffset + 2, 4));
  CHECK(read(msix, kMsixBarSize, 4, 0x55) == u64{0});
}

TEST_CASE("a table read writes only its own bytes of the request's value, and the PBA clears all of it") {
  ConfigSpace cfg;
  MsixCapability msix(cfg);
  const u32 e1 = 1 * kMsixTableEntryBytes;
  CHECK(msix.table_write(e1, 8, 0x0000'0001'FEE0'2000));
  constexpr u64 prior = 0xAAAA'BBBB'CCCC'DDDD;
  // memcpy_s of four bytes: the upper half is what the previous request left.
  CHECK(read(msix, e1, 4, prior) == u64{0xAAAA'BBBB'FEE0'2000});
  CHECK(read(msix, e1, 8, prior) == u64{0x0000'0001'FEE0'2000});
  CHECK(read(msix, 8 * kMsixTableEntryBytes, 4, prior) == u64{0});  // past the table: mmio->value = 0
  CHECK_FALSE(read(msix, e1, 2, prior));                            // "Only DWORD and QWORD": untouched
}
