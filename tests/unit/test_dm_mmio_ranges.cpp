// acrn-dm's MMIO registrations (devicemodel/core/mem.c): disjoint ranges,
// removed only by an exact match.
#include <catch2/catch.hpp>

#include "models/dm/dm_mmio_ranges.h"

using namespace ivsim;

namespace {
const pci::Bdf k08{0, 8, 0};
const pci::Bdf k09{0, 9, 0};
DmMmioRanges::Range range(u64 base, u64 size, pci::Bdf bdf = k08, unsigned bar = 0) {
  return DmMmioRanges::Range{"ivshmem-pci-" + std::to_string(bdf.dev), base, size, bdf, bar};
}
}  // namespace

TEST_CASE("acrn-dm refuses a registration that overlaps another, at either end") {
  DmMmioRanges r;
  REQUIRE(r.register_mem(range(0x1000, 0x100)));
  CHECK_FALSE(r.register_mem(range(0x1000, 0x100, k09)));   // the same base
  CHECK_FALSE(r.register_mem(range(0x10FF, 0x10, k09)));    // starts inside
  CHECK_FALSE(r.register_mem(range(0x0F00, 0x101, k09)));   // ends inside
  CHECK_FALSE(r.register_mem(range(0x0800, 0x1000, k09)));  // covers it
  CHECK(r.register_mem(range(0x0F00, 0x100, k09)));         // ends right before it
  CHECK(r.register_mem(range(0x1100, 0x100, k09, 1)));      // starts right after it
  CHECK(r.size() == 3);
}

TEST_CASE("a lookup finds the range holding the address, and nothing between ranges") {
  DmMmioRanges r;
  REQUIRE(r.register_mem(range(0x2000, 0x100, k08, 0)));
  REQUIRE(r.register_mem(range(0x3000, 0x1000, k08, 1)));
  CHECK(r.lookup(0x1FFF) == nullptr);
  REQUIRE(r.lookup(0x2000) != nullptr);
  CHECK(r.lookup(0x20FF)->bar == 0);
  CHECK(r.lookup(0x2100) == nullptr);
  CHECK(r.lookup(0x3FFF)->bar == 1);
  CHECK(r.lookup(0x4000) == nullptr);
}

TEST_CASE("acrn-dm unregisters only a range of the same name, base and size") {
  DmMmioRanges r;
  REQUIRE(r.register_mem(range(0x2000, 0x100)));
  CHECK_FALSE(r.unregister_mem("ivshmem-pci-9", 0x2000, 0x100));  // another device's name
  CHECK_FALSE(r.unregister_mem("ivshmem-pci-8", 0x2010, 0x100));  // inside, not at its base
  CHECK_FALSE(r.unregister_mem("ivshmem-pci-8", 0x2000, 0x1000));
  CHECK_FALSE(r.unregister_mem("ivshmem-pci-8", 0x5000, 0x100));  // nothing there
  CHECK(r.lookup(0x2000) != nullptr);
  CHECK(r.unregister_mem("ivshmem-pci-8", 0x2000, 0x100));
  CHECK(r.lookup(0x2000) == nullptr);
}

TEST_CASE("dropping a freed device's ranges leaves the others'") {
  DmMmioRanges r;
  REQUIRE(r.register_mem(range(0x2000, 0x100, k08, 0)));
  REQUIRE(r.register_mem(range(0x3000, 0x100, k09, 0)));
  REQUIRE(r.register_mem(range(0x4000, 0x100, k08, 1)));
  r.drop(k08);
  CHECK(r.size() == 1);
  CHECK(r.lookup(0x3000) != nullptr);
}

// mmio_rb_fallback is a tree of its own: a fallback range may cover
// registrations (the PCI holes cover every BAR), each lookup sees only its
// own tree, and dropping a device leaves the fallbacks.
TEST_CASE("fallback ranges sit in a tree of their own under the registrations") {
  DmMmioRanges r;
  DmMmioRanges::Range hole = range(0x8000'0000, 0x6000'0000);
  hole.name = "PCI hole (32-bit)";
  REQUIRE(r.register_fallback(hole));
  CHECK_FALSE(r.register_fallback(hole));  // overlaps itself
  REQUIRE(r.register_mem(range(0x8000'0000, 0x100, k08, 0)));
  CHECK(r.lookup(0x8000'0000)->bar == 0);
  CHECK(r.lookup(0x8000'1000) == nullptr);
  CHECK(r.lookup_fallback(0x8000'1000)->name == "PCI hole (32-bit)");
  CHECK(r.lookup_fallback(0xE000'0000) == nullptr);
  r.drop(hole.bdf);
  r.drop(k08);
  CHECK(r.lookup_fallback(0x8000'0000) != nullptr);
  CHECK_FALSE(r.unregister_fallback("PCI hole (64-bit)", hole.base, hole.size));
  CHECK(r.unregister_fallback(hole.name, hole.base, hole.size));
  CHECK(r.lookup_fallback(0x8000'0000) == nullptr);
}
